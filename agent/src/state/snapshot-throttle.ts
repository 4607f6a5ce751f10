import type { Clock, Timer } from '../core/clock';

/**
 * Coalesces "state changed" signals into at most one publish per interval (leading edge, then
 * trailing), so a burst of 10,000 events per second costs one snapshot per interval, not 10,000.
 */
export class SnapshotThrottle {
  private timer: Timer | undefined;
  private lastAt = Number.NEGATIVE_INFINITY;
  private pending = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly publish: () => void,
  ) {}

  /** Marks the state dirty; publishes now if the interval has passed, else once it has. */
  touch(): void {
    const wait = this.lastAt + this.intervalMs - this.clock.monotonic();
    if (wait <= 0 && !this.timer) {
      this.fire();
      return;
    }
    this.pending = true;
    if (!this.timer) this.timer = this.clock.setTimeout(() => this.onTimer(), Math.max(0, wait));
  }

  /** Publishes now regardless of the interval (refresh requests, resync). */
  flush(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.fire();
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = false;
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.pending) this.fire();
  }

  private fire(): void {
    this.pending = false;
    this.lastAt = this.clock.monotonic();
    this.publish();
  }
}
