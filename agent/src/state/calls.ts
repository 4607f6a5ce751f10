import type { Logger } from '../core/log';
import type { Module, ModuleContext } from '../core/module';
import type { CallView } from './call-model';
import { type CallChange, CallTracker } from './call-tracker';
import { cdrFromEvent } from './cdr-event';
import { fitToBudget } from './fit';
import { defaultIsTrunk } from './peer-model';
import { SnapshotThrottle } from './snapshot-throttle';

export interface CallStateOptions {
  /** Which SIP peers are trunks (default: non-numeric names). */
  isTrunk?: (peer: string) => boolean;
  /** Minimum interval between two state/calls snapshots. */
  snapshotIntervalMs?: number;
  /** Byte budget of the snapshot's data (the message limit minus the envelope). */
  snapshotBudgetBytes?: number;
}

/**
 * Live calls: CoreShowChannels after every AMI (re)login, then channel events correlated into calls
 * (CallTracker); call.started/updated/ended published the moment they happen, state/calls as a
 * throttled retained snapshot; cdr.new from cdr_manager's `Cdr` event when the PBX enables it.
 */
export class CallState implements Module {
  readonly name = 'calls';
  private tracker: CallTracker | undefined;
  private ctx: ModuleContext | undefined;
  private log: Logger | undefined;
  private throttle: SnapshotThrottle | undefined;
  private unsubscribe: Array<() => void> = [];
  private generation = 0;
  private readonly isTrunk: (peer: string) => boolean;
  private readonly intervalMs: number;
  private readonly budget: number;

  constructor(opts: CallStateOptions = {}) {
    this.isTrunk = opts.isTrunk ?? defaultIsTrunk;
    this.intervalMs = opts.snapshotIntervalMs ?? 1000;
    this.budget = opts.snapshotBudgetBytes ?? 90_000;
  }

  start(ctx: ModuleContext): void {
    this.ctx = ctx;
    this.log = ctx.log;
    this.tracker = new CallTracker(
      this.isTrunk,
      () => ctx.clock.now(),
      (c) => this.onChange(c),
    );
    this.throttle = new SnapshotThrottle(ctx.clock, this.intervalMs, () => this.publishSnapshot());
    this.unsubscribe.push(
      ctx.ami.onEvent(CallTracker.EVENTS, (m) => this.tracker?.apply(m)),
      ctx.ami.onEvent(['Cdr'], (m) => ctx.publisher.publishEvent('cdr.new', cdrFromEvent(m))),
      ctx.ami.onStatus((s) => {
        if (s.resynced) void this.resync();
      }),
    );
    ctx.bus.on(this.name, 'refresh.request', () => this.throttle?.flush());
    if (ctx.ami.state === 'connected' && ctx.ami.dialect) void this.resync();
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.ctx?.bus.removeOwner(this.name);
    this.throttle?.stop();
  }

  /** Live calls, oldest first. */
  list(): CallView[] {
    return this.tracker?.list() ?? [];
  }

  /** Live calls with application/data refreshed from CoreShowChannels (calls.list). */
  async listFresh(): Promise<CallView[]> {
    const ctx = this.ctx;
    if (ctx && this.tracker && ctx.ami.state === 'connected') {
      const r = await ctx.ami.list('CoreShowChannels');
      this.tracker.refreshDetails(r.events.filter((e) => e.name === 'CoreShowChannel'));
    }
    return this.list();
  }

  /** Rebuilds calls from CoreShowChannels: no ghost calls after AMI was away. */
  async resync(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || !this.tracker) return;
    const gen = ++this.generation;
    try {
      const r = await ctx.ami.list('CoreShowChannels');
      if (gen !== this.generation) return;
      this.tracker.resync(r.events.filter((e) => e.name === 'CoreShowChannel'));
      this.log?.info({ calls: this.tracker.size }, 'calls resynced');
      this.throttle?.flush();
    } catch (err) {
      this.log?.warn({ err }, 'channel list failed; calls not resynced');
    }
  }

  private onChange(c: CallChange): void {
    const pub = this.ctx?.publisher;
    if (!pub) return;
    if (c.type === 'call.updated') pub.publishEvent(c.type, { call: c.call, change: c.change });
    else if (c.type === 'call.ended') pub.publishEvent(c.type, { call: c.call, end: c.end });
    else pub.publishEvent(c.type, { call: c.call });
    this.throttle?.touch();
  }

  private publishSnapshot(): void {
    const all = this.list();
    const fit = fitToBudget(all, this.budget);
    this.ctx?.publisher.publishState('calls', {
      calls: fit.items,
      count: all.length,
      truncated: fit.truncated,
    });
  }
}
