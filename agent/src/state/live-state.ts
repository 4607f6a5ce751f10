import type { Logger } from '../core/log';
import type { Module, ModuleContext, StateName } from '../core/module';
import type { AmiMessage } from '../pbx/ami/types';
import { fitToBudget } from './fit';
import { SnapshotThrottle } from './snapshot-throttle';

/** Options common to the live-state modules. */
export interface LiveStateOptions {
  /** Minimum interval between two snapshots. */
  snapshotIntervalMs?: number;
  /** Byte budget of the snapshot's data (the message limit minus the envelope). */
  snapshotBudgetBytes?: number;
}

/**
 * What peers and calls share: AMI event subscriptions, a full reload after every AMI (re)login
 * (`resynced`), a throttled retained snapshot `{<key>: items, count, truncated}` that fits the
 * message size limit, and republication on `refresh.request`.
 */
export abstract class LiveState<T> implements Module {
  abstract readonly name: string;
  protected ctx: ModuleContext | undefined;
  protected log: Logger | undefined;
  private throttle: SnapshotThrottle | undefined;
  private unsubscribe: Array<() => void> = [];
  private readonly intervalMs: number;
  private readonly budget: number;

  protected constructor(
    private readonly state: StateName,
    private readonly key: string,
    opts: LiveStateOptions,
  ) {
    this.intervalMs = opts.snapshotIntervalMs ?? 1000;
    this.budget = opts.snapshotBudgetBytes ?? 90_000;
  }

  /** The AMI events this module consumes, by name. */
  protected abstract subscriptions(): Record<string, (m: AmiMessage) => void>;
  /** Rebuilds the state from AMI lists (after every login). */
  protected abstract reload(): Promise<void>;
  /** The items of the snapshot, in publication order. */
  abstract list(): T[];
  /** Called at start before subscribing (build per-start helpers here). */
  protected onStart(_ctx: ModuleContext): void {}

  start(ctx: ModuleContext): void {
    this.ctx = ctx;
    this.log = ctx.log;
    this.throttle = new SnapshotThrottle(ctx.clock, this.intervalMs, () => this.publishSnapshot());
    this.onStart(ctx);
    for (const [name, fn] of Object.entries(this.subscriptions()))
      this.unsubscribe.push(ctx.ami.onEvent([name], fn));
    this.unsubscribe.push(
      ctx.ami.onStatus((s) => {
        if (s.resynced) void this.reload();
      }),
    );
    ctx.bus.on(this.name, 'refresh.request', () => this.throttle?.flush());
    if (ctx.ami.state === 'connected' && ctx.ami.dialect) void this.reload();
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.ctx?.bus.removeOwner(this.name);
    this.throttle?.stop();
  }

  /** The state changed: a snapshot follows within the throttle interval. */
  protected changed(): void {
    this.throttle?.touch();
  }

  /** Publishes a snapshot now (after a reload). */
  protected publishNow(): void {
    this.throttle?.flush();
  }

  private publishSnapshot(): void {
    const all = this.list();
    const fit = fitToBudget(all, this.budget);
    this.ctx?.publisher.publishState(this.state, {
      [this.key]: fit.items,
      count: all.length,
      truncated: fit.truncated,
    });
  }
}
