import type { OutRecord } from './record';

/** Bounds of the in-memory send queue. */
export interface SendQueueOptions {
  maxItems?: number;
  maxBytes?: number;
}

/**
 * The bounded in-memory queue between publishers and the socket while the link is up. A newer snapshot
 * of a queued state topic replaces the queued one in place. When full, the oldest event is shed (never a
 * snapshot) and counted: under overload the agent sheds, it does not grow (issue 4 benchmark).
 */
export class SendQueue {
  private items: (OutRecord | undefined)[] = [];
  private head = 0;
  private bytes = 0;
  private count = 0;
  private readonly states = new Map<string, OutRecord>();
  private shedCount = 0;
  private readonly maxItems: number;
  private readonly maxBytes: number;

  constructor(opts: SendQueueOptions = {}) {
    this.maxItems = opts.maxItems ?? 10_000;
    this.maxBytes = opts.maxBytes ?? 8 * 1024 * 1024;
  }

  /** Records waiting. */
  get length(): number {
    return this.count;
  }

  /** Events shed since the queue was created. */
  get shed(): number {
    return this.shedCount;
  }

  /** Adds a record; returns how many events were shed to make room. */
  push(rec: OutRecord): number {
    if (rec.kind === 'state') {
      const queued = this.states.get(rec.topic);
      if (queued) {
        this.bytes += rec.data.length - queued.data.length;
        Object.assign(queued, { type: rec.type, ts: rec.ts, bootId: rec.bootId, data: rec.data });
        return 0;
      }
      this.states.set(rec.topic, rec);
    }
    this.items.push(rec);
    this.count++;
    this.bytes += rec.data.length;
    let shed = 0;
    while ((this.length > this.maxItems || this.bytes > this.maxBytes) && this.shedOldestEvent()) shed++;
    this.shedCount += shed;
    return shed;
  }

  /** Takes the oldest record, or undefined. */
  shift(): OutRecord | undefined {
    while (this.head < this.items.length) {
      const rec = this.items[this.head];
      this.items[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (!rec) continue;
      this.count--;
      this.bytes -= rec.data.length;
      if (rec.kind === 'state') this.states.delete(rec.topic);
      return rec;
    }
    return undefined;
  }

  /** Removes and returns everything, oldest first. */
  drain(): OutRecord[] {
    const out: OutRecord[] = [];
    for (let r = this.shift(); r; r = this.shift()) out.push(r);
    return out;
  }

  private shedOldestEvent(): boolean {
    for (let i = this.head; i < this.items.length; i++) {
      const rec = this.items[i];
      if (rec && rec.kind === 'event') {
        this.items[i] = undefined;
        this.count--;
        this.bytes -= rec.data.length;
        if (i === this.head) this.head++;
        return true;
      }
    }
    return false;
  }
}
