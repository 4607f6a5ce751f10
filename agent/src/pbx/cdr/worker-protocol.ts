/**
 * Messages between the agent and its CDR query worker (worker-client.ts ⇄ query-worker.ts), over the IPC
 * channel of child_process.fork with `serialization: 'advanced'`. The parts' bytes go through the part pipe
 * (part-pipe.ts) when the worker has one, else in `part` messages (Buffers cross as bytes).
 */
import type { ErrorCode } from '../../core/errors';
import type { DbOptions } from '../freepbx/db';
import type { CdrQueryResult } from './cdr-query';
import type { CdrQueryArgs } from './query-builder';

/** What the worker needs to reach the CDRs: the pool settings and the table (no logger: it does not log). */
export interface WorkerSetup {
  db: Omit<DbOptions, 'log'>;
  cdrDb: string;
  cdrTable: string;
  maxRows: number;
  partWindow?: number;
  /** The worker writes parts to the part pipe (fd PART_PIPE_FD) instead of sending them as messages. */
  partPipe?: boolean;
}

export type ToWorker =
  | { t: 'setup'; setup: WorkerSetup }
  | { t: 'run'; id: number; args: CdrQueryArgs; maxPayloadBytes: number }
  /** Part `n` of run `id` was acknowledged by the broker: the worker may reuse its window slot. */
  | { t: 'ack'; id: number; n: number }
  | { t: 'abort'; id: number; reason: string };

/** An error as it crosses the channel (a PbxlinkError's fields). */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
  retryable?: boolean;
}

export type FromWorker =
  /** A part's JSON at bytes[before, length - after], with room around it for the reply envelope (no part pipe). */
  | { t: 'part'; id: number; n: number; bytes: Uint8Array; before: number; after: number }
  | { t: 'done'; id: number; result: CdrQueryResult }
  | { t: 'error'; id: number; error: WireError };
