import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PbxlinkError } from '../core/errors';

/** Largest chunk: 64 KiB keeps every blob well within the 96 KB default limit (DESIGN.md "Size"). */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** Chunks awaiting their PUBACK at once: memory per transfer is about window × chunk size. */
export const DEFAULT_WINDOW = 16;

/** A fresh transfer id (one topic level, TRANSFER_ID_PATTERN). */
export function newTransferId(): string {
  return randomBytes(12).toString('base64url');
}

/** The chunk size to use under a payload limit: the default, smaller when the broker allows less. */
export function chunkSizeFor(maxPayloadBytes: number, preferred = DEFAULT_CHUNK_SIZE): number {
  return Math.max(1024, Math.min(preferred, Math.floor(maxPayloadBytes)));
}

/** Sends chunks of one file. */
export interface SendChunksOptions {
  path: string;
  /** Bytes of the file to send in total (from its stat when the transfer began). */
  size: number;
  /** First byte to send: a multiple of chunkSize. */
  offset: number;
  chunkSize: number;
  transferId: string;
  /** Chunks in flight at once (default DEFAULT_WINDOW). */
  window?: number;
  /** Publishes one chunk; resolves on the broker's acknowledgement (QoS 1). */
  publish(transferId: string, index: number, bytes: Uint8Array): Promise<void>;
  signal?: AbortSignal;
}

/** What sendChunks did. */
export interface SendChunksResult {
  chunks_sent: number;
  bytes_sent: number;
}

/** Checks `offset` against the file and chunk size (invalid_args naming `offset`). */
export function checkOffset(offset: number, size: number, chunkSize: number): void {
  if (
    !Number.isSafeInteger(offset) ||
    offset < 0 ||
    offset > size ||
    (offset % chunkSize !== 0 && offset !== size)
  ) {
    throw new PbxlinkError(
      'invalid_args',
      `offset must be a multiple of chunk_size ${chunkSize} and at most size ${size}`,
      {
        details: { arg: 'offset', offset, size, chunk_size: chunkSize },
      },
    );
  }
}

/**
 * Reads the file from `offset` as a stream of chunkSize pieces and publishes piece k as chunk index
 * `offset / chunkSize + k`, keeping at most `window` publishes unacknowledged: reading pauses while the window is
 * full, so memory stays at about window × chunkSize whatever the file size. Rejects on the first failed publish.
 */
export async function sendChunks(o: SendChunksOptions): Promise<SendChunksResult> {
  checkOffset(o.offset, o.size, o.chunkSize);
  const window = Math.max(1, o.window ?? DEFAULT_WINDOW);
  let index = Math.floor(o.offset / o.chunkSize);
  let inFlight = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const settle = () => {
    inFlight--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  const result: SendChunksResult = { chunks_sent: 0, bytes_sent: 0 };
  if (o.offset >= o.size) return result;
  o.signal?.throwIfAborted();
  const stream = createReadStream(o.path, {
    start: o.offset,
    end: o.size - 1,
    highWaterMark: o.chunkSize,
    signal: o.signal,
  });
  let pending: Buffer | undefined;
  // Wakes a waiter on every settled publish and on abort (a dead link may never settle what is in flight).
  const onAbort = () => {
    failure ??= o.signal?.reason ?? new PbxlinkError('internal', 'transfer aborted');
    const w = wake;
    wake = undefined;
    w?.();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const emit = async (bytes: Buffer) => {
    while (inFlight >= window && failure === undefined) await new Promise<void>((r) => (wake = r));
    if (failure !== undefined) throw failure;
    inFlight++;
    const i = index++;
    o.publish(o.transferId, i, bytes).then(settle, (e) => {
      failure ??= e;
      settle();
    });
    result.chunks_sent++;
    result.bytes_sent += bytes.length;
  };
  try {
    for await (const piece of stream) {
      let buf = piece as Buffer;
      if (pending) {
        buf = Buffer.concat([pending, buf]);
        pending = undefined;
      }
      // fs streams give highWaterMark-sized pieces; re-cut anyway so every chunk but the last is exactly chunkSize.
      while (buf.length >= o.chunkSize) {
        await emit(buf.subarray(0, o.chunkSize));
        buf = buf.subarray(o.chunkSize);
      }
      if (buf.length > 0) pending = Buffer.from(buf);
    }
    if (pending) await emit(pending);
  } finally {
    stream.destroy();
    while (inFlight > 0 && !o.signal?.aborted) await new Promise<void>((r) => (wake = r));
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure;
  if (result.bytes_sent !== o.size - o.offset) {
    throw new PbxlinkError(
      'internal',
      `file shrank during the transfer: sent ${result.bytes_sent} of ${o.size - o.offset} bytes`,
    );
  }
  return result;
}

/** Caps concurrent transfers: beyond the limit a request is `busy` (retryable), never queued. */
export class TransferLimiter {
  private active = 0;
  constructor(readonly max: number) {}

  /** Takes a slot or throws busy; call the returned function exactly once to give it back. */
  acquire(): () => void {
    if (this.active >= this.max) {
      throw new PbxlinkError('busy', `${this.active} transfers in progress (max ${this.max}); retry later`, {
        details: { active: this.active, max: this.max },
        retryable: true,
      });
    }
    this.active++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.active--;
      }
    };
  }

  /** Transfers in progress. */
  get inProgress(): number {
    return this.active;
  }
}
