/**
 * The trusted command keys (DESIGN.md "Commands": `[{"kid","publicKey","scopes"}]`), read from
 * PBXLINK_TRUSTED_KEYS and re-read when the file changes, so an operator adds or revokes a key without a
 * restart. A file that does not parse keeps the keys in force and logs every problem; it never widens access.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { MAX_TRUSTED_KEYS_BYTES, parseTrustedKeys, type TrustedKey } from '../../../protocol/src/keys';
import type { Clock, Timer } from '../core/clock';
import type { Logger } from '../core/log';

/** Options of the key store. */
export interface TrustedKeyStoreOptions {
  /** The trusted-keys file. */
  file: string;
  clock: Clock;
  log: Logger;
  /** Quiet time after the last change event before the file is read again (editors write in steps). */
  debounceMs?: number;
  /** Also re-read every this many ms (a safety net where inotify misses a change, e.g. some bind mounts); 0 = off. */
  pollMs?: number;
}

/** Outcome of one (re)load, for logs and tests. */
export type KeysLoad = { ok: true; count: number; changed: boolean } | { ok: false; problems: string[] };

/** Trusted keys by kid, hot-reloaded from their file; `resolve` is what verifyCommand calls. */
export class TrustedKeyStore {
  private keys = new Map<string, TrustedKey>();
  private digest = '';
  private watcher: FSWatcher | undefined;
  private debounce: Timer | undefined;
  private poll: Timer | undefined;
  private readonly listeners: ((r: KeysLoad) => void)[] = [];

  constructor(private readonly opts: TrustedKeyStoreOptions) {}

  /** Number of keys in force. */
  get size(): number {
    return this.keys.size;
  }

  /** The key with this kid, or undefined (an unknown or revoked kid). */
  resolve(kid: string): TrustedKey | undefined {
    return this.keys.get(kid);
  }

  /** The kids in force (for logs and `pbxlink check`). */
  kids(): string[] {
    return [...this.keys.keys()];
  }

  /** Called after every reload attempt (tests wait on it). */
  onReload(fn: (r: KeysLoad) => void): void {
    this.listeners.push(fn);
  }

  /** Reads the file now and starts watching its directory (renames by editors and config tools included). */
  start(): KeysLoad {
    const first = this.reload();
    if (!this.watcher) {
      const dir = dirname(this.opts.file);
      const name = basename(this.opts.file);
      try {
        this.watcher = watch(dir, { persistent: false }, (_event, file) => {
          if (file === null || file === name || String(file) === name) this.schedule();
        });
        this.watcher.on('error', (err) => this.opts.log.warn({ err, dir }, 'trusted keys watch failed'));
      } catch (err) {
        this.opts.log.warn({ err, dir }, 'cannot watch the trusted keys directory; changes need a restart');
      }
    }
    const pollMs = this.opts.pollMs ?? 0;
    if (pollMs > 0 && this.poll === undefined)
      this.poll = this.opts.clock.setInterval(() => this.reload(), pollMs);
    return first;
  }

  /** Stops watching; the keys in force stay. Idempotent. */
  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.opts.clock.clearTimeout(this.debounce);
    this.debounce = undefined;
    this.opts.clock.clearInterval(this.poll);
    this.poll = undefined;
  }

  /** Reads the file again; on any problem keeps the previous keys and logs the problems. */
  reload(): KeysLoad {
    const r = this.read();
    for (const fn of this.listeners) {
      try {
        fn(r);
      } catch (err) {
        this.opts.log.error({ err }, 'trusted keys listener failed');
      }
    }
    return r;
  }

  private schedule(): void {
    this.opts.clock.clearTimeout(this.debounce);
    this.debounce = this.opts.clock.setTimeout(() => {
      this.debounce = undefined;
      this.reload();
    }, this.opts.debounceMs ?? 200);
  }

  private read(): KeysLoad {
    const file = this.opts.file;
    let text: string;
    try {
      const buf = readFileSync(file);
      if (buf.length > MAX_TRUSTED_KEYS_BYTES) throw new Error(`larger than ${MAX_TRUSTED_KEYS_BYTES} bytes`);
      text = buf.toString('utf8');
    } catch (err) {
      const problems = [`cannot read ${file}: ${(err as Error).message}`];
      this.opts.log.error(
        { file, problems, kept: this.keys.size },
        'trusted keys not loaded; previous keys kept',
      );
      return { ok: false, problems };
    }
    const digest = createHash('sha256').update(text).digest('hex');
    if (digest === this.digest) return { ok: true, count: this.keys.size, changed: false };
    let parsed: TrustedKey[];
    try {
      parsed = parseTrustedKeys(text);
    } catch (err) {
      const details = (err as { details?: { problems?: unknown } }).details;
      const problems = Array.isArray(details?.problems)
        ? (details.problems as string[])
        : [String((err as Error).message)];
      this.opts.log.error(
        { file, problems, kept: this.keys.size },
        'trusted keys file invalid; previous keys kept',
      );
      return { ok: false, problems };
    }
    const before = new Set(this.keys.keys());
    this.keys = new Map(parsed.map((k) => [k.kid, k]));
    this.digest = digest;
    const added = parsed.map((k) => k.kid).filter((k) => !before.has(k));
    const removed = [...before].filter((k) => !this.keys.has(k));
    this.opts.log.info({ file, keys: this.keys.size, added, removed }, 'trusted keys loaded');
    return { ok: true, count: this.keys.size, changed: true };
  }
}
