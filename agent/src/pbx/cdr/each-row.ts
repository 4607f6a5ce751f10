import type { Readable } from 'node:stream';

/**
 * Calls `fn` for every row of an object-mode stream, reading synchronously whatever is buffered and awaiting
 * only when `fn` returns a promise (a part is being sent): the stream is not read meanwhile, so the database
 * socket pauses — backpressure without a promise per row. The stream is destroyed if `fn` throws.
 */
export async function eachRow<T>(stream: Readable, fn: (row: T) => void | Promise<void>): Promise<void> {
  let error: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  stream.on('readable', poke);
  stream.once('end', () => {
    ended = true;
    poke();
  });
  stream.once('error', (e) => {
    error = e;
    poke();
  });
  stream.once('close', () => {
    ended = true;
    poke();
  });
  try {
    for (;;) {
      for (let row = stream.read() as T | null; row !== null; row = stream.read() as T | null) {
        const pending = fn(row);
        if (pending) await pending;
      }
      if (error !== undefined) throw error;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    stream.removeListener('readable', poke);
    if (!stream.readableEnded) stream.destroy();
  }
}
