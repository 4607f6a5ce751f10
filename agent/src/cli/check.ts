/**
 * `pbxlink check`: prints the effective configuration with every credential masked and the source of
 * each value, the discovery notes and configuration problems, then tests each connection and prints
 * one ok/FAILED line per part. Everything printed goes through the secret mask as a last defence.
 */

import { FIELDS } from '../config/fields';
import type { LoadedConfig } from '../config/load';
import { checkTrustedKeysFile } from '../config/trusted-keys-check';
import { maskSecrets } from '../core/log';
import { probeMonitorDir, probeStateDir } from './dir-probes';
import { EXIT } from './exit-codes';
import { type ProbeResult, probeAmi, probeDb, probeMqtt } from './probes';

/** The mask shown instead of a credential. */
export const MASK = '********';

/** A value as shown by `check`: credentials masked, URL passwords masked. */
export function displayValue(path: string, value: unknown): string {
  if (value === undefined) return '(not set)';
  if (FIELDS.find((f) => f.path === path)?.secret) return MASK;
  if (path === 'broker.url' && typeof value === 'string') {
    try {
      const u = new URL(value);
      if (u.password) {
        u.password = 'xxxxxxxx';
        return u.toString().replace(':xxxxxxxx@', `:${MASK}@`);
      }
    } catch {
      /* shown as is; validation reports it */
    }
  }
  return Array.isArray(value) ? value.join(' ') : String(value);
}

/** The effective-configuration table, one line per knob: path, value, source. */
export function renderConfig(loaded: LoadedConfig): string[] {
  const f = loaded.file;
  const lines = [
    `config file: ${f.path}${f.found ? '' : f.explicit ? ' (not readable)' : ' (not found: defaults, environment and discovery)'}`,
    '',
  ];
  const width = Math.max(...FIELDS.map((x) => x.path.length)) + 2;
  for (const spec of FIELDS) {
    const v = loaded.values[spec.path];
    const src = v === undefined ? '' : `  [${loaded.sources[spec.path] ?? ''}]`;
    lines.push(`  ${spec.path.padEnd(width)}${displayValue(spec.path, v)}${src}`);
  }
  return lines;
}

/** Formats a probe result as an aligned `name  ok|FAILED  detail` line. */
export function probeLine(r: ProbeResult): string {
  return `  ${r.name.padEnd(14)}${(r.ok ? 'ok' : 'FAILED').padEnd(8)}${r.detail}`;
}

/** Runs `check`; writes to `out`; returns the exit code. */
export async function runCheck(
  loaded: LoadedConfig,
  out: (line: string) => void,
  timeoutMs = 5000,
): Promise<number> {
  // Same floor as the logger: masking 1-2 character strings would garble every line.
  const secrets = loaded.secrets.filter((x) => x.length >= 3);
  const print = (l: string) => out(maskSecrets(l, secrets));
  for (const l of renderConfig(loaded)) print(l);
  if (loaded.notes.length > 0) {
    print('');
    for (const n of loaded.notes) print(`notice: ${n}`);
  }
  if (loaded.problems.length > 0 || !loaded.config) {
    print('');
    for (const p of loaded.problems) print(`config error: ${p}`);
    print(`${loaded.problems.length} configuration problem(s); connections not tested`);
    return EXIT.config;
  }
  const cfg = loaded.config;
  print('');
  print('connections:');
  const keys = checkTrustedKeysFile(cfg.paths.trusted_keys);
  const results: ProbeResult[] = [
    {
      name: 'trusted keys',
      ok: keys.problems.length === 0,
      detail: `${cfg.paths.trusted_keys}: ${keys.problems.length === 0 ? `${keys.count} key(s)` : (keys.problems[0] ?? '')}`,
    },
    probeStateDir(cfg.paths.state_dir),
    probeMonitorDir(cfg.paths.monitor_dir),
  ];
  const [ami, db, broker] = await Promise.all([
    probeAmi(cfg.ami, timeoutMs),
    probeDb(cfg.db, timeoutMs),
    probeMqtt(cfg, timeoutMs),
  ]);
  results.push(ami, ...db, broker);
  for (const r of results) print(probeLine(r));
  const failed = results.filter((r) => !r.ok).length;
  print('');
  print(failed === 0 ? 'all checks passed' : `${failed} check(s) FAILED`);
  return failed === 0 ? EXIT.ok : EXIT.failure;
}
