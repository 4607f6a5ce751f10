import type { Exec } from './exec';
import { parseUptime, type UptimeInfo } from './parse-uptime';
import type { MemoryInfo } from './proc';
import { type CpuSampler, readLoadavg, readMeminfo, readProcUptime } from './proc';

/** The host block of state.health and the `system.resources` result (protocol SystemResources). */
export interface SystemResourcesData {
  uptime: string;
  uptime_s: number;
  users: number;
  load_average: [number, number, number];
  memory: MemoryInfo;
  cpu: { cores: number; usage_pct: number };
}

/** Where the host figures come from; everything injectable for tests. */
export interface SystemSources {
  exec: Exec;
  cpu: CpuSampler;
  /** Default /proc. */
  procRoot?: string;
  /** The `uptime` program (default `uptime`, looked up on PATH). */
  uptimeBin?: string;
  /** Timeout for `uptime`, ms (default 5 s). */
  timeoutMs?: number;
}

/**
 * Reads uptime, users, load, memory and CPU. Numbers come from /proc (exact, no process spawned for them);
 * the `uptime` line (the seed's text) and the user count come from running `uptime`. When `uptime` cannot
 * run, the line is rebuilt from /proc in procps format and users is 0.
 */
export async function readSystemResources(src: SystemSources): Promise<SystemResourcesData> {
  const procRoot = src.procRoot ?? '/proc';
  const [line, procUptime, load, memory, cpu] = await Promise.all([
    runUptime(src),
    readProcUptime(procRoot).catch(() => null),
    readLoadavg(procRoot).catch(() => null),
    readMeminfo(procRoot),
    src.cpu.sample(),
  ]);
  const uptimeS = procUptime ?? line?.uptime_s;
  const loadAvg = load ?? line?.load_average;
  if (uptimeS === undefined || loadAvg == null)
    throw new Error('neither /proc nor `uptime` gave the uptime and load');
  const users = line?.users ?? 0;
  return {
    uptime: line?.uptime ?? formatUptimeLine(uptimeS, users, loadAvg),
    uptime_s: uptimeS,
    users,
    load_average: loadAvg,
    memory,
    cpu,
  };
}

async function runUptime(src: SystemSources): Promise<UptimeInfo | null> {
  try {
    const r = await src.exec(src.uptimeBin ?? 'uptime', [], { timeoutMs: src.timeoutMs ?? 5000 });
    return r.code === 0 ? parseUptime(r.stdout) : null;
  } catch {
    return null;
  }
}

/** An `uptime`-style line ("up 12 days,  3:42,  0 users,  load average: 0.41, 0.22, 0.10") for hosts without `uptime`. */
export function formatUptimeLine(
  uptimeS: number,
  users: number,
  load: readonly [number, number, number],
): string {
  const days = Math.floor(uptimeS / 86_400);
  const hours = Math.floor((uptimeS % 86_400) / 3600);
  const mins = Math.floor((uptimeS % 3600) / 60);
  const parts: string[] = [];
  if (days > 0) parts.push(`${days} day${days === 1 ? '' : 's'}`);
  parts.push(hours > 0 ? `${hours}:${String(mins).padStart(2, '0')}` : `${mins} min`);
  parts.push(`${users} user${users === 1 ? '' : 's'}`);
  return `up ${parts.join(',  ')},  load average: ${load.map((n) => n.toFixed(2)).join(', ')}`;
}
