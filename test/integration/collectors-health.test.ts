import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createExec } from '../../agent/src/collectors/exec';
import {
  type AsteriskInfo,
  HealthCollector,
  type HealthData,
  type HealthOptions,
} from '../../agent/src/collectors/health-collector';
import { CpuSampler } from '../../agent/src/collectors/proc';
import { HealthState } from '../../protocol/src/schemas/system';
import { makeContext, TestClock, until } from '../unit/collectors/harness';

const exec = createExec();
const dirs: string[] = [];
const collectors: HealthCollector[] = [];

afterEach(() => {
  for (const c of collectors.splice(0)) c.stop();
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A fake /proc whose figures the test sets. */
async function fakeProc(): Promise<{
  root: string;
  set: (f: Partial<Record<'uptime' | 'loadavg' | 'meminfo', string>>) => Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), 'pbxlink-health-'));
  dirs.push(root);
  const set = async (f: Partial<Record<'uptime' | 'loadavg' | 'meminfo', string>>) => {
    for (const [k, v] of Object.entries(f)) await writeFile(join(root, k), v);
  };
  await set({
    uptime: '3600.00 7000.00\n',
    loadavg: '0.50 0.40 0.30 1/100 999\n',
    meminfo: 'MemTotal: 1000000 kB\nMemAvailable: 600000 kB\n',
  });
  await writeFile(join(root, 'stat'), 'cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\n');
  return { root, set };
}

function collector(procRoot: string, extra: Partial<HealthOptions> = {}): HealthCollector {
  const c = new HealthCollector({
    version: '0.1.0-test',
    bootId: 'boot-1',
    startedAt: Date.UTC(2026, 10, 29, 4, 0, 0),
    agentId: 'pbx1',
    rss: () => 50 * 1024 * 1024,
    system: {
      exec,
      procRoot,
      uptimeBin: join(procRoot, 'no-uptime-here'), // absent: the line is rebuilt from the fake /proc
      cpu: new CpuSampler({ procRoot, sleep: async () => {} }),
    },
    ...extra,
  });
  collectors.push(c);
  return c;
}

const health = (x: unknown) => x as HealthData;

describe('HealthCollector on this machine', () => {
  it('publishes a schema-valid state/health from the real /proc and the real `uptime`', async () => {
    const { ctx, publisher } = makeContext();
    const c = new HealthCollector({
      version: '0.1.0',
      bootId: 'b',
      startedAt: Date.now() - 5000,
      system: { exec, cpu: new CpuSampler({ gapMs: 50 }) },
    });
    collectors.push(c);
    c.start(ctx);
    await c.runNow();
    const [data] = publisher.of('health');
    expect(Value.Errors(HealthState, data).First()).toBeUndefined();
    const h = health(data);
    const real = execFileSync('uptime', { encoding: 'utf8' });
    expect(h.system.uptime).toMatch(/ up /);
    expect(h.system.users).toBe(Number(/(\d+) users?/.exec(real)?.[1] ?? 0));
    expect(
      Math.abs(
        h.system.uptime_s - Number(execFileSync('cat', ['/proc/uptime'], { encoding: 'utf8' }).split('.')[0]),
      ),
    ).toBeLessThan(5);
    expect(h.system.memory.total_bytes).toBeGreaterThan(0);
    expect(h.system.cpu.cores).toBeGreaterThanOrEqual(1);
    expect(h.components).toMatchObject({
      ami: { status: 'degraded', reason: 'no status reported yet' },
      database: { status: 'degraded', reason: 'no status reported yet' },
    });
    expect(h.asterisk).toEqual({
      version: null,
      ami_version: null,
      uptime_s: null,
      last_reload_s: null,
      dialect: null,
    });
  });
});

