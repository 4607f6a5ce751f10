import { describe, expect, it } from 'vitest';
import type { OutRecord } from '../../../agent/src/link/record';
import { SendQueue } from '../../../agent/src/link/send-queue';

const ev = (n: number): OutRecord => ({
  kind: 'event',
  topic: 'p/a/events/e',
  type: 'e',
  ts: 't',
  bootId: 'b',
  data: `{"n":${n}}`,
});
const st = (topic: string, v: number): OutRecord => ({
  kind: 'state',
  topic,
  type: 'state.x',
  ts: 't',
  bootId: 'b',
  data: `{"v":${v}}`,
});

describe('SendQueue', () => {
  it('is FIFO', () => {
    const q = new SendQueue();
    for (let i = 0; i < 3000; i++) q.push(ev(i));
    const out = q.drain().map((r) => JSON.parse(r.data).n);
    expect(out).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(q.length).toBe(0);
  });

  it('replaces a queued snapshot of the same topic in place', () => {
    const q = new SendQueue();
    q.push(st('s/peers', 1));
    q.push(ev(1));
    q.push(st('s/peers', 2));
    q.push(st('s/calls', 1));
    expect(q.drain().map((r) => r.data)).toEqual(['{"v":2}', '{"n":1}', '{"v":1}']);
  });

  it('sheds the oldest events (never snapshots) when full, and counts them', () => {
    const q = new SendQueue({ maxItems: 5 });
    q.push(st('s/peers', 1));
    for (let i = 1; i <= 10; i++) q.push(ev(i));
    expect(q.length).toBe(5);
    expect(q.shed).toBe(6);
    expect(q.drain().map((r) => r.data)).toEqual(['{"v":1}', '{"n":7}', '{"n":8}', '{"n":9}', '{"n":10}']);
  });

  it('bounds bytes too', () => {
    const q = new SendQueue({ maxBytes: 100 });
    for (let i = 0; i < 100; i++) q.push(ev(i));
    expect(q.length).toBeLessThanOrEqual(100 / 8);
    expect(q.shed).toBe(100 - q.length);
  });
});
