import { type CronSchedule, nextCronTime, parseCron } from './cron';
import type { Logger } from './log';

/** A named periodic job; the scheduler never runs two of the same job at once (overlap protection). */
export interface Job {
  name: string;
  /** Cron expression (core/cron.ts), five fields or six with seconds first. */
  cron: string;
  run: () => Promise<void>;
}

/** The timer functions the scheduler uses; injectable so tests can drive time. */
export interface SchedulerTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: SchedulerTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

// setTimeout's longest delay (2^31 - 1 ms, ~24.8 days); a later run is re-armed on the way.
const MAX_DELAY_MS = 2_147_483_647;

/** Runs jobs on cron schedules; a failing job is logged and rescheduled, never fatal. One timer per job, armed
 * for its next run only, so an idle agent wakes only when something is due. */
export class Scheduler {
  private readonly tasks = new Map<string, { timer: unknown }>();
  private readonly running = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly timers: SchedulerTimers = realTimers,
  ) {}

  add(job: Job): void {
    let schedule: CronSchedule;
    try {
      schedule = parseCron(job.cron);
    } catch (e) {
      throw new Error(`invalid cron expression for ${job.name}: "${job.cron}" (${(e as Error).message})`);
    }
    this.remove(job.name);
    const task = { timer: undefined as unknown };
    this.tasks.set(job.name, task);
    const arm = (after: number) => {
      const at = nextCronTime(schedule, after);
      if (at === undefined) {
        this.log.warn({ job: job.name, cron: job.cron }, 'schedule never matches again');
        return;
      }
      const fire = () => {
        if (this.tasks.get(job.name) !== task) return;
        const now = this.timers.now();
        if (now < at) {
          // Early wake-up (a long delay split in parts, or a timer that fired early): wait the rest.
          task.timer = this.timers.setTimeout(fire, Math.min(at - now, MAX_DELAY_MS));
          return;
        }
        // After a suspend or a busy loop, runs missed meanwhile are skipped: the next one counts from now.
        arm(Math.max(now, at));
        void this.runNow(job);
      };
      task.timer = this.timers.setTimeout(fire, Math.min(Math.max(at - this.timers.now(), 0), MAX_DELAY_MS));
    };
    arm(this.timers.now());
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
    const task = this.tasks.get(name);
    if (task) this.timers.clearTimeout(task.timer);
    this.tasks.delete(name);
  }

  stop(): void {
    for (const name of [...this.tasks.keys()]) this.remove(name);
  }
}
