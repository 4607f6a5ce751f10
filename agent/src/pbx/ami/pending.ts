import type { Clock, Timer } from '../../core/clock';
import { PbxlinkError } from '../../core/errors';
import type { AmiListResult, AmiMessage } from './types';

interface Pending {
  readonly id: string;
  readonly action: string;
  readonly list: boolean;
  readonly resolve: (v: AmiMessage | AmiListResult) => void;
  readonly reject: (e: Error) => void;
  timer: Timer | undefined;
  response?: AmiMessage;
  events: AmiMessage[];
}

/** True for an event that closes an event list: `EventList: Complete`, or a `…Complete` name (DBGetComplete on
 * 1.8/11 carries no EventList header — reference §6.1, §3.1, §4). */
export function isListComplete(msg: AmiMessage): boolean {
  const flag = msg.headers.eventlist;
  if (flag !== undefined && flag.toLowerCase() === 'complete') return true;
  return msg.name.endsWith('Complete');
}

/**
 * Actions in flight on one connection, keyed by ActionID, each with its own timeout. A list action resolves at
 * its completion event; completion events may carry the ActionID first, last or not at all (§3.1, §15).
 */
export class PendingActions {
  private readonly byId = new Map<string, Pending>();

  constructor(private readonly clock: Clock) {}

  /** Number of actions waiting. */
  get size(): number {
    return this.byId.size;
  }

  /** Whether a list action is collecting events (its events must be read even if nobody subscribed). */
  get collecting(): boolean {
    for (const p of this.byId.values()) if (p.list) return true;
    return false;
  }

  /** Registers an action; it rejects with `unavailable` after `timeoutMs`. */
  add(id: string, action: string, list: boolean, timeoutMs: number): Promise<AmiMessage | AmiListResult> {
    return new Promise((resolve, reject) => {
      const p: Pending = { id, action, list, resolve, reject, timer: undefined, events: [] };
      p.timer = this.clock.setTimeout(() => {
        this.byId.delete(id);
        reject(new PbxlinkError('unavailable', `AMI action ${action} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.byId.set(id, p);
    });
  }

  /** Routes a response; returns false when no action waits for it. */
  onResponse(msg: AmiMessage): boolean {
    const id = msg.headers.actionid;
    const p = id === undefined ? undefined : this.byId.get(id);
    if (!p) return false;
    // A list whose ack is an Error (unknown action, not found) has no events to follow (§6.1, §16).
    if (!p.list || msg.name !== 'Success') this.settle(p, p.list ? { response: msg, events: [] } : msg);
    else p.response = msg;
    return true;
  }

  /** Collects a list event; returns true when it belonged to a pending list (and so is not a live event). */
  onEvent(msg: AmiMessage): boolean {
    const id = msg.headers.actionid;
    let p = id === undefined ? undefined : this.byId.get(id);
    if (!p && id === undefined && isListComplete(msg)) {
      // §15: a completion event without ActionID closes the oldest list whose ack already came.
      for (const q of this.byId.values()) {
        if (q.list && q.response) {
          p = q;
          break;
        }
      }
    }
    if (!p?.list) return false;
    if (isListComplete(msg)) this.settle(p, { response: p.response ?? msg, events: p.events });
    else p.events.push(msg);
    return true;
  }

  /** Rejects every action (connection lost or client stopped). */
  rejectAll(err: Error): void {
    const all = [...this.byId.values()];
    this.byId.clear();
    for (const p of all) {
      this.clock.clearTimeout(p.timer);
      p.reject(err);
    }
  }

  private settle(p: Pending, value: AmiMessage | AmiListResult): void {
    this.byId.delete(p.id);
    this.clock.clearTimeout(p.timer);
    p.resolve(value);
  }
}
