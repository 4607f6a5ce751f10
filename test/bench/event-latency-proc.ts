/** CPU time and RSS of another process from /proc (Linux), for the event-latency benchmark. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times. */
function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** Samples one process: CPU seconds used so far and current RSS. */
export class ProcSampler {
  private readonly hz = clockTicks();
  private timer: NodeJS.Timeout | undefined;
  private peak = 0;
  constructor(private readonly pid: number) {}

  /** utime + stime of the process, in seconds. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): state is field 3.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / this.hz;
  }

  /** VmRSS in MB. */
  rssMb(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  }

  /** Whether the process still exists (and is not a zombie). */
  alive(): boolean {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }

  /** Starts a measurement window: returns a function giving CPU% (of one core) and peak RSS since. */
  window(sampleMs = 250): () => { cpuPct: number; peakRssMb: number; rssMb: number } {
    const cpu0 = this.cpuSeconds();
    const t0 = performance.now();
    this.peak = this.rssMb();
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      try {
        this.peak = Math.max(this.peak, this.rssMb());
      } catch {}
    }, sampleMs);
    return () => {
      clearInterval(this.timer);
      const rss = this.rssMb();
      this.peak = Math.max(this.peak, rss);
      const wall = (performance.now() - t0) / 1000;
      return { cpuPct: ((this.cpuSeconds() - cpu0) / wall) * 100, peakRssMb: this.peak, rssMb: rss };
    };
  }
}
