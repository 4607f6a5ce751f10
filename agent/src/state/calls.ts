import type { ModuleContext } from '../core/module';
import type { AmiMessage } from '../pbx/ami/types';
import type { CallView } from './call-model';
import { type CallChange, CallTracker } from './call-tracker';
import { cdrFromEvent } from './cdr-event';
import { LiveState, type LiveStateOptions } from './live-state';
import { defaultIsTrunk } from './peer-model';

export interface CallStateOptions extends LiveStateOptions {
  /** Which SIP peers are trunks (default: non-numeric names). */
  isTrunk?: (peer: string) => boolean;
}

/**
 * Live calls: CoreShowChannels after every AMI (re)login, then channel events correlated into calls
 * (CallTracker); call.started/updated/ended published the moment they happen, state/calls as a
 * throttled retained snapshot; cdr.new from cdr_manager's `Cdr` event when the PBX enables it.
 */
export class CallState extends LiveState<CallView> {
  readonly name = 'calls';
  private tracker: CallTracker | undefined;
  private generation = 0;
  private readonly isTrunk: (peer: string) => boolean;

  constructor(opts: CallStateOptions = {}) {
    super('calls', 'calls', opts);
    this.isTrunk = opts.isTrunk ?? defaultIsTrunk;
  }

  protected override onStart(ctx: ModuleContext): void {
    this.tracker = new CallTracker(
      this.isTrunk,
      () => ctx.clock.now(),
      (c) => this.onChange(c),
    );
  }

  protected subscriptions(): Record<string, (m: AmiMessage) => void> {
    const subs: Record<string, (m: AmiMessage) => void> = {
      Cdr: (m) => this.ctx?.publisher.publishEvent('cdr.new', cdrFromEvent(m)),
    };
    for (const name of CallTracker.EVENTS) subs[name] = (m) => this.tracker?.apply(m);
    return subs;
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
  async reload(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || !this.tracker) return;
    const gen = ++this.generation;
    try {
      const r = await ctx.ami.list('CoreShowChannels');
      if (gen !== this.generation) return;
      this.tracker.resync(r.events.filter((e) => e.name === 'CoreShowChannel'));
      this.log?.info({ calls: this.tracker.size }, 'calls resynced');
      this.publishNow();
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
    this.changed();
  }
}
