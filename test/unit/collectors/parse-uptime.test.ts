import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseUptime } from '../../../agent/src/collectors/parse-uptime';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/os/uptime', name), 'utf8');
const D = 86_400;
const H = 3600;
const M = 60;

describe('parseUptime on every form of `uptime` output', () => {
  it.each([
    ['procps-minutes-1-user.txt', 5 * M, 1, [0.0, 0.01, 0.05]],
    ['procps-hhmm-2-users.txt', 3 * H + 42 * M, 2, [1.15, 0.87, 0.6]],
    ['procps-days-hhmm-3-users.txt', 12 * D + 3 * H + 42 * M, 3, [0.45, 0.32, 0.28]],
    ['procps-day-minutes-0-users.txt', 1 * D + 59 * M, 0, [2.0, 1.5, 1.25]],
    ['procps-days-only.txt', 2 * D, 0, [0.08, 0.03, 0.01]],
    ['procps-ng4-0-user.txt', 5 * M, 0, [0.41, 0.22, 0.1]],
    ['procps-400-days.txt', 400 * D + 1 * H + 1 * M, 1, [12.34, 10.0, 8.76]],
    ['procps-just-booted.txt', 0, 1, [0.95, 0.25, 0.08]],
    ['busybox-no-users.txt', 1 * D + 2 * H + 3 * M, null, [0, 0, 0]],
    ['busybox-minutes.txt', 7 * M, null, [0.1, 0.05, 0.01]],
    ['busybox-utmp-users.txt', 3 * D + 4 * H + 5 * M, 1, [0.24, 0.11, 0.03]],
    ['bsd-load-averages.txt', 2 * D + 1 * H + 5 * M, 2, [1.52, 1.73, 1.8]],
  ] as const)('%s', (name, uptimeS, users, load) => {
    const text = fixture(name);
    expect(parseUptime(text)).toEqual({ uptime: text.trim(), uptime_s: uptimeS, users, load_average: load });
  });

  it.each([
    ['up 3:42', 3 * H + 42 * M],
    ['up 12 days,  3:42', 12 * D + 3 * H + 42 * M],
    ['up 1 day, 59 min', D + 59 * M],
    ['up 2 days', 2 * D],
    ['up 1 min', M],
    ['up 2 hrs', 2 * H],
    ['up 14 secs', 14],
  ])('fragment %j has no users and no load', (text, uptimeS) => {
    expect(parseUptime(text)).toEqual({ uptime: text, uptime_s: uptimeS, users: null, load_average: null });
  });

  it.each([
    ['0 users', 0],
    ['1 user', 1],
    ['3 users', 3],
  ])('reads "%s"', (users, n) => {
    expect(parseUptime(` 10:00:00 up 1:00,  ${users},  load average: 0.00, 0.00, 0.00`)?.users).toBe(n);
  });

  it.each(['', 'hello', 'load average: 0.00, 0.01, 0.05', 'up', 'up nowhere, 2 users', 'setup 5 min'])(
    'returns null for %j',
    (text) => {
      expect(parseUptime(text)).toBeNull();
    },
  );

  it('gives a null load when the load average is malformed', () => {
    expect(parseUptime('up 5 min,  1 user,  load average: 0.00, x, 0.05')?.load_average).toBeNull();
    expect(parseUptime('up 5 min,  1 user,  load average: 0.00')?.load_average).toBeNull();
  });

  it('takes the line with "up" out of multi-line input (leading banner, trailing newline)', () => {
    const r = parseUptime('\nnoise\n 10:15:01 up 5 min,  1 user,  load average: 0.00, 0.01, 0.05\n');
    expect(r?.uptime_s).toBe(300);
    expect(r?.uptime).toBe('10:15:01 up 5 min,  1 user,  load average: 0.00, 0.01, 0.05');
  });

  it('caps the kept text at 200 characters (schema bound)', () => {
    const r = parseUptime(`up 5 min,  1 user,  load average: 0.00, 0.01, 0.05${' '.repeat(300)}x`);
    expect(r?.uptime.length).toBe(200);
  });
});
