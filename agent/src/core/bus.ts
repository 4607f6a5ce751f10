/** A typed in-process event bus whose listeners are grouped by owner, so a module can drop all of its own at stop. */
export class Bus<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<{ owner: string; fn: (payload: never) => void }>>();
  private readonly onError: (err: unknown, event: keyof Events, owner: string) => void;

  constructor(onError: (err: unknown, event: keyof Events, owner: string) => void = () => {}) {
    this.onError = onError;
  }

  /** Adds a listener; a throwing listener is reported through onError and does not stop the others. */
  on<K extends keyof Events>(owner: string, event: K, fn: (payload: Events[K]) => void): void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add({ owner, fn: fn as (payload: never) => void });
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const l of set) {
      try {
        (l.fn as (p: Events[K]) => void)(payload);
      } catch (err) {
        this.onError(err, event, l.owner);
      }
    }
  }

  /** Number of listeners for an event (cheap check before building a costly payload). */
  count<K extends keyof Events>(event: K): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  /** Removes every listener registered by `owner`. */
  removeOwner(owner: string): void {
    for (const set of this.listeners.values()) {
      for (const l of set) if (l.owner === owner) set.delete(l);
    }
  }
}
