/**
 * The command pipeline on `P/A/cmd` (DESIGN.md "Commands", issue 5 part 1): reply destination → verify (signature,
 * key, audience, lifetime, jti) → redelivery (same token: the first reply again, not run twice) → authorize by
 * scope → validate args → concurrency limit (`busy`) → run with a timeout (AbortSignal) → reply → replay cache →
 * audit. Errors thrown by handlers: PbxlinkError keeps its code; anything else is `internal`, logged, never leaked.
 */
import { errorReply } from '../../../protocol/src/envelope';
import {
  peekCommand,
  type TrustedKey,
  type VerifiedCommand,
  verifyCommand,
} from '../../../protocol/src/signing';
import type { AgentTopics } from '../../../protocol/src/topics';
import type { CommandContext, CommandHandler, Scope } from '../commands/types';
import type { Clock, Timer } from '../core/clock';
import { type ErrorCode, isPbxlinkError, PbxlinkError } from '../core/errors';
import type { Logger } from '../core/log';
import type { AuditInput, AuditLog } from './audit';
import { type PersistentReplayCache, ReplyRecorder } from './replay-cache';
import { ReplyChannel, type ReplyDestination, type ReplyTransport } from './replies';
import { authorize, replyDestination } from './router-checks';
import type { IncomingMessage } from './session';

/** Default number of commands executed at once (config commands.concurrency). */
export const DEFAULT_CONCURRENCY = 4;
/** Default per-command timeout (config commands.timeout_ms). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

/** What the router needs; the composition (agent.ts) builds each part. */
export interface RouterOptions {
  agentId: string;
  topics: AgentTopics;
  /** Replies and blobs (LinkPublisher). */
  transport: ReplyTransport;
  handlers: readonly CommandHandler[];
  /** Trusted keys in force (TrustedKeyStore). */
  keys: { resolve(kid: string): Pick<TrustedKey, 'publicKey' | 'scopes'> | undefined };
  replay: PersistentReplayCache;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  concurrency?: number;
  defaultTimeoutMs?: number;
}

/** Counters for health and tests. */
export interface RouterStats {
  /** Handlers running now. */
  running: number;
  /** Handler executions since start. */
  executed: number;
}

type Outcome = 'ok' | ErrorCode;

/** Routes signed commands to their handlers and replies. `handle` never throws. */
export class CommandRouter {
  private readonly handlers: ReadonlyMap<string, CommandHandler>;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private readonly concurrency: number;
  private readonly defaultTimeoutMs: number;
  private running = 0;
  private executed = 0;
  private pruneTimer: Timer | undefined;
  private stopping = false;

