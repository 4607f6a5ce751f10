import type { Publisher, StateName } from '../../agent/src/core/module';

/** A Publisher that keeps what modules hand to the link, for tests of modules without a broker
 * (the link itself is tested against a real Mosquitto in test/integration/link-*). */
export class RecordingPublisher implements Publisher {
  readonly states: Array<{ name: StateName; data: any }> = [];
  readonly events: Array<{ type: string; data: any }> = [];
  private waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];

  publishState(name: StateName, data: unknown): void {
    this.states.push({ name, data: structuredClone(data) });
    this.check();
  }

  publishEvent(type: string, data: unknown): void {
    this.events.push({ type, data: structuredClone(data) });
    this.check();
  }

  eventsOf(type: string): any[] {
    return this.events.filter((e) => e.type === type).map((e) => e.data);
  }

  lastState(name: StateName): any {
    return this.states.filter((s) => s.name === name).at(-1)?.data;
  }

  /** Resolves when `pred` holds (checked after every publish), or rejects after `ms`. */
  waitFor(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        if (!this.waiters.includes(w)) return;
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(
          new Error(
            `timed out after ${ms} ms waiting for ${what}; events: ${this.events.map((e) => e.type).join(', ')}`,
          ),
        );
      }, ms).unref();
    });
  }

  private check(): void {
    for (const w of [...this.waiters]) {
      if (w.pred()) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }
}
