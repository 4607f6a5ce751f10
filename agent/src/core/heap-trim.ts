import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Timer } from './clock';
import type { Module, ModuleContext } from './module';

/** What HeapTrim reads and calls; injectable for tests. */
export interface HeapTrimDeps {
  /** V8's full GC, present when node runs with --expose-gc (the service does: packaging/sysconfig/pbxlink). */
  gc: (() => void) | undefined;
  /** Bytes V8 holds for the JS heap now (committed). */
  heapBytes(): number;
  /** Share of wall time the event loop was busy since the previous call, 0–1. */
  busySinceLastCall(): number;
}

/** Options; the defaults are what the agent runs with. */
export interface HeapTrimOptions {
  /** How often to look (ms). */
  checkMs?: number;
  /** Growth of the heap since the last trim that is worth a GC (bytes). */
  growthBytes?: number;
  /** The event loop counts as quiet below this busy share over one check. */
  quietBelow?: number;
}

function realDeps(): HeapTrimDeps {
  let last = performance.eventLoopUtilization();
  return {
    gc: (globalThis as { gc?: () => void }).gc,
    heapBytes: () => v8.getHeapStatistics().total_heap_size,
    busySinceLastCall: () => {
      const now = performance.eventLoopUtilization();
      const d = performance.eventLoopUtilization(now, last);
      last = now;
      return d.utilization;
    },
  };
}

/**
 * Gives back the heap a burst made V8 grow, once the agent is quiet again: when the event loop was nearly
 * idle over a whole check and the heap holds `growthBytes` more than after the last trim, it runs one full
 * GC. V8's own memory reducer does this only if the last GC of the burst happened to shrink the heap: in
 * event-latency runs the agent stayed at ~67 MB after the overload phase in one run of two instead of
 * returning to ~61 MB. One GC of a ~12 MB heap costs a few ms, at most once per check and only after a burst.
 * Without --expose-gc (pbxlink run by hand) it does nothing.
 */
export class HeapTrim implements Module {
  readonly name = 'heap-trim';
  private timer: Timer | undefined;
  private ctx: ModuleContext | undefined;
  private baseline = 0;
  private readonly deps: HeapTrimDeps;
  private readonly checkMs: number;
  private readonly growthBytes: number;
  private readonly quietBelow: number;

  constructor(opts: HeapTrimOptions = {}, deps?: HeapTrimDeps) {
    this.deps = deps ?? realDeps();
    this.checkMs = opts.checkMs ?? 10_000;
    this.growthBytes = opts.growthBytes ?? 3 * 1024 * 1024;
    this.quietBelow = opts.quietBelow ?? 0.02;
  }

  start(ctx: ModuleContext): void {
    if (this.timer || !this.deps.gc) return;
    this.ctx = ctx;
    this.baseline = this.deps.heapBytes();
    this.deps.busySinceLastCall();
    this.timer = ctx.clock.setInterval(() => this.check(), this.checkMs);
  }

  stop(): void {
    this.ctx?.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look: trims if the loop was quiet and the heap grew; returns whether it did. */
  check(): boolean {
    const busy = this.deps.busySinceLastCall();
    const heap = this.deps.heapBytes();
    // A heap smaller than after the last trim (V8 shrank it itself) is the new reference.
    if (heap < this.baseline) this.baseline = heap;
    if (!this.deps.gc || busy >= this.quietBelow || heap - this.baseline < this.growthBytes) return false;
    this.deps.gc();
    const after = this.deps.heapBytes();
    this.ctx?.log.debug({ before: heap, after, busy }, 'heap trimmed after a burst');
    this.baseline = after;
    return true;
  }
}
