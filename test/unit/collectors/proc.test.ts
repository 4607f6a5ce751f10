import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CpuSampler,
  cpuUsagePct,
  parseMeminfo,
  parseProcStat,
  readCpuTimes,
  readLoadavg,
  readMeminfo,
  readProcUptime,
} from '../../../agent/src/collectors/proc';

const STAT = (user: number, idle: number) =>
  `cpu  ${user} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 ${user} 0 0 ${idle} 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\nintr 1 2 3\nctxt 99\n`;

describe('/proc parsers', () => {
  it('meminfo with MemAvailable (kernel ≥ 3.14)', () => {
    const m = parseMeminfo(
      'MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    600 kB\nBuffers:  10 kB\n',
    );
    expect(m).toEqual({ total_bytes: 1000 * 1024, used_bytes: 400 * 1024, free_bytes: 600 * 1024 });
  });

  it('meminfo without MemAvailable (CentOS 6 kernel 2.6.32): free + buffers + cached + sreclaimable', () => {
    const m = parseMeminfo(
      'MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\nSReclaimable: 50 kB\nActive(anon): 5 kB\n',
    );
    expect(m).toEqual({ total_bytes: 1000 * 1024, used_bytes: 600 * 1024, free_bytes: 400 * 1024 });
  });

  it('meminfo without MemTotal is an error', () => {
    expect(() => parseMeminfo('MemFree: 1 kB\n')).toThrow(/MemTotal/);
  });

  it('stat: busy/idle jiffies and cores', () => {
    expect(parseProcStat(STAT(30, 70))).toEqual({ idle: 70, total: 100, cores: 2 });
    expect(() => parseProcStat('intr 1\n')).toThrow();
  });

  it.each([
    [{ idle: 70, total: 100, cores: 1 }, { idle: 120, total: 200, cores: 1 }, 50],
    [{ idle: 0, total: 100, cores: 1 }, { idle: 100, total: 200, cores: 1 }, 0],
    [{ idle: 0, total: 100, cores: 1 }, { idle: 0, total: 300, cores: 1 }, 100],
    [{ idle: 5, total: 100, cores: 1 }, { idle: 5, total: 100, cores: 1 }, 0],
    [{ idle: 0, total: 0, cores: 1 }, { idle: 2, total: 3, cores: 1 }, 33.3],
  ])('cpu usage between %j and %j is %s %', (a, b, pct) => {
    expect(cpuUsagePct(a, b)).toBe(pct);
  });
});

describe('/proc readers on a fake proc root and on the real /proc', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pbxlink-proc-'));
    await writeFile(join(root, 'uptime'), '93784.52 180000.11\n');
    await writeFile(join(root, 'loadavg'), '0.41 0.22 0.10 1/155 9688\n');
    await writeFile(join(root, 'meminfo'), 'MemTotal: 2048 kB\nMemAvailable: 1024 kB\n');
    await writeFile(join(root, 'stat'), STAT(30, 70));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads the fake root', async () => {
    expect(await readProcUptime(root)).toBe(93784);
    expect(await readLoadavg(root)).toEqual([0.41, 0.22, 0.1]);
    expect(await readMeminfo(root)).toEqual({
      total_bytes: 2 * 1024 * 1024,
      used_bytes: 1024 * 1024,
      free_bytes: 1024 * 1024,
    });
  });

  it('CpuSampler: first call samples twice a gap apart, later calls measure since the previous one', async () => {
    let now = 1_000;
    const sleeps: number[] = [];
    const sampler = new CpuSampler({
      procRoot: root,
      now: () => now,
      gapMs: 123,
      sleep: async (ms) => {
        sleeps.push(ms);
        await writeFile(join(root, 'stat'), STAT(80, 120)); // +50 busy, +50 idle
        now += ms;
      },
    });
    expect(await sampler.sample()).toEqual({ cores: 2, usage_pct: 50 });
    expect(sleeps).toEqual([123]);
    await writeFile(join(root, 'stat'), STAT(80, 220)); // +0 busy, +100 idle
    now += 30_000;
    expect(await sampler.sample()).toEqual({ cores: 2, usage_pct: 0 });
    expect(sleeps).toEqual([123]);
  });

  it("reads this machine's /proc", async () => {
    expect(await readProcUptime()).toBeGreaterThan(0);
    const load = await readLoadavg();
    expect(load).toHaveLength(3);
    const mem = await readMeminfo();
    expect(mem.total_bytes).toBeGreaterThan(0);
    expect(mem.used_bytes + mem.free_bytes).toBe(mem.total_bytes);
    const cpu = await readCpuTimes();
    expect(cpu.cores).toBeGreaterThanOrEqual(1);
    const s = await new CpuSampler({ gapMs: 50 }).sample();
    expect(s.usage_pct).toBeGreaterThanOrEqual(0);
    expect(s.usage_pct).toBeLessThanOrEqual(100);
  });
});
