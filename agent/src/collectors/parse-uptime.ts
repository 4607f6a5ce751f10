/** What the `uptime` command says, parsed (seed `systemresources`). */
export interface UptimeInfo {
  /** The line as `uptime` printed it, trimmed (the seed's `uptime` text). */
  uptime: string;
  /** Uptime in seconds (minute resolution: `uptime` prints no seconds). */
  uptime_s: number;
  /** Logged-in users; null when the line does not say (BusyBox without utmp support). */
  users: number | null;
  /** 1, 5 and 15 minute load averages; null when the line has none. */
  load_average: [number, number, number] | null;
}

/** Duration segments of the "up …" part and their seconds. */
const DURATIONS: readonly [RegExp, (m: RegExpExecArray) => number][] = [
  [/^(\d+)\s+days?$/i, (m) => Number(m[1]) * 86_400],
  [/^(\d+):(\d{2})$/, (m) => Number(m[1]) * 3600 + Number(m[2]) * 60],
  [/^(\d+)\s+(?:hours?|hrs?)$/i, (m) => Number(m[1]) * 3600],
  [/^(\d+)\s+(?:min|mins|minutes?)$/i, (m) => Number(m[1]) * 60],
  [/^(\d+)\s+(?:secs?|seconds?)$/i, (m) => Number(m[1])],
];
const USERS = /^(\d+)\s+users?$/i;

/**
 * Parses one line of `uptime` output: procps (" 10:15:01 up 12 days,  3:42,  3 users,  load average: 0.00, 0.01, 0.05"),
 * procps-ng 4 ("0 user"), BusyBox (no users field), BSD ("load averages: 1.0 1.2 1.3", "2 hrs").
 * Returns null when the text holds no "up <duration>".
 */
export function parseUptime(text: string): UptimeInfo | null {
  const line =
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /\bup\s/.test(l)) ?? '';
  const upAt = line.search(/\bup\s/);
  if (upAt < 0) return null;
  const loadAt = line.search(/load averages?:/i);
  const head = line.slice(upAt + 3, loadAt < 0 ? undefined : loadAt);
  let seconds = 0;
  let sawDuration = false;
  let users: number | null = null;
  for (const raw of head.split(',')) {
    const seg = raw.trim();
    const u = USERS.exec(seg);
    if (u) {
      users = Number(u[1]);
      continue;
    }
    for (const [re, secs] of DURATIONS) {
      const m = re.exec(seg);
      if (m) {
        seconds += secs(m);
        sawDuration = true;
        break;
      }
    }
  }
  if (!sawDuration) return null;
  return {
    uptime: line.slice(0, 200),
    uptime_s: seconds,
    users,
    load_average: loadAt < 0 ? null : parseLoad(line.slice(loadAt)),
  };
}

/** "load average: 0.00, 0.01, 0.05" or "load averages: 1.00 1.20 1.30" → three numbers, null if malformed. */
function parseLoad(part: string): [number, number, number] | null {
  const nums = part
    .slice(part.indexOf(':') + 1)
    .split(/[,\s]+/)
    .filter((s) => s !== '')
    .map(Number);
  const [a, b, c] = nums;
  if (nums.length < 3 || a === undefined || b === undefined || c === undefined) return null;
  if (![a, b, c].every((n) => Number.isFinite(n) && n >= 0)) return null;
  return [a, b, c];
}