describe('HealthCollector republication', () => {
  let clock: TestClock;
  beforeEach(() => {
    clock = new TestClock();
  });

  it('skips unchanged snapshots, republishes on memory ±5 points, load ±1, reboot, and on keep-alive', async () => {
    const proc = await fakeProc();
    const { ctx, publisher } = makeContext(clock);
    const c = collector(proc.root, { keepAliveMs: 300_000 });
    c.start(ctx);
    await c.runNow();
    const first = health(publisher.of('health')[0]);
    expect(Value.Check(HealthState, first)).toBe(true);
    expect(first.system).toEqual({
      uptime: 'up 1:00,  0 users,  load average: 0.50, 0.40, 0.30',
      uptime_s: 3600,
      users: 0,
      load_average: [0.5, 0.4, 0.3],
      memory: { total_bytes: 1_024_000_000, used_bytes: 409_600_000, free_bytes: 614_400_000 },
      cpu: { cores: 1, usage_pct: 0 },
    });
    expect(first.agent).toEqual({
      agent: 'pbx1',
      version: '0.1.0-test',
      boot_id: 'boot-1',
      started_at: '2026-11-29T04:00:00.000Z',
      uptime_s: 3600,
      rss_mb: 50,
    });

    const step = async (files: Parameters<typeof proc.set>[0], advanceMs = 30_000) => {
      clock.advance(advanceMs);
      await proc.set({
        uptime: `${3600 + (clock.t - Date.UTC(2026, 10, 29, 5)) / 1000}.00 1.00\n`,
        ...files,
      });
      await c.runNow();
      return publisher.of('health').length;
    };
    // Time passes, uptime grows, small wobbles: nothing new to say.
    expect(
      await step({
        loadavg: '0.90 0.50 0.30 1/100 999\n',
        meminfo: 'MemTotal: 1000000 kB\nMemAvailable: 570000 kB\n',
      }),
    ).toBe(1);
    // Memory use 43 % → 46 %: still under 5 points from the published 40 %.
    expect(await step({ meminfo: 'MemTotal: 1000000 kB\nMemAvailable: 560000 kB\n' })).toBe(1);
    // 46 % → 45 %: 5 points above the published 40 %.
    expect(await step({ meminfo: 'MemTotal: 1000000 kB\nMemAvailable: 550000 kB\n' })).toBe(2);
    // Load 0.9 → 1.6: ≥ 1 from the published 0.9? no (0.7); → 1.95: yes.
    expect(await step({ loadavg: '1.60 0.50 0.30 1/100 999\n' })).toBe(2);
    expect(await step({ loadavg: '1.95 0.50 0.30 1/100 999\n' })).toBe(3);
    // Reboot: uptime back to 60 s.
    clock.advance(30_000);
    await proc.set({ uptime: '60.00 1.00\n' });
    await c.runNow();
    expect(publisher.of('health')).toHaveLength(4);
    expect(health(publisher.of('health')[3]).system.uptime_s).toBe(60);
    // Keep-alive after 5 min of nothing new.
    clock.advance(200_000);
    await proc.set({ uptime: '260.00 1.00\n' });
    await c.runNow();
    expect(publisher.of('health')).toHaveLength(4);
    clock.advance(100_000);
    await proc.set({ uptime: '360.00 1.00\n' });
    await c.runNow();
    expect(publisher.of('health')).toHaveLength(5);
    for (const d of publisher.of('health')) expect(Value.Check(HealthState, d)).toBe(true);
  });

  it('folds component.status events and republishes at once on a change (degraded, not dead)', async () => {
    const proc = await fakeProc();
    const { ctx, publisher, bus } = makeContext(clock);
    const c = collector(proc.root);
    c.start(ctx);
    await c.runNow();
    expect(publisher.of('health')).toHaveLength(1);

    clock.advance(1000);
    bus.emit('component.status', {
      component: 'ami',
      status: 'down',
      reason: 'connect ECONNREFUSED 127.0.0.1:5038',
    });
    expect(publisher.of('health')).toHaveLength(2); // synchronously, with the last host figures
    const down = health(publisher.of('health')[1]);
    expect(down.components.ami).toEqual({
      status: 'down',
      reason: 'connect ECONNREFUSED 127.0.0.1:5038',
      since: '2026-11-29T05:00:01.000Z',
    });
    expect(Value.Check(HealthState, down)).toBe(true);

    bus.emit('component.status', {
      component: 'ami',
      status: 'down',
      reason: 'connect ECONNREFUSED 127.0.0.1:5038',
    });
    expect(publisher.of('health')).toHaveLength(2); // repetition: nothing new

    clock.advance(1000);
    bus.emit('component.status', { component: 'ami', status: 'down', reason: 'login failed' });
    expect(health(publisher.of('health')[2]).components.ami).toEqual({
      status: 'down',
      reason: 'login failed',
      since: '2026-11-29T05:00:01.000Z',
    });

    clock.advance(1000);
    bus.emit('component.status', { component: 'database', status: 'ok' });
    bus.emit('component.status', { component: 'broker', status: 'ok' });
    bus.emit('component.status', { component: 'ami', status: 'ok', reason: 'ignored when ok' });
    const last = health(publisher.of('health').at(-1));
    expect(last.components).toEqual({
      ami: { status: 'ok', since: '2026-11-29T05:00:03.000Z' },
      database: { status: 'ok', since: '2026-11-29T05:00:03.000Z' },
      broker: { status: 'ok', since: '2026-11-29T05:00:03.000Z' },
    });
    expect(Value.Check(HealthState, last)).toBe(true);

    // Unchanged poll after the events: not republished.
    const n = publisher.of('health').length;
    await c.runNow();
    expect(publisher.of('health')).toHaveLength(n);

    // Bad component names are ignored.
    bus.emit('component.status', { component: 'Bad Name!', status: 'down' });
    bus.emit('component.status', { component: '', status: 'down' });
    expect(publisher.of('health')).toHaveLength(n);
  });

  it('a component event before the first collection triggers a collection that carries it', async () => {
    const proc = await fakeProc();
    const { ctx, publisher, bus } = makeContext(clock);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const c = collector(proc.root, {
      asteriskInfo: async () => {
        await gate;
        return null;
      },
    });
    c.start(ctx);
    bus.emit('component.status', { component: 'database', status: 'down', reason: 'ER_ACCESS_DENIED_ERROR' });
    release();
    await until(() => publisher.of('health').length >= 1, 5000, 'first health');
    await c.runNow();
    const all = publisher.of('health').map(health);
    expect(all.at(-1)?.components.database).toMatchObject({
      status: 'down',
      reason: 'ER_ACCESS_DENIED_ERROR',
    });
  });

  it('asks asteriskInfo for version/uptime; failures and hangs give nulls; a restart republishes', async () => {
    const proc = await fakeProc();
    const { ctx, publisher } = makeContext(clock);
    let mode: 'ok' | 'throw' | 'hang' = 'ok';
    let uptime = 1000;
    const info = async (): Promise<AsteriskInfo | null> => {
      if (mode === 'throw') throw new Error('AMI not connected');
      if (mode === 'hang') return await new Promise<never>(() => {});
      return {
        version: '13.38.3',
        ami_version: '2.10.6',
        uptime_s: uptime,
        last_reload_s: 500,
        dialect: '13',
      };
    };
    const c = collector(proc.root, { asteriskInfo: info, asteriskTimeoutMs: 100 });
    c.start(ctx);
    await c.runNow();
    expect(health(publisher.of('health')[0]).asterisk).toEqual({
      version: '13.38.3',
      ami_version: '2.10.6',
      uptime_s: 1000,
      last_reload_s: 500,
      dialect: '13',
    });
    clock.advance(30_000);
    uptime += 30;
    await c.runNow();
    expect(publisher.of('health')).toHaveLength(1); // Asterisk uptime grows: not a change
    clock.advance(30_000);
    uptime = 5; // restarted
    await c.runNow();
    expect(publisher.of('health')).toHaveLength(2);

    mode = 'throw';
    clock.advance(30_000);
    await c.runNow();
    expect(health(publisher.of('health')[2]).asterisk).toEqual({
      version: null,
      ami_version: null,
      uptime_s: null,
      last_reload_s: null,
      dialect: null,
    });
    mode = 'hang';
    clock.advance(30_000);
    const t0 = Date.now();
    await c.runNow();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(publisher.of('health')).toHaveLength(3); // still all nulls: unchanged
    for (const d of publisher.of('health')) expect(Value.Check(HealthState, d)).toBe(true);
  });

  it('refresh.request during a run in flight makes that run publish (no lost refresh)', async () => {
    const proc = await fakeProc();
    const { ctx, publisher, bus } = makeContext(clock);
    let hold: Promise<void> | null = null;
    const c = collector(proc.root, {
      asteriskInfo: async () => {
        if (hold) await hold;
        return null;
      },
    });
    c.start(ctx);
    await c.runNow();
    expect(publisher.of('health')).toHaveLength(1);
    let release!: () => void;
    hold = new Promise<void>((r) => {
      release = r;
    });
    const running = c.runNow();
    await new Promise((r) => setTimeout(r, 20));
    bus.emit('refresh.request', { reason: 'agent.refresh' });
    release();
    hold = null;
    await running;
    await c.runNow();
    expect(publisher.of('health')).toHaveLength(2);
  });

  it('polls on its cron schedule and stops cleanly', async () => {
    const proc = await fakeProc();
    const { ctx, publisher, bus } = makeContext(clock);
    const c = collector(proc.root, { cron: '* * * * * *', keepAliveMs: 0 });
    c.start(ctx);
    await until(() => publisher.of('health').length >= 3, 6000, 'three scheduled polls');
    c.stop();
    c.stop(); // idempotent
    const n = publisher.of('health').length;
    bus.emit('component.status', { component: 'ami', status: 'down', reason: 'x' });
    bus.emit('refresh.request', { reason: 'x' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(publisher.of('health').length).toBeLessThanOrEqual(n + 1); // at most a run already in flight
  });
});
