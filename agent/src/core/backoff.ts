/** The one retry policy: exponential, full jitter, capped (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export interface BackoffOptions {
  /** First ceiling in ms. */
  initialMs?: number;
  /** Largest ceiling in ms. */
  maxMs?: number;
  /** Growth per attempt. */
  factor?: number;
  /** Random source in [0, 1), injectable for tests. */
  random?: () => number;
}

/** Stateful backoff: `next()` gives the delay before the next attempt, `reset()` after a success. */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 500;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.random = opts.random ?? Math.random;
  }

  /** Delay in ms before the next attempt: uniform in [0, min(max, initial * factor^attempt)]. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
