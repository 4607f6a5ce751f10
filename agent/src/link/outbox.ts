import { closeSync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PbxlinkError } from '../core/errors';
import { listSegments, readJson, readLines, type Segment, scanSegment } from './outbox-files';

/** Default bound of the on-disk outbox (issue 4 part 3). */
export const DEFAULT_OUTBOX_BYTES = 64 * 1024 * 1024;
/** Default size at which a segment is sealed and a new one started. */
export const DEFAULT_SEGMENT_BYTES = 1024 * 1024;
const FLUSH_AT = 256 * 1024;

/** One message read back from the outbox; `id` is the token to `ack` it with. */
export interface OutboxEntry {
  id: number;
  topic: string;
  payload: string;
}

/** Options of the disk outbox. */
export interface DiskOutboxOptions {
  /** Bound on the bytes of all segments; over it, the oldest segment is dropped. */
  maxBytes?: number;
  segmentBytes?: number;
  /** Milliseconds between writes of the replay cursor (a crash replays at most this much again). */
  cursorDelayMs?: number;
  now?: () => number;
}

interface Pending {
  id: number;
  seg: number;
  end: number;
  acked: boolean;
}

/**
 * Append-only segment files `NNNNNNNNNNNN.seg` in `dir`, one `topic\tpayload\n` line per message.
 * Replay streams them in order (`next()`, 64 KB reads, never the whole outbox in memory); an entry
 * is gone only after `ack()` (PUBACK) of it and of everything before it. The replay cursor is written
 * every `cursorDelayMs`, so a crash replays at most that much again (QoS 1 is at-least-once anyway;
 * consumers drop duplicates by `seq`). Over `maxBytes`, whole oldest segments are dropped and counted.
 */
export class DiskOutbox {
  private segments: Segment[] = [];
  private writeFd: number | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private cursor = { seg: 0, offset: 0, acked: 0 };
  private readSeg = 0;
  private readOffset = 0;
  private readBuf: { topic: string; payload: string; end: number }[] = [];
  private readonly unacked: Pending[] = [];
  private readonly byId = new Map<number, Pending>();
  private nextId = 1;
  private droppedCount = 0;
  private droppedSince: string | null = null;
  private cursorTimer: NodeJS.Timeout | undefined;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly cursorDelayMs: number;
  private readonly now: () => number;

  /** Opens the outbox in `dir`, reloading segments, cursor and dropped count left by an earlier process. */
  constructor(
    private readonly dir: string,
    opts: DiskOutboxOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_OUTBOX_BYTES;
    this.segmentBytes = Math.min(opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES, Math.floor(this.maxBytes / 4));
    this.cursorDelayMs = opts.cursorDelayMs ?? 200;
    this.now = opts.now ?? Date.now;
    if (!(this.segmentBytes >= 256))
      throw new PbxlinkError('invalid_args', `outbox bound ${this.maxBytes} is too small`);
    mkdirSync(dir, { recursive: true });
    this.load();
  }

  /** Messages not yet acknowledged (read or not). */
  get entries(): number {
    let n = 0;
    for (const s of this.segments) n += s.entries;
    return n - (this.segments[0]?.n === this.cursor.seg ? this.cursor.acked : 0);
  }

  /** Bytes of all segment files (including what is buffered for writing). */
  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  /** True when nothing is waiting, read or unread. */
  get isEmpty(): boolean {
    return this.entries === 0;
  }

  /** Events dropped at the bound since the last `clearDropped`, and since when. */
  get dropped(): { dropped: number; since: string | null } {
    return { dropped: this.droppedCount, since: this.droppedSince };
  }

  /** Forgets `n` reported drops (after the report was acknowledged). */
  clearDropped(n: number): void {
    this.droppedCount = Math.max(0, this.droppedCount - n);
    if (this.droppedCount === 0) this.droppedSince = null;
    this.writeDropped();
  }

