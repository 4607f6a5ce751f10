import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newBootId, SeqStore } from '../../../agent/src/link/seq-store';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'pbxlink-seq-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SeqStore', () => {
  it('counts from 1 by one', () => {
    const s = SeqStore.open(tmp(), { block: 10 });
    expect([s.next(), s.next(), s.next()]).toEqual([1, 2, 3]);
  });

  it('continues without a gap after a clean close', () => {
    const dir = tmp();
    const a = SeqStore.open(dir, { block: 10 });
    for (let i = 0; i < 25; i++) a.next();
    a.close();
    const b = SeqStore.open(dir, { block: 10 });
    expect(b.next()).toBe(26);
  });

  it('never reuses a seq after a crash (no close): it skips to the reserved high-water mark', () => {
    const dir = tmp();
    const a = SeqStore.open(dir, { block: 10 });
    const seen = new Set<number>();
    for (let i = 0; i < 25; i++) seen.add(a.next());
    // No close(): the process died. The file holds the reserved mark, not the last seq.
    expect(JSON.parse(readFileSync(join(dir, 'seq'), 'utf8'))).toEqual({ high_water: 30 });
    const b = SeqStore.open(dir, { block: 10 });
    const first = b.next();
    expect(first).toBe(31);
    expect(seen.has(first)).toBe(false);
  });

  it('persists only once per block, not per message', () => {
    const dir = tmp();
    const a = SeqStore.open(dir, { block: 1000 });
    a.next();
    const before = readFileSync(join(dir, 'seq'), 'utf8');
    for (let i = 0; i < 998; i++) a.next();
    expect(readFileSync(join(dir, 'seq'), 'utf8')).toBe(before);
    a.next();
    a.next();
    expect(JSON.parse(readFileSync(join(dir, 'seq'), 'utf8'))).toEqual({ high_water: 2000 });
  });

  it('refuses a malformed seq file instead of restarting at 1', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'seq'), 'garbage');
    expect(() => SeqStore.open(dir)).toThrow(/seq file/);
  });

  it('rejects a bad block size', () => {
    expect(() => SeqStore.open(tmp(), { block: 0 })).toThrow();
  });

  it('gives a different boot id per call', () => {
    expect(newBootId()).not.toBe(newBootId());
    expect(newBootId()).toMatch(/^[0-9a-f-]{36}$/);
  });
});
