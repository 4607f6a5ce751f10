import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** Memory figures in bytes (state.health `system.memory`). */
export interface MemoryInfo {
  total_bytes: number;
  /** total − free. */
  used_bytes: number;
  /** MemAvailable (what programs can still get); on kernels before 3.14 MemFree + Buffers + Cached + SReclaimable. */
  free_bytes: number;
}

/** Cumulative CPU jiffies from /proc/stat's "cpu" line. */
export interface CpuTimes {
  /** idle + iowait. */
  idle: number;
  /** user + nice + system + idle + iowait + irq + softirq + steal. */
  total: number;
  /** Number of "cpuN" lines (online CPUs of the host). */
  cores: number;
}

/** Seconds since boot from /proc/uptime. */
export async function readProcUptime(procRoot = '/proc'): Promise<number> {
  const text = await readFile(join(procRoot, 'uptime'), 'utf8');
  const s = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(s) || s < 0) throw new Error(`unexpected ${procRoot}/uptime content`);
  return Math.floor(s);
}

/** The 1, 5, 15 minute load averages from /proc/loadavg. */
export async function readLoadavg(procRoot = '/proc'): Promise<[number, number, number]> {
  const text = await readFile(join(procRoot, 'loadavg'), 'utf8');
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (a === undefined || b === undefined || c === undefined || ![a, b, c].every(Number.isFinite)) {
    throw new Error(`unexpected ${procRoot}/loadavg content`);
  }
  return [a, b, c];
}

/** Parses /proc/meminfo text ("MemTotal:  24684084 kB" lines) into bytes. */
export function parseMeminfo(text: string): MemoryInfo {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (m?.[1] && m[2]) kb.set(m[1], Number(m[2]));
  }
  const total = kb.get('MemTotal');
  if (total === undefined) throw new Error('meminfo without MemTotal');
  const available =
    kb.get('MemAvailable') ??
    (kb.get('MemFree') ?? 0) +
      (kb.get('Buffers') ?? 0) +
      (kb.get('Cached') ?? 0) +
      (kb.get('SReclaimable') ?? 0);
  const free = Math.min(total, available) * 1024;
  return { total_bytes: total * 1024, used_bytes: total * 1024 - free, free_bytes: free };
}

/** Memory figures from /proc/meminfo. */
export async function readMeminfo(procRoot = '/proc'): Promise<MemoryInfo> {
  return parseMeminfo(await readFile(join(procRoot, 'meminfo'), 'utf8'));
}

/** Parses /proc/stat text: the aggregate "cpu" line and the count of "cpuN" lines. */
export function parseProcStat(text: string): CpuTimes {
  let times: number[] | null = null;
  let cores = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) times = line.trim().split(/\s+/).slice(1, 9).map(Number);
    else if (/^cpu\d+\s/.test(line)) cores++;
  }
  if (!times || times.length < 4 || !times.every(Number.isFinite))
    throw new Error('/proc/stat without a cpu line');
  const idle = (times[3] ?? 0) + (times[4] ?? 0);
  return { idle, total: times.reduce((a, b) => a + b, 0), cores: cores || cpus().length || 1 };
}

/** CPU times from /proc/stat. */
export async function readCpuTimes(procRoot = '/proc'): Promise<CpuTimes> {
  return parseProcStat(await readFile(join(procRoot, 'stat'), 'utf8'));
}

/** Busy share of CPU time between two samples, in percent with one decimal (0 when no time passed). */
export function cpuUsagePct(a: CpuTimes, b: CpuTimes): number {
  const total = b.total - a.total;
  const idle = b.idle - a.idle;
  if (total <= 0) return 0;
  return Math.round(Math.min(100, Math.max(0, ((total - idle) * 100) / total)) * 10) / 10;
}

/**
 * CPU usage between two /proc/stat samples. A sampler keeps its last sample, so each poll reports the
 * usage since the previous one; when it has none (first call) or it is older than `maxAgeMs`, it samples
 * twice `gapMs` apart. `sleep` is injectable so tests need not wait.
 */
export class CpuSampler {
  private last: { at: number; times: CpuTimes } | null = null;

  constructor(
    private readonly opts: {
      procRoot?: string;
      now?: () => number;
      sleep?: (ms: number) => Promise<void>;
      gapMs?: number;
      maxAgeMs?: number;
    } = {},
  ) {}

  /** Cores and usage percent since the last sample. */
  async sample(): Promise<{ cores: number; usage_pct: number }> {
    const now = this.opts.now ?? Date.now;
    const procRoot = this.opts.procRoot ?? '/proc';
    let prev = this.last;
    if (prev === null || now() - prev.at > (this.opts.maxAgeMs ?? 15 * 60_000)) {
      prev = { at: now(), times: await readCpuTimes(procRoot) };
      const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
      await sleep(this.opts.gapMs ?? 250);
    }
    const times = await readCpuTimes(procRoot);
    this.last = { at: now(), times };
    return { cores: times.cores, usage_pct: cpuUsagePct(prev.times, times) };
  }
}