  /** Appends one message (buffered; written at the next tick or when 256 KB are pending). */
  append(topic: string, payload: string): void {
    if (/[\t\n]/.test(topic) || payload.includes('\n')) {
      throw new PbxlinkError('invalid_args', 'outbox entries cannot hold tabs in topics or newlines');
    }
    const line = `${topic}\t${payload}\n`;
    const size = Buffer.byteLength(line);
    let seg = this.segments[this.segments.length - 1];
    if (this.writeFd === undefined || !seg || seg.size >= this.segmentBytes) seg = this.openSegment();
    this.pending.push(line);
    this.pendingBytes += size;
    seg.size += size;
    seg.entries += 1;
    if (this.pendingBytes >= FLUSH_AT) this.flush();
    else if (this.pending.length === 1) setImmediate(() => this.flush());
    while (this.bytes > this.maxBytes && this.segments.length > 1) this.dropOldest();
  }

  /** The next unread message in order, or null when every written message was read. */
  next(): OutboxEntry | null {
    for (;;) {
      if (this.readBuf.length === 0 && !this.fill()) return null;
      const e = this.readBuf.shift()!;
      const p: Pending = { id: this.nextId++, seg: this.readSeg, end: e.end, acked: false };
      this.unacked.push(p);
      this.byId.set(p.id, p);
      // A corrupt line (no tab) is skipped; it still counts as one entry of its segment.
      if (e.topic === '') this.ack(p.id);
      else return { id: p.id, topic: e.topic, payload: e.payload };
    }
  }

  /** Number of messages read and not yet acknowledged. */
  get inFlight(): number {
    return this.unacked.length;
  }

  /** Marks a read message as delivered; the cursor advances over the acknowledged prefix. */
  ack(id: number): void {
    const p = this.byId.get(id);
    if (!p) return;
    p.acked = true;
    while (this.unacked[0]?.acked) {
      const done = this.unacked.shift()!;
      this.byId.delete(done.id);
      this.advanceCursor(done.seg, done.end);
    }
  }

  /** Forgets every unacknowledged read: the next `next()` starts again at the cursor (after a lost connection). */
  rewind(): void {
    this.unacked.length = 0;
    this.byId.clear();
    this.readBuf = [];
    this.readSeg = this.cursor.seg;
    this.readOffset = this.cursor.offset;
  }

  /** Writes buffered lines to the current segment. */
  flush(): void {
    if (this.pending.length === 0 || this.writeFd === undefined) return;
    const data = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    writeSync(this.writeFd, data);
  }

  /** Flushes, writes the cursor, closes the file. The outbox stays on disk for the next process. */
  close(): void {
    this.flush();
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = undefined;
    this.writeCursor();
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    this.writeFd = undefined;
  }

  private path(n: number): string {
    return join(this.dir, `${String(n).padStart(12, '0')}.seg`);
  }

  private openSegment(): Segment {
    this.flush();
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    const last = this.segments[this.segments.length - 1];
    const seg: Segment = { n: last ? last.n + 1 : Math.max(1, this.cursor.seg), size: 0, entries: 0 };
    this.writeFd = openSync(this.path(seg.n), 'a', 0o600);
    this.segments.push(seg);
    if (this.segments.length === 1) {
      this.cursor = { seg: seg.n, offset: 0, acked: 0 };
      this.readSeg = seg.n;
      this.readOffset = 0;
    }
    return seg;
  }

  /** Drops the oldest segment at the bound; its unacknowledged messages are counted as dropped. */
  private dropOldest(): void {
    const head = this.segments.shift()!;
    const lost = head.entries - (this.cursor.seg === head.n ? this.cursor.acked : 0);
    unlinkSync(this.path(head.n));
    this.droppedCount += lost;
    this.droppedSince ??= new Date(this.now()).toISOString();
    this.writeDropped();
    for (let i = this.unacked.length - 1; i >= 0; i--) {
      const p = this.unacked[i]!;
      if (p.seg === head.n) {
        this.unacked.splice(i, 1);
        this.byId.delete(p.id);
      }
    }
    const next = this.segments[0]!;
    this.cursor = { seg: next.n, offset: 0, acked: 0 };
    if (this.readSeg === head.n) {
      this.readSeg = next.n;
      this.readOffset = 0;
      this.readBuf = [];
    }
    this.scheduleCursor();
  }

