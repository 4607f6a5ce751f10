import { describe, expect, it } from 'vitest';
import { ChangeGate } from '../../../agent/src/collectors/change-gate';

describe('ChangeGate', () => {
  const gate = () =>
    new ChangeGate<number>({ keepAliveMs: 60_000, slackMs: 1000, changed: (a, b) => Math.abs(a - b) >= 10 });

  it('publishes the first snapshot, then only changes, keep-alives and forced ones', () => {
    const g = gate();
    expect(g.offer(100, 0)).toBe(true);
    expect(g.offer(105, 30_000)).toBe(false);
    expect(g.offer(109, 58_000)).toBe(false);
    expect(g.offer(109, 59_000)).toBe(true); // keep-alive (60 s minus 1 s slack)
    expect(g.offer(112, 60_000)).toBe(false);
    expect(g.offer(112, 61_000, true)).toBe(true); // forced
    expect(g.offer(120, 62_000)).toBe(false);
    expect(g.offer(122, 63_000)).toBe(true); // drifted ≥ 10 from the last published (112)
  });

  it('compares with the last published value, so a value hovering at the threshold does not flap', () => {
    const g = gate();
    g.offer(100, 0);
    const published = [109, 111, 109, 111, 109].map((v, i) => g.offer(v, (i + 1) * 1000));
    expect(published).toEqual([false, true, false, false, false]);
  });

  it('reset forgets the last publication', () => {
    const g = gate();
    g.offer(1, 0);
    expect(g.offer(1, 1)).toBe(false);
    g.reset();
    expect(g.offer(1, 2)).toBe(true);
  });
});
