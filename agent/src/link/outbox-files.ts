import { closeSync, ftruncateSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';

/** Size of one read when scanning or replaying segments (bounded memory). */
export const READ_CHUNK = 64 * 1024;
const SEGMENT_RE = /^(\d{12})\.seg$/;

/** One segment file of the outbox: number, bytes, complete lines. */
export interface Segment {
  n: number;
  size: number;
  entries: number;
}

/** Numbers of the segment files in `dir`, oldest first. */
export function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .map((f) => SEGMENT_RE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** One line of a segment: `topic\tpayload`; topic '' marks a corrupt line (skipped, still counted). */
export interface SegmentLine {
  topic: string;
  payload: string;
  /** Offset just past the line's newline. */
  end: number;
}

/**
 * Reads the complete lines of a segment starting at `offset` (file size `size`): one 64 KB read, or
 * exactly up to the end of a line longer than that. `consumed` is 0 when no complete line is there.
 */
export function readLines(
  file: string,
  offset: number,
  size: number,
): { lines: SegmentLine[]; consumed: number } {
  const fd = openSync(file, 'r');
  try {
    let len = Math.min(READ_CHUNK, size - offset);
    let buf = Buffer.alloc(len);
    let got = readSync(fd, buf, 0, len, offset);
    let nl = buf.lastIndexOf(10, got - 1);
    while (nl < 0 && offset + got < size) {
      len = Math.min(len * 2, size - offset);
      buf = Buffer.alloc(len);
      got = readSync(fd, buf, 0, len, offset);
      nl = buf.lastIndexOf(10, got - 1);
    }
    const lines: SegmentLine[] = [];
    if (nl < 0) return { lines, consumed: 0 };
    for (let start = 0; start <= nl; ) {
      const end = buf.indexOf(10, start);
      const line = buf.toString('utf8', start, end);
      const tab = line.indexOf('\t');
      const at = offset + end + 1;
      lines.push(
        tab > 0
          ? { topic: line.slice(0, tab), payload: line.slice(tab + 1), end: at }
          : { topic: '', payload: '', end: at },
      );
      start = end + 1;
    }
    return { lines, consumed: nl + 1 };
  } finally {
    closeSync(fd);
  }
}

/** Parsed JSON of a small state file, or null when missing or torn. */
export function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Counts the complete lines of a segment, cutting off a torn last line left by a crash. */
export function scanSegment(file: string, n: number): Segment {
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  try {
    const buf = Buffer.alloc(READ_CHUNK);
    let entries = 0;
    let lastNl = -1;
    for (let pos = 0; pos < size; ) {
      const got = readSync(fd, buf, 0, Math.min(READ_CHUNK, size - pos), pos);
      if (got <= 0) break;
      for (let i = buf.indexOf(10); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) {
        entries++;
        lastNl = pos + i;
      }
      pos += got;
    }
    if (lastNl + 1 < size) ftruncateSync(fd, lastNl + 1);
    return { n, size: lastNl + 1, entries };
  } finally {
    closeSync(fd);
  }
}
