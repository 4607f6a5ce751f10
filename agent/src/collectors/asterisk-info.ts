import type { AmiClient } from '../pbx/ami/types';

/** What state/health says about Asterisk itself. */
export interface AsteriskInfoData {
  version: string | null;
  ami_version: string | null;
  uptime_s: number | null;
  last_reload_s: number | null;
  dialect: string | null;
}

/** The dialect name consumers see: '1.8' for 1.x, else the major version ('11', '13', '16' …). */
export function dialectName(major: number): string {
  return major === 1 ? '1.8' : String(major);
}

/**
 * Reads version and dialect from the AMI client (learned at login via CoreSettings) and uptime/last
 * reload from `core show uptime seconds` (`System uptime: N` / `Last reload: N`). Null when AMI is down.
 */
export async function readAsteriskInfo(ami: AmiClient): Promise<AsteriskInfoData | null> {
  const d = ami.dialect;
  if (ami.state !== 'connected' || !d) return null;
  let uptime: number | null = null;
  let reload: number | null = null;
  try {
    for (const line of await ami.command('core show uptime seconds', { timeoutMs: 3000 })) {
      const m = /^(System uptime|Last reload):\s*(\d+)/.exec(line.trim());
      if (m?.[1] === 'System uptime') uptime = Number(m[2]);
      else if (m) reload = Number(m[2]);
    }
  } catch {
    // Uptime is a nicety; version and dialect still stand.
  }
  return {
    version: d.asteriskVersion || null,
    ami_version: d.amiVersion || null,
    uptime_s: uptime,
    last_reload_s: reload,
    dialect: dialectName(d.major),
  };
}
