import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** sha256 (hex) of a file's first `size` bytes (all when absent), read through one reused 1 MiB buffer
 * (memory independent of the file size, no garbage per read). */
export async function sha256File(path: string, size?: number, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const end = size ?? (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, Math.max(1, end)));
    for (let pos = 0; pos < end; ) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

/** Remembers the sha256 of recent files by (path, size, mtime, inode), so a resumed transfer or a get
 * right after the announcement does not read the whole file again. Bounded (oldest dropped). */
export class HashCache {
  private readonly map = new Map<string, string>();
  constructor(private readonly max = 256) {}

  private static key(f: { abs: string; size: number; mtimeMs: number; ino: number }): string {
    return `${f.abs}\0${f.size}\0${f.mtimeMs}\0${f.ino}`;
  }

  /** The cached hash, or computes, stores and returns it. */
  async get(
    f: { abs: string; size: number; mtimeMs: number; ino: number },
    signal?: AbortSignal,
  ): Promise<string> {
    const k = HashCache.key(f);
    const hit = this.map.get(k);
    if (hit !== undefined) {
      this.map.delete(k);
      this.map.set(k, hit);
      return hit;
    }
    const h = await sha256File(f.abs, f.size, signal);
    this.put(f, h);
    return h;
  }

  /** Stores a hash computed elsewhere (the watcher). */
  put(f: { abs: string; size: number; mtimeMs: number; ino: number }, sha256: string): void {
    const k = HashCache.key(f);
    this.map.delete(k);
    this.map.set(k, sha256);
    while (this.map.size > this.max) {
      const first = this.map.keys().next().value as string;
      this.map.delete(first);
    }
  }
}
