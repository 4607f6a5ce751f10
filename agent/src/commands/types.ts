import type { TSchema } from '@sinclair/typebox';
import type { SCOPES } from '../../../protocol/src/schemas/common';
import type { Logger } from '../core/log';

/** Key scopes of DESIGN.md ("Commands"); `admin` implies all. One list, in the protocol package. */
export type Scope = (typeof SCOPES)[number];

/** Who sent the command, after signature verification. */
export interface Caller {
  readonly kid: string;
  readonly scopes: readonly Scope[];
}

/** What a handler may do besides returning its result. Given by the command router. */
export interface CommandContext {
  readonly log: Logger;
  readonly caller: Caller;
  /** The command's jti (also the reply id). */
  readonly id: string;
  /** Aborted on the command's timeout or on agent stop: long handlers must check it. */
  readonly signal: AbortSignal;
  /** Largest MQTT payload the agent may send now (broker Maximum Packet Size, at most 96 KB by default),
   * minus room for the reply envelope. Handlers size their parts and chunks by it. */
  readonly maxPayloadBytes: number;
  /** Sends one part reply `{"v":1,"id","ok":true,"part":n,"data":data}` (n counted by the router from 1).
   * Resolves when the broker accepted it (QoS 1 PUBACK), so awaiting it is the backpressure. */
  part(data: unknown): Promise<void>;
  /** Publishes raw bytes to `P/A/blob/<transferId>/<index>` (QoS 1), resolving on PUBACK. */
  publishBlob(transferId: string, index: number, bytes: Uint8Array): Promise<void>;
}

/** A command handler: validated, authorized, timed out, caught and replied to by the router. */
export interface CommandHandler<A = any> {
  /** The wire name, e.g. `cdr.query`. */
  readonly name: string;
  readonly scope: Scope;
  /** JSON Schema (TypeBox) of the args, from protocol/src/schemas. */
  readonly args: TSchema;
  /** Per-command timeout in ms (router default when absent). */
  readonly timeoutMs?: number;
  /** Returns the final reply's data. If parts were sent, the router marks that reply `"done": true`.
   * Throw PbxlinkError for a coded error reply. */
  handle(args: A, ctx: CommandContext): Promise<unknown>;
}
