/**
 * An in-process mutex per key: `run(key, fn)` waits until every earlier `run` with the same key has settled,
 * so two changes to one account never interleave inside this agent. Keys with nothing queued are dropped,
 * so memory is bounded by the keys in use at once.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` alone for `key`; resolves or rejects with its outcome. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys currently held or awaited (tests, health). */
  get size(): number {
    return this.tails.size;
  }
}