  private advanceCursor(segN: number, end: number): void {
    while (this.segments[0] && this.segments[0].n < segN) this.removeHead();
    if (this.cursor.seg !== segN) this.cursor = { seg: segN, offset: 0, acked: 0 };
    this.cursor.offset = end;
    this.cursor.acked += 1;
    const head = this.segments[0];
    if (head && head.n === segN && end >= head.size && this.pending.length === 0) {
      const isWrite = this.segments.length === 1;
      if (!isWrite || (this.unacked.length === 0 && this.readBuf.length === 0)) {
        if (isWrite && this.writeFd !== undefined) {
          closeSync(this.writeFd);
          this.writeFd = undefined;
        }
        this.removeHead();
      }
    }
    this.scheduleCursor();
  }

  /** Deletes the fully delivered oldest segment. */
  private removeHead(): void {
    const head = this.segments.shift()!;
    unlinkSync(this.path(head.n));
    const next = this.segments[0];
    this.cursor = { seg: next ? next.n : head.n + 1, offset: 0, acked: 0 };
    if (!next) {
      this.readSeg = this.cursor.seg;
      this.readOffset = 0;
    }
  }

  /** Reads the next chunk of lines into readBuf; false at the end of what was written. */
  private fill(): boolean {
    this.flush();
    for (;;) {
      const seg = this.segments.find((s) => s.n === this.readSeg);
      if (!seg) {
        const later = this.segments.find((s) => s.n > this.readSeg);
        if (!later) return false;
        this.readSeg = later.n;
        this.readOffset = 0;
        continue;
      }
      if (this.readOffset >= seg.size) {
        const later = this.segments.find((s) => s.n > seg.n);
        if (!later) return false;
        this.readSeg = later.n;
        this.readOffset = 0;
        continue;
      }
      const { lines, consumed } = readLines(this.path(seg.n), this.readOffset, seg.size);
      if (consumed === 0) return false;
      this.readBuf.push(...lines);
      this.readOffset += consumed;
      if (this.readBuf.length > 0) return true;
    }
  }

  private scheduleCursor(): void {
    if (this.cursorTimer) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      this.writeCursor();
    }, this.cursorDelayMs);
    this.cursorTimer.unref();
  }

  private writeCursor(): void {
    const tmp = join(this.dir, 'cursor.tmp');
    writeFileSync(
      tmp,
      JSON.stringify({ segment: this.cursor.seg, offset: this.cursor.offset, acked: this.cursor.acked }),
    );
    renameSync(tmp, join(this.dir, 'cursor'));
  }

  private writeDropped(): void {
    const tmp = join(this.dir, 'dropped.tmp');
    writeFileSync(tmp, JSON.stringify({ dropped: this.droppedCount, since: this.droppedSince }));
    renameSync(tmp, join(this.dir, 'dropped'));
  }

  /** Reloads what an earlier process left: segments (a torn last line is cut off), cursor, dropped count. */
  private load(): void {
    const cur = readJson(join(this.dir, 'cursor')) as {
      segment?: number;
      offset?: number;
      acked?: number;
    } | null;
    const drop = readJson(join(this.dir, 'dropped')) as { dropped?: number; since?: string | null } | null;
    if (drop && Number.isSafeInteger(drop.dropped)) {
      this.droppedCount = drop.dropped!;
      this.droppedSince = typeof drop.since === 'string' ? drop.since : null;
    }
    const names = listSegments(this.dir);
    const curSeg = cur && Number.isSafeInteger(cur.segment) ? cur.segment! : 0;
    for (const n of names) {
      if (n < curSeg) {
        unlinkSync(this.path(n));
        continue;
      }
      const seg = scanSegment(this.path(n), n);
      if (seg.entries === 0) unlinkSync(this.path(n));
      else this.segments.push(seg);
    }
    const head = this.segments[0];
    if (head && head.n === curSeg && Number.isSafeInteger(cur?.offset) && Number.isSafeInteger(cur?.acked)) {
      this.cursor = {
        seg: head.n,
        offset: Math.min(cur!.offset!, head.size),
        acked: Math.min(cur!.acked!, head.entries),
      };
    } else {
      this.cursor = { seg: head ? head.n : Math.max(1, curSeg), offset: 0, acked: 0 };
    }
    this.readSeg = this.cursor.seg;
    this.readOffset = this.cursor.offset;
  }
}
