import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SeqStore } from '../../../agent/src/link/seq-store';

const mark = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'seq'), 'utf8')) as { high_water: number }).high_water;

describe('SeqStore reserves the next block ahead, off the event loop', () => {
  it('has the next block on disk before the current one runs out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-ahead-'));
    const s = SeqStore.open(dir, { block: 10 });
    expect(s.next()).toBe(1); // first block reserved synchronously: nothing was durable yet
    expect(mark(dir)).toBe(10);
    for (let i = 2; i <= 6; i++) s.next(); // half used: the next block is being written
    await s.settled();
    expect(mark(dir)).toBe(20);
    for (let i = 7; i <= 10; i++) s.next();
    expect(s.next()).toBe(11); // crosses into the reserved block without waiting for a write
    await s.settled();
  });

  it('never hands out a seq twice across a crash, whichever write landed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-ahead-'));
    const a = SeqStore.open(dir, { block: 4 });
    const used = new Set<number>();
    for (let i = 0; i < 37; i++) used.add(a.next());
    await a.settled();
    // No close(): a crash. The next process starts above every seq the first one used.
    const b = SeqStore.open(dir, { block: 4 });
    const first = b.next();
    expect(first).toBeGreaterThan(Math.max(...used));
    b.close();
    await b.settled();
    const c = SeqStore.open(dir, { block: 4 });
    expect(c.next()).toBe(first + 1); // a clean close leaves no gap, even with a reservation in flight
  });
});
