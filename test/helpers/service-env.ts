/**
 * How the shipped service starts the agent, read from the same file the systemd unit and the SysV init script
 * read (packaging/sysconfig/pbxlink, installed as /etc/sysconfig/pbxlink): the Node flags and the environment.
 * Benchmarks start their agent process with `serviceLaunch()` so that they measure the agent as installed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The sysconfig file in this checkout. */
export const SYSCONFIG_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'packaging',
  'sysconfig',
  'pbxlink',
);

/**
 * Parses the sysconfig file: `KEY=value`, `KEY="value"` or `KEY='value'` lines, blank lines and `#` comments.
 * Anything else throws, since the file must mean the same to systemd's EnvironmentFile= and to sh.
 */
export function parseSysconfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"\\$`]*)"|'([^']*)'|([^\s"'\\$`#;]*))$/.exec(t);
    if (!m) throw new Error(`sysconfig line ${i + 1} is not KEY="value": ${line}`);
    out[m[1] as string] = m[2] ?? m[3] ?? m[4] ?? '';
  }
  return out;
}

/** What the service runs: `node <flags> SCRIPT run` with `env` added to the environment. */
export interface ServiceLaunch {
  /** node's arguments before the script (PBXLINK_NODE_FLAGS split on blanks, as systemd and sh split it). */
  nodeFlags: string[];
  /** Every variable the file sets (the service's processes get them all). */
  env: Record<string, string>;
}

/** Reads the service's launch settings from the sysconfig file (default: this checkout's). */
export function serviceLaunch(file = SYSCONFIG_FILE): ServiceLaunch {
  const env = parseSysconfig(readFileSync(file, 'utf8'));
  return { nodeFlags: (env.PBXLINK_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean), env };
}
