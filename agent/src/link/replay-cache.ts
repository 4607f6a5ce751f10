/**
 * The replay cache of DESIGN.md "Commands", persisted in PBXLINK_STATE_DIR: every accepted jti with the sha256 of
 * its token until `exp` + skew, and the replies it got, so that a redelivered command (same token) gets its first
 * reply again — also after a restart — and is never run twice, while a different token reusing a jti is `replayed`.
 *
 * On disk: `replay-cache.jsonl`, append-only, one JSON object per line: `{"c":jti,"h":sha256,"u":until}` when a
 * jti is claimed (written before the command runs), `{"r":jti,"p":[reply…],"o":omitted,"x":outcome}` once it
 * replied. Lines of expired jtis are dropped by compaction (rewrite + rename). A torn last line is ignored.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { CLOCK_SKEW_S, type ReplayCache, type ReplayVerdict } from '../../../protocol/src/signing';
import type { ErrorCode } from '../core/errors';
import { PbxlinkError } from '../core/errors';
import type { Logger } from '../core/log';

/** The cache file's name in the state dir. */
export const REPLAY_FILE = 'replay-cache.jsonl';
/** Replies of one command kept in full up to this many bytes; beyond, only the final reply is kept. */
export const MAX_CACHED_REPLY_BYTES = 64 * 1024;
/** Bytes of cached replies held in memory at most; beyond, the oldest entries lose their bodies. */
export const MAX_CACHED_TOTAL_BYTES = 32 * 1024 * 1024;
/** Longest line read back from the file (a reply line is at most ~2 × 160 KB once escaped). */
const MAX_LINE_BYTES = 1024 * 1024;

/** What a command replied, as cached for redelivery. */
export interface CachedReplies {
  /** The reply payloads as sent, in order (parts dropped when `omitted` > 0; the final one always kept unless evicted). */
  readonly replies: readonly string[];
  /** Parts left out because the whole exceeded MAX_CACHED_REPLY_BYTES. */
  readonly omitted: number;
  /** `ok` or the error code. */
  readonly outcome: 'ok' | ErrorCode;
  /** True when memory pressure dropped the bodies (only the outcome is known). */
  readonly evicted?: boolean;
}

interface Entry {
  sha: string;
  until: number;
  replies?: CachedReplies;
  bytes: number;
}

/** Options of the persistent cache. */
export interface ReplayCacheOptions {
  log: Logger;
  /** Most live jtis remembered (a flood of distinct commands gets `busy`). Default 100 000. */
  maxEntries?: number;
  maxReplyBytes?: number;
  maxTotalBytes?: number;
}

/** Collects the replies of one command as they are sent, within the per-command bound. */
export class ReplyRecorder {
  private kept: string[] = [];
  private bytes = 0;
  private omitted = 0;
  private final: string | undefined;

  constructor(private readonly maxBytes: number = MAX_CACHED_REPLY_BYTES) {}

  /** Records one reply payload (text, or its UTF-8 bytes); `final` for the last one (ok, done or error). */
  add(payload: string | Buffer, final: boolean): void {
    if (final) {
      this.final = payload.toString();
      return;
    }
    if (this.omitted === 0 && this.bytes + payload.length <= this.maxBytes) {
      this.kept.push(payload.toString());
      this.bytes += payload.length;
    } else {
      this.omitted += this.kept.length + 1;
      this.kept = [];
      this.bytes = 0;
    }
  }

  /** The cache record: everything when small, else the final reply alone with the count of parts left out. */
  result(outcome: 'ok' | ErrorCode): CachedReplies {
    const replies = this.final === undefined ? this.kept : [...this.kept, this.final];
    return { replies, omitted: this.omitted, outcome };
  }
}

/** A ReplayCache (protocol signing.ts) that also keeps the first replies, persisted across restarts. */
export class PersistentReplayCache implements ReplayCache {
  private readonly entries = new Map<string, Entry>();
  private fd: number | undefined;
  private fileBytes = 0;
  private heldBytes = 0;
  private readonly maxEntries: number;
  private readonly maxTotalBytes: number;
  private readonly path: string;

  private constructor(
    dir: string,
    private readonly opts: ReplayCacheOptions,
  ) {
    this.path = join(dir, REPLAY_FILE);
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.maxTotalBytes = opts.maxTotalBytes ?? MAX_CACHED_TOTAL_BYTES;
  }

  /** Loads `dir/replay-cache.jsonl` (live entries only), compacts it and opens it for appending. */
  static open(dir: string, nowSecs: number, opts: ReplayCacheOptions): PersistentReplayCache {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const cache = new PersistentReplayCache(dir, opts);
    cache.load(nowSecs);
    cache.compact(nowSecs);
    return cache;
  }

  /** Number of remembered jtis. */
  get size(): number {
    return this.entries.size;
  }

  /** Records the jti (durably, before the command runs) unless present; tells new / redelivery / replay. */
  claim(jti: string, tokenSha256: string, expSecs: number, now: number): ReplayVerdict {
    const hit = this.entries.get(jti);
    if (hit && hit.until >= now) return hit.sha === tokenSha256 ? 'redelivery' : 'replay';
    if (this.entries.size >= this.maxEntries) this.prune(now);
    if (this.entries.size >= this.maxEntries)
      throw new PbxlinkError('busy', 'too many commands in flight (replay cache full)');
    const until = expSecs + CLOCK_SKEW_S;
    // On disk first: if the write fails the command is refused (internal), never run unrecorded.
    this.append({ c: jti, h: tokenSha256, u: until });
    this.entries.delete(jti);
    this.entries.set(jti, { sha: tokenSha256, until, bytes: 0 });
    return 'new';
  }

