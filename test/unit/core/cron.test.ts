import { describe, expect, it } from 'vitest';
import { isValidCron, nextCronTime, parseCron } from '../../../agent/src/core/cron';
import type { Logger } from '../../../agent/src/core/log';
import { Scheduler, type SchedulerTimers } from '../../../agent/src/core/scheduler';

// Local-time helpers: the schedules are local, so the cases are written in local time whatever TZ runs them.
const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) =>
  new Date(y, mo - 1, d, h, mi, s).getTime();
const next = (expr: string, from: number) => nextCronTime(parseCron(expr), from);

describe('cron expressions', () => {
  it.each([
    ['*/30 * * * * *', at(2026, 5, 4, 10, 0, 0), at(2026, 5, 4, 10, 0, 30)],
    ['*/30 * * * * *', at(2026, 5, 4, 10, 0, 29), at(2026, 5, 4, 10, 0, 30)],
    ['*/30 * * * * *', at(2026, 5, 4, 10, 0, 30), at(2026, 5, 4, 10, 1, 0)],
    ['*/5 * * * *', at(2026, 5, 4, 10, 0, 0), at(2026, 5, 4, 10, 5, 0)],
    ['*/5 * * * *', at(2026, 5, 4, 10, 58, 10), at(2026, 5, 4, 11, 0, 0)],
    ['0 3 * * *', at(2026, 5, 4, 3, 0, 0), at(2026, 5, 5, 3, 0, 0)],
    ['15,45 8-9 * * *', at(2026, 5, 4, 9, 46), at(2026, 5, 5, 8, 15)],
    ['0 0 1 jan *', at(2026, 5, 4), at(2027, 1, 1)],
    ['0 12 * * MON', at(2026, 5, 4, 12, 0, 1), at(2026, 5, 11, 12)], // 2026-05-04 is a Monday
    ['0 0 * * 7', at(2026, 5, 4), at(2026, 5, 10)], // 7 is Sunday
    ['0 0 31 * *', at(2026, 4, 1), at(2026, 5, 31)], // April has no 31st
    ['0 0 29 2 *', at(2026, 3, 1), at(2028, 2, 29)],
    ['0 0 13 * fri', at(2026, 5, 4), at(2026, 5, 8)], // either the 13th or a Friday (crontab rule)
    ['10/20 * * * * *', at(2026, 5, 4, 10, 0, 31), at(2026, 5, 4, 10, 0, 50)],
    ['0 */2 * * *', at(2026, 12, 31, 23, 30), at(2027, 1, 1, 0, 0)],
  ])('%s after %s', (expr, from, expected) => {
    expect(new Date(next(expr, from) ?? 0).toString()).toBe(new Date(expected).toString());
  });

  it.each(['*/30 * * * * *', '*/5 * * * *', '0 0 * * sun-sat', '1,2,3-7/2 * * * *'])('accepts %s', (expr) => {
    expect(isValidCron(expr)).toBe(true);
  });

  it.each([
    ['nope', /5 or 6 fields/],
    ['* * * *', /5 or 6 fields/],
    ['* * * * * * *', /5 or 6 fields/],
    ['60 * * * *', /outside 0-59/],
    ['* 24 * * *', /outside 0-23/],
    ['* * 0 * *', /outside 1-31/],
    ['* * * 13 *', /outside 1-12/],
    ['* * * * 8', /outside 0-7/],
    ['*/0 * * * *', /bad step/],
    ['5-1 * * * *', /backwards/],
    ['1-2-3 * * * *', /malformed/],
    ['a * * * *', /not a number/],
    [', * * * *', /malformed/],
  ])('rejects %s', (expr, why) => {
    expect(() => parseCron(expr)).toThrow(why);
    expect(isValidCron(expr)).toBe(false);
  });

  it('rejects an expression that never matches', () => {
    expect(() => parseCron('0 0 30 2 *')).not.toThrow();
    expect(isValidCron('0 0 30 2 *')).toBe(false);
  });
});

/** Timers driven by hand: `advance(ms)` fires whatever falls due, in order. */
function manualTimers(start: number) {
  let now = start;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: SchedulerTimers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      pending.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  // Async so that a finished job's promise settles between two runs, as it would between two timer callbacks.
  const advance = async (ms: number) => {
    const end = now + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const due = [...pending.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      pending.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
  };
  return { timers, advance, pending };
}

const silent = { warn: () => {} } as unknown as Logger;

describe('Scheduler', () => {
  it('runs a job at each match, one timer at a time, and stops', async () => {
    const m = manualTimers(at(2026, 5, 4, 10, 0, 10));
    const s = new Scheduler(silent, m.timers);
    const runs: number[] = [];
    s.add({ name: 'j', cron: '*/30 * * * * *', run: async () => void runs.push(m.timers.now()) });
    expect(m.pending.size).toBe(1);
    await m.advance(60_000);
    expect(runs.map((t) => new Date(t).getSeconds())).toEqual([30, 0]);
    s.remove('j');
    expect(m.pending.size).toBe(0);
    await m.advance(60_000);
    expect(runs).toHaveLength(2);
  });

  it('skips runs missed while the process was stalled, without a burst', async () => {
    const m = manualTimers(at(2026, 5, 4, 10, 0, 0));
    const s = new Scheduler(silent, m.timers);
    let runs = 0;
    s.add({ name: 'j', cron: '* * * * * *', run: async () => void runs++ });
    // The loop was blocked for 10 s: the first timer fires late, once.
    const [, first] = [...m.pending.entries()][0]!;
    m.pending.clear();
    await m.advance(10_000);
    first.fn();
    expect(runs).toBe(1);
    expect(m.pending.size).toBe(1);
    s.stop();
    expect(m.pending.size).toBe(0);
  });

  it('does not start a job again while it runs', async () => {
    const m = manualTimers(at(2026, 5, 4, 10, 0, 0));
    const s = new Scheduler(silent, m.timers);
    let started = 0;
    let release = () => {};
    s.add({
      name: 'slow',
      cron: '* * * * * *',
      run: () => {
        started++;
        return new Promise<void>((r) => {
          release = r;
        });
      },
    });
    await m.advance(5_000);
    expect(started).toBe(1);
    release();
    await m.advance(1_000);
    expect(started).toBe(2);
    s.stop();
  });

  it('names the job and the problem for a bad expression', () => {
    const s = new Scheduler(silent, manualTimers(0).timers);
    expect(() => s.add({ name: 'collector.x', cron: '61 * * * *', run: async () => {} })).toThrow(
      /invalid cron expression for collector.x: "61 \* \* \* \*" \(61 is outside 0-59\)/,
    );
  });
});
