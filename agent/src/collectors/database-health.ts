import type { Timer } from '../core/clock';
import type { Module, ModuleContext } from '../core/module';

/** What the module needs of the database pool. */
export interface Pingable {
  ping(): Promise<void>;
}

/**
 * Pings the FreePBX database on an interval and reports `component.status` for `database` on every
 * transition (and once at start), so state/health says whether CDR and config commands can work.
 */
export class DatabaseHealth implements Module {
  readonly name = 'database-health';
  private timer: Timer | undefined;
  private last: string | undefined;
  private ctx: ModuleContext | undefined;
  private running = false;

  constructor(
    private readonly db: Pingable | undefined,
    private readonly intervalMs = 30_000,
  ) {}

  start(ctx: ModuleContext): void {
    this.ctx = ctx;
    if (!this.db) {
      this.report('down', 'no database login configured or discovered');
      return;
    }
    void this.check();
    this.timer = ctx.clock.setInterval(() => void this.check(), this.intervalMs);
  }

  stop(): void {
    this.ctx?.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Pings now and reports a transition. */
  async check(): Promise<void> {
    if (!this.db || this.running) return;
    this.running = true;
    try {
      await this.db.ping();
      this.report('ok');
    } catch (err) {
      this.report('down', (err as Error).message);
    } finally {
      this.running = false;
    }
  }

  private report(status: 'ok' | 'down', reason?: string): void {
    const key = `${status}:${reason ?? ''}`;
    if (key === this.last) return;
    this.last = key;
    if (status === 'ok') this.ctx?.log.info('database reachable');
    else this.ctx?.log.warn({ reason }, 'database unreachable');
    this.ctx?.bus.emit(
      'component.status',
      reason ? { component: 'database', status, reason } : { component: 'database', status },
    );
  }
}
