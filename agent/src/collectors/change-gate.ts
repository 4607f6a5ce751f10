/**
 * Decides whether a fresh snapshot is worth republishing: yes when nothing was published yet, when
 * `changed(last published, fresh)` says so, when forced (agent.refresh, a component status change), or
 * when `keepAliveMs` passed since the last publication (a consumer then knows the agent still watches).
 * Comparing against the last *published* view, not the last collected one, means slow drifts add up
 * until they cross a threshold, and values hovering at a threshold do not flap.
 */
export class ChangeGate<V> {
  private last: { at: number; view: V } | null = null;

  constructor(
    private readonly opts: {
      keepAliveMs: number;
      changed: (published: V, fresh: V) => boolean;
      /** Keep-alive slack in ms, so a poll on the same period as the keep-alive is not skipped for jitter (default 2 s). */
      slackMs?: number;
    },
  ) {}

  /** True when the snapshot should go out now; if so it is remembered as published at `now`. */
  offer(view: V, now: number, force = false): boolean {
    const last = this.last;
    const due =
      force ||
      last === null ||
      now - last.at >= this.opts.keepAliveMs - (this.opts.slackMs ?? 2000) ||
      this.opts.changed(last.view, view);
    if (due) this.last = { at: now, view };
    return due;
  }

  /** Forgets the last publication (next offer publishes). */
  reset(): void {
    this.last = null;
  }
}
