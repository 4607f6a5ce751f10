import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
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

/** Chunks read from the file with one read call (fewer thread-pool round trips than one read per chunk). */
const BLOCK_CHUNKS = 4;

interface Block {
  buf: Buffer;
  /** Chunks of this block not yet acknowledged. */
  refs: number;
  /** Every chunk of the block was handed to publish. */
  emitted: boolean;
}

/**
 * Reads the file from `offset` and publishes piece k as chunk index `offset / chunkSize + k`, keeping at most
 * `window` publishes unacknowledged. The file is read in blocks of a few chunks into buffers allocated once and
 * reused once all their chunks are acknowledged, so memory is about window × chunkSize whatever the file size,
 * and no garbage is made per chunk. Rejects on the first failed publish.
 */
export async function sendChunks(o: SendChunksOptions): Promise<SendChunksResult> {
  checkOffset(o.offset, o.size, o.chunkSize);
  const window = Math.max(1, o.window ?? DEFAULT_WINDOW);
  const perBlock = Math.max(1, Math.min(BLOCK_CHUNKS, Math.floor(window / 2)));
  const blockBytes = o.chunkSize * perBlock;
  const maxBlocks = Math.ceil(window / perBlock) + 1;
  let index = Math.floor(o.offset / o.chunkSize);
  let failure: unknown;
  let wake: (() => void) | undefined;
  const free: Block[] = [];
  let allocated = 0;
  let inFlight = 0;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const wait = () => new Promise<void>((r) => (wake = r));
  const result: SendChunksResult = { chunks_sent: 0, bytes_sent: 0 };
  if (o.offset >= o.size) return result;
  o.signal?.throwIfAborted();
  // Wakes a waiter on abort too (a dead link may never settle what is in flight).
  const onAbort = () => {
    failure ??= o.signal?.reason ?? new PbxlinkError('internal', 'transfer aborted');
    poke();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const fh = await open(o.path, 'r');
  try {
    for (let pos = o.offset; pos < o.size; ) {
      while (free.length === 0 && allocated >= maxBlocks && failure === undefined) await wait();
      if (failure !== undefined) throw failure;
      let block = free.pop();
      if (!block) {
        block = { buf: Buffer.allocUnsafe(blockBytes), refs: 0, emitted: false };
        allocated++;
      }
      block.refs = 0;
      block.emitted = false;
      const want = Math.min(blockBytes, o.size - pos);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(block.buf, got, want - got, pos + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < want) {
        throw new PbxlinkError(
          'internal',
          `file shrank during the transfer: ${o.size - pos - got} bytes missing`,
        );
      }
      const b = block;
      for (let off = 0; off < got; off += o.chunkSize) {
        while (inFlight >= window && failure === undefined) await wait();
        if (failure !== undefined) throw failure;
        const len = Math.min(o.chunkSize, got - off);
        b.refs++;
        inFlight++;
        o.publish(o.transferId, index++, b.buf.subarray(off, off + len)).then(
          () => {
            inFlight--;
            if (--b.refs === 0 && b.emitted) free.push(b);
            poke();
          },
          (e) => {
            inFlight--;
            failure ??= e;
            poke();
          },
        );
        result.chunks_sent++;
        result.bytes_sent += len;
      }
      b.emitted = true;
      if (b.refs === 0) free.push(b);
      pos += got;
    }
  } finally {
    while (inFlight > 0 && !o.signal?.aborted) await wait();
    o.signal?.removeEventListener('abort', onAbort);
    await fh.close();
  }
  if (failure !== undefined) throw failure;
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
