import type { Reply, ReplyDone, ReplyError, ReplyOk, ReplyPart } from '../envelope';
import { type ErrorCode, PbxlinkError } from '../errors';

/** A successful reply: single result, one part of a long result, or the final `done`. */
export type OkReply = ReplyOk | ReplyPart | ReplyDone;

/** Raised when the agent does not answer in time; `retryable`, code `unavailable`, `timeout` true. */
export class ReplyTimeoutError extends PbxlinkError {
  readonly timeout = true;
  constructor(
    readonly agent: string,
    readonly seconds: number,
    readonly partsSeen: number,
  ) {
    super(
      'unavailable',
      partsSeen === 0
        ? `no reply from ${agent} within ${seconds} s: is it online? see \`pbxctl tail ${agent} status\``
        : `reply from ${agent} stopped after ${partsSeen} part(s): nothing more within ${seconds} s`,
    );
  }
}

/** True when `e` is the client's reply timeout. */
export function isReplyTimeout(e: unknown): e is ReplyTimeoutError {
  return (
    e instanceof ReplyTimeoutError || (e instanceof Error && (e as { timeout?: unknown }).timeout === true)
  );
}

/** Seconds for humans: `10`, `0.5`, `1.5`. */
export function formatSeconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

/** An error reply from the agent, thrown by the reply iterator: its wire code, message and details. */
export class CommandFailedError extends PbxlinkError {
  /** The command's jti. */
  readonly id: string;
  constructor(r: ReplyError) {
    super(r.error.code as ErrorCode, r.error.message, { details: r.error.details });
    this.id = r.id;
  }
}

/** True when `r` ends the reply stream: `done`, or a single (non-part) ok reply. Error replies end it too. */
export function isFinalReply(r: Reply): boolean {
  if (!r.ok) return true;
  return ('done' in r && r.done === true) || !('part' in r);
}
