import cron from 'node-cron';
import type { Logger } from './log';

/** A named periodic job; the scheduler never runs two of the same job at once (overlap protection). */
export interface Job {
  name: string;
  /** node-cron expression (six fields allowed, for seconds). */
  cron: string;
  run: () => Promise<void>;
}

/** Runs jobs on cron schedules; a failing job is logged and rescheduled, never fatal. */
export class Scheduler {
  private readonly tasks = new Map<string, { stop: () => void }>();
  private readonly running = new Set<string>();

  constructor(private readonly log: Logger) {}

  add(job: Job): void {
    if (!cron.validate(job.cron)) throw new Error(`invalid cron expression for ${job.name}: "${job.cron}"`);
    this.remove(job.name);
    const task = cron.schedule(job.cron, () => void this.runNow(job), { name: job.name, noOverlap: false });
    this.tasks.set(job.name, task);
  }

  /** Runs a job immediately unless it is already running; resolves when it finished. */
  async runNow(job: Job): Promise<void> {
    if (this.running.has(job.name)) return;
    this.running.add(job.name);
    try {
      await job.run();
    } catch (err) {
      this.log.warn({ err, job: job.name }, 'scheduled job failed');
    } finally {
      this.running.delete(job.name);
    }
  }

  remove(name: string): void {
    this.tasks.get(name)?.stop();
    this.tasks.delete(name);
  }

  stop(): void {
    for (const t of this.tasks.values()) t.stop();
    this.tasks.clear();
  }
}
