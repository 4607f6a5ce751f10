import type { Logger } from '../../core/log';
import type { AmiMessage } from './types';

type EventFn = (msg: AmiMessage) => void;

/** Dialplan and RTP noise, delivered only to subscribers that name it (never to `*`). */
export function isNoiseEvent(name: string): boolean {
  return name === 'VarSet' || name === 'Newexten' || name.startsWith('RTCP');
}

/** Event listeners by name plus `*`; tells the framer which events anybody wants, so the rest is skipped. */
export class EventSubscribers {
  private readonly exact = new Map<string, Set<EventFn>>();
  private readonly star = new Set<EventFn>();

  constructor(private readonly log: Logger) {}

  /** Adds a listener for `names` (or `*`: every event but noise); returns the unsubscribe function. */
  add(names: readonly string[] | '*', fn: EventFn): () => void {
    if (names === '*') {
      this.star.add(fn);
      return () => this.star.delete(fn);
    }
    for (const n of names) {
      const set = this.exact.get(n) ?? new Set<EventFn>();
      this.exact.set(n, set);
      set.add(fn);
    }
    return () => {
      for (const n of names) {
        const set = this.exact.get(n);
        set?.delete(fn);
        if (set?.size === 0) this.exact.delete(n);
      }
    };
  }

  /** Whether anybody listens to events named `name`. */
  wants(name: string): boolean {
    return this.exact.has(name) || (this.star.size > 0 && !isNoiseEvent(name));
  }

  /** Delivers one event; a throwing listener is logged and does not stop the others. */
  deliver(m: AmiMessage): void {
    const fns = this.exact.get(m.name);
    if (fns) for (const fn of fns) this.call(fn, m);
    if (this.star.size > 0 && !isNoiseEvent(m.name)) for (const fn of this.star) this.call(fn, m);
  }

  private call(fn: EventFn, m: AmiMessage): void {
    try {
      fn(m);
    } catch (err) {
      this.log.warn({ err, event: m.name }, 'AMI event listener threw');
    }
  }
}
