import type { Logger } from '../core/log';
import type { Module, ModuleContext, StateName } from '../core/module';
import type { Job } from '../core/scheduler';
import { ChangeGate } from './change-gate';

/** Schedule and republication options common to the polled collectors. */
export interface PollOptions {
  /** Cron expression (core/cron.ts; six fields: seconds first). */
  cron?: string;
  /** Republish an unchanged snapshot after this many ms (default 5 min). */
  keepAliveMs?: number;
}

/** Default keep-alive of unchanged snapshots. */
export const DEFAULT_KEEPALIVE_MS = 5 * 60_000;

/**
 * A Telegraf-style polled collector (STYLE.md): `collect()` on a cron schedule through the shared
 * Scheduler (no overlapping runs), a first run right after start, publication of `state/<state>` through a
 * ChangeGate, and an immediate forced republication on the bus's `refresh.request` (agent.refresh).
 * Failures are logged on transition only (failing → recovered), never thrown out of the job.
 */
export abstract class PolledCollector<T, V> implements Module {
  abstract readonly name: string;
  protected ctx: ModuleContext | null = null;
  protected log: Logger | null = null;
  /** Last collected snapshot (published or not). */
  protected latest: T | null = null;
  private readonly gate: ChangeGate<V>;
  private forceNext = false;
  private failing: string | null = null;
  private job: Job | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly state: StateName,
    private readonly defaultCron: string,
    private readonly poll: PollOptions,
  ) {
    this.gate = new ChangeGate<V>({
      keepAliveMs: poll.keepAliveMs ?? DEFAULT_KEEPALIVE_MS,
      changed: (a, b) => this.changed(a, b),
    });
  }

  /** Fresh data, without publishing (also what the system.* commands return). */
  abstract collect(): Promise<T>;
  /** The parts of a snapshot that decide whether it changed, computed at `now` (ms). */
  protected abstract view(data: T, now: number): V;
  /** Whether `fresh` differs enough from the last published view to republish. */
  protected abstract changed(published: V, fresh: V): boolean;
  /** Hook for subclasses: extra subscriptions at start. */
  protected onStart(_ctx: ModuleContext): void {}

  start(ctx: ModuleContext): void {
    if (this.ctx) return;
    this.ctx = ctx;
    this.log = ctx.log.child({ module: this.name });
    this.job = {
      name: `collector.${this.name}`,
      cron: this.poll.cron ?? this.defaultCron,
      run: () => this.tracked(),
    };
    ctx.scheduler.add(this.job);
    ctx.bus.on(this.name, 'refresh.request', () => this.refresh());
    this.onStart(ctx);
    void ctx.scheduler.runNow(this.job);
  }

  stop(): void {
    if (!this.ctx) return;
    if (this.job) this.ctx.scheduler.remove(this.job.name);
    this.ctx.bus.removeOwner(this.name);
    this.ctx = null;
    this.job = null;
  }

  /** Waits for a run in flight, then collects now and publishes if due; resolves when done. */
  async runNow(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    if (this.ctx && this.job) await this.ctx.scheduler.runNow(this.job);
  }

  /** Republishes on the next collection whatever it finds; collects now unless a run is in flight, which then publishes. */
  refresh(): void {
    this.forceNext = true;
    if (this.ctx && this.job) void this.ctx.scheduler.runNow(this.job);
  }

  /** Publishes `data` now (bypassing the change test) and records it as published. */
  protected publishNow(data: T): void {
    const ctx = this.ctx;
    if (!ctx) return;
    this.gate.offer(this.view(data, ctx.clock.now()), ctx.clock.now(), true);
    ctx.publisher.publishState(this.state, data);
  }

  private tracked(): Promise<void> {
    const p = this.runOnce().finally(() => {
      if (this.inFlight === p) this.inFlight = null;
    });
    this.inFlight = p;
    return p;
  }

  private async runOnce(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    const startedAt = ctx.clock.now();
    let data: T;
    try {
      data = await this.collect();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.failing === null) this.log?.warn({ err: message }, 'collection failing');
      this.failing = message;
      return;
    }
    if (this.failing !== null) this.log?.info('collection recovered');
    this.failing = null;
    if (this.ctx !== ctx) return; // stopped meanwhile
    this.latest = data;
    const force = this.forceNext;
    this.forceNext = false;
    // The poll's start time is the publication time, so a poll on the keep-alive period is not off by its duration.
    if (this.gate.offer(this.view(data, startedAt), startedAt, force))
      ctx.publisher.publishState(this.state, data);
  }
}