  /** Stores what a claimed jti replied (persisted). */
  store(jti: string, replies: CachedReplies): void {
    const e = this.entries.get(jti);
    if (!e) return;
    this.setReplies(e, replies);
    this.evictBodies();
    try {
      this.append({ r: jti, p: replies.replies, o: replies.omitted, x: replies.outcome });
    } catch (err) {
      // Kept in memory; after a restart a redelivery of this jti gets `internal` (outcome unknown).
      this.opts.log.error({ err, jti }, 'replay cache: reply not persisted');
    }
  }

  /** The cached replies of a jti, or undefined while it has not replied yet (running, or interrupted by a restart). */
  lookup(jti: string): CachedReplies | undefined {
    return this.entries.get(jti)?.replies;
  }

  /** Forgets expired jtis; rewrites the file when most of it is dead. */
  prune(now: number): void {
    for (const [jti, e] of this.entries) {
      if (e.until < now) {
        this.heldBytes -= e.bytes;
        this.entries.delete(jti);
      }
    }
    if (this.fileBytes > 1024 * 1024 && this.fileBytes > 4 * this.liveEstimate()) this.compact(now);
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private liveEstimate(): number {
    return this.entries.size * 120 + this.heldBytes;
  }

  private setReplies(e: Entry, replies: CachedReplies): void {
    this.heldBytes -= e.bytes;
    e.replies = replies;
    e.bytes = replies.replies.reduce((n, r) => n + r.length, 0);
    this.heldBytes += e.bytes;
  }

  /** Over the memory budget, the oldest entries keep only their outcome. */
  private evictBodies(): void {
    if (this.heldBytes <= this.maxTotalBytes) return;
    for (const e of this.entries.values()) {
      if (this.heldBytes <= this.maxTotalBytes) break;
      if (!e.replies || e.bytes === 0) continue;
      this.heldBytes -= e.bytes;
      e.bytes = 0;
      e.replies = { replies: [], omitted: 0, outcome: e.replies.outcome, evicted: true };
    }
  }

  private append(rec: unknown): void {
    const line = `${JSON.stringify(rec)}\n`;
    if (this.fd === undefined) this.fd = openSync(this.path, 'a', 0o600);
    const buf = Buffer.from(line);
    writeSync(this.fd, buf);
    this.fileBytes += buf.length;
  }

  private load(now: number): void {
    if (!existsSync(this.path)) return;
    let bad = 0;
    forEachLine(this.path, (line) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        bad++;
        return;
      }
      if (typeof rec.c === 'string' && typeof rec.h === 'string' && typeof rec.u === 'number') {
        if (rec.u >= now) this.entries.set(rec.c, { sha: rec.h, until: rec.u, bytes: 0 });
      } else if (typeof rec.r === 'string' && Array.isArray(rec.p) && typeof rec.x === 'string') {
        const e = this.entries.get(rec.r);
        if (e)
          this.setReplies(e, {
            replies: rec.p.filter((p): p is string => typeof p === 'string'),
            omitted: typeof rec.o === 'number' ? rec.o : 0,
            outcome: rec.x as CachedReplies['outcome'],
          });
      } else bad++;
    });
    this.evictBodies();
    if (bad > 0) this.opts.log.warn({ file: this.path, bad }, 'replay cache: unreadable lines skipped');
    this.opts.log.info({ file: this.path, live: this.entries.size }, 'replay cache loaded');
  }

  /** Rewrites the file with the live entries only (tmp + fsync + rename: a crash keeps one whole file). */
  private compact(now: number): void {
    this.close();
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    let bytes = 0;
    try {
      for (const [jti, e] of this.entries) {
        if (e.until < now) continue;
        const lines = [JSON.stringify({ c: jti, h: e.sha, u: e.until })];
        if (e.replies && !e.replies.evicted)
          lines.push(
            JSON.stringify({ r: jti, p: e.replies.replies, o: e.replies.omitted, x: e.replies.outcome }),
          );
        else if (e.replies) lines.push(JSON.stringify({ r: jti, p: [], o: 0, x: e.replies.outcome }));
        const buf = Buffer.from(`${lines.join('\n')}\n`);
        writeSync(fd, buf);
        bytes += buf.length;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.fileBytes = bytes;
  }

  /** Size of the file on disk now (tests). */
  fileSize(): number {
    return existsSync(this.path) ? statSync(this.path).size : 0;
  }
}

/** Calls `fn` for each complete line of a file, reading in chunks (bounded memory); over-long lines are skipped. */
function forEachLine(path: string, fn: (line: string) => void): void {
  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(64 * 1024);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false;
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      let start = 0;
      for (let i = 0; i < n; i++) {
        if (chunk[i] !== 0x0a) continue;
        if (!skipping) {
          pending.push(chunk.subarray(start, i));
          const line = Buffer.concat(pending).toString('utf8');
          if (line.length > 0) fn(line);
        }
        pending = [];
        pendingBytes = 0;
        skipping = false;
        start = i + 1;
      }
      if (start < n && !skipping) {
        pending.push(Buffer.from(chunk.subarray(start, n)));
        pendingBytes += n - start;
        if (pendingBytes > MAX_LINE_BYTES) {
          skipping = true;
          pending = [];
          pendingBytes = 0;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  // A last line without its newline was torn by a crash: ignored.
}
