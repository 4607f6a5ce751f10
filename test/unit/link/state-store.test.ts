import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutRecord } from '../../../agent/src/link/record';
import { StateStore } from '../../../agent/src/link/state-store';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'pbxlink-states-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const st = (topic: string, v: number): OutRecord => ({
  kind: 'state',
  topic,
  type: 'state.x',
  ts: '2026-01-01T00:00:00.000Z',
  bootId: 'b1',
  data: `{"v":${v}}`,
});

describe('StateStore', () => {
  it('keeps only the latest snapshot per topic, across a restart', () => {
    const dir = tmp();
    const a = new StateStore(dir);
    for (let v = 1; v <= 5; v++) a.put(st('p/a/state/peers', v));
    a.put(st('p/a/state/calls', 9));
    expect(a.size).toBe(2);
    const b = new StateStore(dir);
    const all = b.takeAll().sort((x, y) => x.topic.localeCompare(y.topic));
    expect(all.map((r) => [r.topic, r.data])).toEqual([
      ['p/a/state/calls', '{"v":9}'],
      ['p/a/state/peers', '{"v":5}'],
    ]);
    expect(readdirSync(dir)).toEqual([]);
    expect(new StateStore(dir).size).toBe(0);
  });

  it('drops a torn file left by a crash', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'deadbeef.json'), '{"topic":"p/a/state/pe');
    const s = new StateStore(dir);
    expect(s.size).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });
});
