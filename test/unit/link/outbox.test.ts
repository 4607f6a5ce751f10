import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskOutbox, type OutboxEntry } from '../../../agent/src/link/outbox';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'pbxlink-outbox-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const segs = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.seg'));

function drain(o: DiskOutbox, ack = true): OutboxEntry[] {
  const out: OutboxEntry[] = [];
  for (let e = o.next(); e; e = o.next()) {
    out.push(e);
    if (ack) o.ack(e.id);
  }
  return out;
}

describe('DiskOutbox', () => {
  it('replays in order and deletes segments once every entry is acknowledged', () => {
    const dir = tmp();
    const o = new DiskOutbox(dir, { maxBytes: 1024 * 1024, segmentBytes: 300 });
    for (let i = 1; i <= 50; i++) o.append(`p/a/events/x`, JSON.stringify({ seq: i }));
    expect(o.entries).toBe(50);
    expect(segs(dir).length).toBeGreaterThan(3);
    const got = drain(o);
    expect(got.map((e) => JSON.parse(e.payload).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(got[0]!.topic).toBe('p/a/events/x');
    expect(o.entries).toBe(0);
    expect(o.isEmpty).toBe(true);
    expect(segs(dir)).toEqual([]);
    o.close();
  });

  it('keeps unacknowledged entries: rewind replays them again, acked ones are gone', () => {
    const o = new DiskOutbox(tmp(), { segmentBytes: 256 });
    for (let i = 1; i <= 10; i++) o.append('t', `{"n":${i}}`);
    const first = drain(o, false);
    expect(first).toHaveLength(10);
    o.ack(first[0]!.id);
    o.ack(first[1]!.id);
    o.ack(first[3]!.id); // out of order: not past 3 yet
    o.rewind();
    const again = drain(o, false).map((e) => JSON.parse(e.payload).n);
    expect(again).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    o.close();
  });

  it('survives a restart: a new instance on the same dir replays what was not acknowledged', () => {
    const dir = tmp();
    const a = new DiskOutbox(dir, { segmentBytes: 256, cursorDelayMs: 1 });
    for (let i = 1; i <= 30; i++) a.append('t', `{"n":${i}}`);
    for (let i = 0; i < 12; i++) a.ack(a.next()!.id);
    a.close();
    const b = new DiskOutbox(dir, { segmentBytes: 256 });
    expect(b.entries).toBe(18);
    expect(drain(b).map((e) => JSON.parse(e.payload).n)).toEqual(
      Array.from({ length: 18 }, (_, i) => i + 13),
    );
    b.close();
  });

  it('cuts off a torn last line left by a crash and skips corrupt lines', () => {
    const dir = tmp();
    const a = new DiskOutbox(dir);
    a.append('t', '{"n":1}');
    a.append('t', '{"n":2}');
    a.close();
    const seg = join(dir, segs(dir)[0]!);
    appendFileSync(seg, 'garbage-without-tab\nt\t{"n":3}\nt\t{"n":');
    const b = new DiskOutbox(dir);
    expect(drain(b).map((e) => e.payload)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(b.isEmpty).toBe(true);
    b.close();
  });

  it('drops the oldest segments at the bound and counts what was dropped', () => {
    const dir = tmp();
    const o = new DiskOutbox(dir, {
      maxBytes: 4096,
      segmentBytes: 1024,
      now: () => Date.parse('2026-01-01T00:00:00Z'),
    });
    const payload = (i: number) => JSON.stringify({ n: i, pad: 'x'.repeat(80) });
    for (let i = 1; i <= 200; i++) o.append('t', payload(i));
    expect(o.bytes).toBeLessThanOrEqual(4096);
    const { dropped, since } = o.dropped;
    expect(dropped).toBeGreaterThan(0);
    expect(since).toBe('2026-01-01T00:00:00.000Z');
    const left = drain(o).map((e) => JSON.parse(e.payload).n);
    // The newest survive, contiguous, and exactly the dropped ones are missing.
    expect(left[left.length - 1]).toBe(200);
    expect(left[0]).toBe(dropped + 1);
    expect(left).toEqual(Array.from({ length: left.length }, (_, i) => dropped + 1 + i));
    o.clearDropped(dropped);
    expect(o.dropped).toEqual({ dropped: 0, since: null });
    o.close();
  });

  it('persists the dropped count across a restart', () => {
    const dir = tmp();
    const a = new DiskOutbox(dir, { maxBytes: 2048, segmentBytes: 512 });
    for (let i = 1; i <= 100; i++) a.append('t', JSON.stringify({ n: i, pad: 'y'.repeat(40) }));
    const n = a.dropped.dropped;
    expect(n).toBeGreaterThan(0);
    a.close();
    expect(new DiskOutbox(dir, { maxBytes: 2048, segmentBytes: 512 }).dropped.dropped).toBe(n);
  });

  it('reads entries appended while replaying, after the older ones', () => {
    const o = new DiskOutbox(tmp(), { segmentBytes: 256 });
    for (let i = 1; i <= 5; i++) o.append('t', `{"n":${i}}`);
    const seen: number[] = [];
    for (let e = o.next(), i = 6; e; e = o.next(), i++) {
      seen.push(JSON.parse(e.payload).n);
      o.ack(e.id);
      if (i <= 8) o.append('t', `{"n":${i}}`);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    o.close();
  });

  it('streams a large outbox in bounded reads (lines longer than one read chunk too)', () => {
    const o = new DiskOutbox(tmp(), { maxBytes: 8 * 1024 * 1024, segmentBytes: 512 * 1024 });
    const big = 'z'.repeat(100 * 1024);
    o.append('t', JSON.stringify({ big }));
    for (let i = 0; i < 2000; i++) o.append('t', `{"n":${i}}`);
    const got = drain(o);
    expect(got).toHaveLength(2001);
    expect(JSON.parse(got[0]!.payload).big).toHaveLength(100 * 1024);
    o.close();
  });

  it('refuses newlines in payloads (they would split an entry)', () => {
    const o = new DiskOutbox(tmp());
    expect(() => o.append('t', 'a\nb')).toThrow();
    o.close();
  });
});