  constructor(private readonly opts: RouterOptions) {
    this.handlers = new Map(opts.handlers.map((h) => [h.name, h]));
    this.concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  /** The command names this agent runs (agent.info capabilities, birth). */
  get capabilities(): string[] {
    return [...this.handlers.keys()];
  }

  /** Counters. */
  stats(): RouterStats {
    return { running: this.running, executed: this.executed };
  }

  /** Subscribes to the link's commands and prunes the replay cache every minute. */
  start(link: { onCommand(handler: (m: IncomingMessage) => void | Promise<void>): void }): void {
    this.stopping = false;
    link.onCommand((m) => this.handle(m));
    if (this.pruneTimer === undefined)
      this.pruneTimer = this.opts.clock.setInterval(() => this.opts.replay.prune(this.nowSecs()), 60_000);
  }

  /** Aborts running handlers (they reply `unavailable`), waits up to `graceMs` for them. Idempotent. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    this.opts.clock.clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    for (const ac of this.controllers) ac.abort(new PbxlinkError('unavailable', 'the agent is stopping'));
    const all = Promise.allSettled([...this.inflight.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  /** Handles one message of `P/A/cmd`; resolves when its last reply was sent (or refused). */
  async handle(msg: Pick<IncomingMessage, 'payload' | 'properties'>): Promise<void> {
    const t0 = this.opts.clock.monotonic();
    const peek = peekCommand(msg.payload);
    const where = replyDestination(this.opts.topics.prefix, this.opts.topics.agent, msg);
    if (!where.ok) {
      this.opts.log.warn(
        { kid: peek.kid, cmd: peek.cmd, jti: peek.jti, reason: where.reason },
        'command refused',
      );
      this.audit({ ...peek, args: null, outcome: 'refused', message: where.reason }, t0);
      return;
    }
    let verified: VerifiedCommand;
    try {
      verified = verifyCommand(msg.payload, {
        agentId: this.opts.agentId,
        resolveKey: (kid) => this.opts.keys.resolve(kid),
        nowSecs: this.nowSecs(),
        replay: this.opts.replay,
      });
    } catch (err) {
      if (!isPbxlinkError(err)) this.opts.log.error({ err, jti: peek.jti }, 'command verification failed');
      const ch = this.channel(where.dest, peek.jti ?? '-', new ReplyRecorder());
      const code = await ch.error(err);
      this.opts.log.info({ kid: peek.kid, cmd: peek.cmd, jti: peek.jti, code }, 'command rejected');
      this.audit({ ...peek, args: null, outcome: code, message: (err as Error).message }, t0);
      return;
    }
    const { jti } = verified.claims;
    if (verified.redelivery) return this.redeliver(verified, where.dest, t0);
    const run = this.execute(verified, where.dest, t0);
    this.inflight.set(jti, run);
    try {
      await run;
    } finally {
      if (this.inflight.get(jti) === run) this.inflight.delete(jti);
    }
  }

  /** The same token again: wait for a running first execution, then send its replies again. */
  private async redeliver(v: VerifiedCommand, dest: ReplyDestination, t0: number): Promise<void> {
    const { jti, cmd } = v.claims;
    await this.inflight.get(jti);
    const ch = this.channel(dest, jti, new ReplyRecorder());
    const cached = this.opts.replay.lookup(jti);
    let outcome: Outcome;
    if (cached && cached.replies.length > 0) {
      await ch.resend(cached.replies);
      outcome = cached.outcome;
    } else if (cached) {
      await ch.once(errorReply(jti, 'conflict', 'this command already ran; its reply is no longer cached'));
      outcome = cached.outcome;
    } else {
      // Claimed, never replied: the agent stopped while it ran. Not run again (it may have had effects).
      await ch.once(
        errorReply(jti, 'internal', 'the agent restarted while this command ran; its outcome is unknown'),
      );
      outcome = 'internal';
    }
    this.opts.log.info({ kid: v.key.kid, cmd, jti }, 'redelivered command: first reply sent again');
    this.audit(
      {
        kid: v.key.kid,
        cmd,
        jti,
        args: v.claims.args ?? {},
        outcome,
        message: 'redelivery: first reply sent again',
      },
      t0,
    );
  }

  private async execute(v: VerifiedCommand, dest: ReplyDestination, t0: number): Promise<void> {
    const { jti, cmd } = v.claims;
    const recorder = new ReplyRecorder();
    const ch = this.channel(dest, jti, recorder);
    let outcome: Outcome;
    let message: string | undefined;
    try {
      const { handler, args } = authorize(this.handlers, cmd, v.key.scopes, v.claims.args);
      if (this.stopping) throw new PbxlinkError('unavailable', 'the agent is stopping');
      if (this.running >= this.concurrency)
        throw new PbxlinkError('busy', `${this.concurrency} commands are running; retry later`);
      const result = await this.run(handler, args, v, ch);
      outcome = await ch.result(result);
    } catch (err) {
      if (!isPbxlinkError(err)) this.opts.log.error({ err, cmd, jti }, 'command failed');
      message = isPbxlinkError(err) ? err.message : 'internal error';
      outcome = await ch.error(err);
    }
    this.opts.replay.store(jti, recorder.result(outcome));
    this.audit({ kid: v.key.kid, cmd, jti, args: v.claims.args ?? {}, outcome, message }, t0);
  }

  /** Runs a handler under the concurrency count, its timeout and the stop signal. */
  private async run(
    handler: CommandHandler,
    args: Record<string, unknown>,
    v: VerifiedCommand,
    ch: ReplyChannel,
  ): Promise<unknown> {
    const ac = new AbortController();
    const timeoutMs = handler.timeoutMs ?? this.defaultTimeoutMs;
    const log = this.opts.log.child({ cmd: handler.name, jti: v.claims.jti });
    const ctx: CommandContext = {
      log,
      caller: { kid: v.key.kid, scopes: v.key.scopes as readonly Scope[] },
      id: v.claims.jti,
      signal: ac.signal,
      maxPayloadBytes: ch.maxPayloadBytes,
      part: (data) => {
        if (ac.signal.aborted) return Promise.reject(ac.signal.reason);
        return ch.part(data);
      },
      publishBlob: (transferId, index, bytes) => {
        if (ac.signal.aborted) return Promise.reject(ac.signal.reason);
        return this.opts.transport.publishBlob(
          transferId,
          index,
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        );
      },
    };
    let timer: Timer | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = this.opts.clock.setTimeout(() => {
        const e = new PbxlinkError('unavailable', `${handler.name} timed out after ${timeoutMs} ms`, {
          details: { timeout_ms: timeoutMs },
        });
        ac.abort(e);
        reject(e);
      }, timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => {
      ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true });
    });
    timedOut.catch(() => {});
    aborted.catch(() => {});
    this.running++;
    this.executed++;
    this.controllers.add(ac);
    // The slot is held until the handler itself settles, even after a timeout reply: `busy` stays honest.
    const work = Promise.resolve()
      .then(() => handler.handle(args, ctx))
      .finally(() => {
        this.running--;
        this.controllers.delete(ac);
      });
    work.catch(() => {});
    try {
      return await Promise.race([work, timedOut, aborted]);
    } finally {
      this.opts.clock.clearTimeout(timer);
      if (!ac.signal.aborted) ac.abort(new PbxlinkError('unavailable', 'the command has finished'));
    }
  }

  private channel(dest: ReplyDestination, id: string, recorder: ReplyRecorder): ReplyChannel {
    return new ReplyChannel(this.opts.transport, dest, id, recorder, this.opts.log);
  }

  private audit(input: Omit<AuditInput, 'duration_ms'>, t0: number): void {
    this.opts.audit.append({ ...input, duration_ms: this.opts.clock.monotonic() - t0 });
  }

  private nowSecs(): number {
    return Math.floor(this.opts.clock.now() / 1000);
  }
}
