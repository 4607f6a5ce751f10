import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { type Exec, ExecError } from './exec';
import { type ChainInfo, isFirewallActive, parseIptablesRules, parseIptablesSave } from './parse-iptables';

/** state.firewall data and the `system.firewall` result (protocol FirewallState; seed getiptablesstatus). */
export interface FirewallData {
  /** True when the rules could be read. */
  available: boolean;
  /** Why not, when `available` is false: not installed, not permitted, failed, timed out. */
  reason?: string;
  /** The seed's field: whether the iptables program exists on the box. */
  is_exist: boolean;
  /** True when there is a rule anywhere or a built-in chain's policy is not ACCEPT. */
  active: boolean;
  chains: ChainInfo[];
}

/** Where to look for iptables; injectable so tests can point at an empty folder. */
export interface FirewallSources {
  exec: Exec;
  /** Folders searched for `iptables` / `iptables-save` (a daemon's PATH often lacks /sbin). */
  binDirs?: readonly string[];
  /** Per-run timeout in ms (default 10 s). */
  timeoutMs?: number;
}

/** Default search folders for the iptables programs. */
export const IPTABLES_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/bin'] as const;

/**
 * Reads the firewall: `iptables-save` (every loaded table, without loading new kernel modules), else or
 * when it lists nothing `iptables -S` (the filter table, as the seed's `iptables -L`). Never throws:
 * an absent or forbidden iptables gives `available: false` with the reason.
 */
export async function readFirewall(src: FirewallSources): Promise<FirewallData> {
  const dirs = src.binDirs ?? IPTABLES_DIRS;
  const [iptables, save] = await Promise.all([findBin('iptables', dirs), findBin('iptables-save', dirs)]);
  const isExist = iptables !== null;
  if (iptables === null && save === null) {
    return notAvailable(false, `iptables is not installed (not found in ${dirs.join(', ')})`);
  }
  const timeoutMs = src.timeoutMs ?? 10_000;
  let reason = '';
  if (save !== null) {
    const r = await run(src.exec, save, [], timeoutMs);
    if (r.ok) {
      const chains = parseIptablesSave(r.stdout);
      if (chains.length > 0 || iptables === null)
        return { available: true, is_exist: isExist, active: isFirewallActive(chains), chains };
    } else {
      reason = r.reason;
      if (r.denied) return notAvailable(isExist, reason);
    }
  }
  if (iptables !== null) {
    const r = await run(src.exec, iptables, ['-S'], timeoutMs);
    if (r.ok) {
      const chains = parseIptablesRules(r.stdout, 'filter');
      return { available: true, is_exist: isExist, active: isFirewallActive(chains), chains };
    }
    reason = r.reason;
  }
  return notAvailable(isExist, reason);
}

function notAvailable(isExist: boolean, reason: string): FirewallData {
  return { available: false, reason: reason.slice(0, 500), is_exist: isExist, active: false, chains: [] };
}

async function findBin(name: string, dirs: readonly string[]): Promise<string | null> {
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      await access(p, constants.F_OK);
      return p;
    } catch {
      // next folder
    }
  }
  return null;
}

type RunOutcome = { ok: true; stdout: string } | { ok: false; denied: boolean; reason: string };

const DENIED = /permission denied|you must be root|operation not permitted/i;

/** Runs one iptables program and says, in words, why it failed if it did. */
async function run(exec: Exec, file: string, args: string[], timeoutMs: number): Promise<RunOutcome> {
  try {
    const r = await exec(file, args, { timeoutMs });
    if (r.code === 0) return { ok: true, stdout: r.stdout };
    const line = (r.stderr.split('\n').find((l) => l.trim() !== '') ?? '').trim();
    if (DENIED.test(r.stderr))
      return { ok: false, denied: true, reason: `not permitted to read the firewall: ${line}` };
    return { ok: false, denied: false, reason: `${file} failed (exit ${r.code ?? 'signal'}): ${line}` };
  } catch (err) {
    const code = err instanceof ExecError ? err.errno : '';
    if (code === 'ENOENT')
      return { ok: false, denied: false, reason: `iptables is not installed (${file} missing)` };
    if (code === 'EACCES' || code === 'EPERM')
      return { ok: false, denied: true, reason: `not permitted to run ${file} (${code})` };
    if (code === 'ETIMEDOUT')
      return {
        ok: false,
        denied: false,
        reason: `${file} did not answer within ${Math.round(timeoutMs / 1000)} s`,
      };
    return { ok: false, denied: false, reason: `${file} could not run: ${(err as Error).message}` };
  }
}
