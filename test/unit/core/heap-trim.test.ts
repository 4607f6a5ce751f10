import { describe, expect, it } from 'vitest';
import type { Clock, Timer } from '../../../agent/src/core/clock';
import { HeapTrim, type HeapTrimDeps } from '../../../agent/src/core/heap-trim';
import type { ModuleContext } from '../../../agent/src/core/module';

const MB = 1024 * 1024;

/** Heap and event-loop readings set by the test; gc() drops the heap to `afterGc`. */
function fakeDeps(start: number) {
  const s = { heap: start, busy: 0, afterGc: start, gcs: 0 };
  const deps: HeapTrimDeps = {
    gc: () => {
      s.gcs++;
      s.heap = s.afterGc;
    },
    heapBytes: () => s.heap,
    busySinceLastCall: () => s.busy,
  };
  return { s, deps };
}

function ctxWithIntervals() {
  const intervals: (() => void)[] = [];
  const clock = {
    setInterval: (fn: () => void) => {
      intervals.push(fn);
      return intervals.length as Timer;
    },
    clearInterval: () => {
      intervals.length = 0;
    },
  } as unknown as Clock;
  const log = { debug: () => {} };
  return { ctx: { clock, log } as unknown as ModuleContext, intervals };
}

describe('HeapTrim', () => {
  it('runs one GC when the loop is quiet and the heap grew since the last trim', () => {
    const { s, deps } = fakeDeps(13 * MB);
    const { ctx, intervals } = ctxWithIntervals();
    const trim = new HeapTrim({}, deps);
    trim.start(ctx);
    expect(intervals).toHaveLength(1);

    // A burst: the loop is busy and the heap grows; nothing happens while busy.
    s.busy = 0.9;
    s.heap = 24 * MB;
    s.afterGc = 13.5 * MB;
    expect(trim.check()).toBe(false);
    // Quiet again with the heap still grown: one GC.
    s.busy = 0.001;
    expect(trim.check()).toBe(true);
    expect(s.gcs).toBe(1);
    // Quiet and back near the reference: no more GCs.
    expect(trim.check()).toBe(false);
    s.heap = 15 * MB;
    expect(trim.check()).toBe(false);
    expect(s.gcs).toBe(1);
    trim.stop();
    expect(intervals).toHaveLength(0);
  });

  it('follows a heap V8 shrank itself, so later growth is measured from there', () => {
    const { s, deps } = fakeDeps(20 * MB);
    const trim = new HeapTrim({ growthBytes: 3 * MB }, deps);
    trim.start(ctxWithIntervals().ctx);
    s.heap = 12 * MB;
    expect(trim.check()).toBe(false);
    s.heap = 16 * MB;
    s.afterGc = 12 * MB;
    expect(trim.check()).toBe(true);
  });

  it('does nothing without --expose-gc', () => {
    const { s, deps } = fakeDeps(13 * MB);
    const { ctx, intervals } = ctxWithIntervals();
    const trim = new HeapTrim({}, { ...deps, gc: undefined });
    trim.start(ctx);
    expect(intervals).toHaveLength(0);
    s.heap = 40 * MB;
    expect(trim.check()).toBe(false);
  });
});
