/**
 * Coercion of raw values (YAML or environment strings) into typed knobs, and the cross-field checks.
 * Every function returns problems as one-line strings naming the knob and its source, never a secret.
 */
import { accessSync, constants } from 'node:fs';
import { isValidCron } from '../core/cron';
import { AGENT_ID_RE, type FieldSpec } from './schema';

/** A raw value and where it came from. */
export interface RawValue {
  readonly raw: unknown;
  readonly source: string;
}

/** Coerced value or the problem with it. */
export type Coerced = { ok: true; value: string | number | string[] } | { ok: false; problem: string };

function describe(raw: unknown, secret: boolean | undefined): string {
  if (secret) return 'value';
  const s = typeof raw === 'string' ? JSON.stringify(raw) : (JSON.stringify(raw) ?? String(raw));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Splits an argv given as a string: a JSON array, or words separated by blanks (no shell, no quoting). */
export function splitArgv(s: string): string[] | undefined {
  const t = s.trim();
  if (t.startsWith('[')) {
    try {
      const a: unknown = JSON.parse(t);
      return Array.isArray(a) && a.every((x) => typeof x === 'string') ? (a as string[]) : undefined;
    } catch {
      return undefined;
    }
  }
  return t.split(/\s+/).filter(Boolean);
}

/** Turns one raw value into the knob's type, or says why it cannot. */
export function coerce(spec: FieldSpec, v: RawValue): Coerced {
  const where = `${spec.path} (${v.source})`;
  const bad = (what: string): Coerced => ({
    ok: false,
    problem: `${where}: ${describe(v.raw, spec.secret)} ${what}`,
  });
  const raw = v.raw;
  switch (spec.kind) {
    case 'string':
    case 'cron': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return bad('is not a string');
      const s = String(raw);
      if (s === '') return bad('is empty');
      if (spec.kind === 'cron' && !isValidCron(s))
        return bad('is not a valid cron expression (5 fields, or 6 with seconds)');
      return { ok: true, value: s };
    }
    case 'int': {
      const n =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)
            ? Number(raw)
            : Number.NaN;
      if (!Number.isSafeInteger(n)) return bad('is not an integer');
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        return bad(`is out of range (${spec.min ?? '-∞'}..${spec.max ?? '∞'})`);
      }
      return { ok: true, value: n };
    }
    case 'enum': {
      const values = spec.values ?? [];
      const numeric = typeof values[0] === 'number';
      let x: unknown = raw;
      if (numeric && typeof raw === 'string') x = raw.trim() === '3.1.1' ? 4 : Number(raw);
      if (!numeric && typeof raw === 'string') x = raw.trim().toLowerCase();
      // YAML 1.2 reads `off` as a string, but a hand-written `false` should mean off too.
      if (!numeric && raw === false && values.includes('off')) x = 'off';
      if (!values.includes(x as string | number)) return bad(`is not one of ${values.join(', ')}`);
      return { ok: true, value: x as string | number };
    }
    case 'argv': {
      const a =
        typeof raw === 'string'
          ? splitArgv(raw)
          : Array.isArray(raw) && raw.every((x) => typeof x === 'string')
            ? (raw as string[])
            : undefined;
      if (!a || a.length === 0 || a.some((x) => x === ''))
        return bad('must be a non-empty list of words (argv, no shell)');
      if (!(a[0] as string).startsWith('/') && (a[0] as string).includes('/'))
        return bad('must start with an absolute path or a bare command name');
      return { ok: true, value: a };
    }
  }
}

/** Accepted broker URL schemes (DESIGN.md table). */
export const BROKER_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Checks that need several knobs at once; `get` reads an effective value, `src` its source. */
export function crossCheck(get: (path: string) => unknown, src: (path: string) => string): string[] {
  const problems: string[] = [];
  const at = (p: string) => `${p} (${src(p)})`;
  const url = get('broker.url');
  if (url === undefined)
    problems.push(
      'broker.url: required; set broker.url in the config file or PBXLINK_BROKER_URL (mqtt://, mqtts://, ws://, wss://)',
    );
  else {
    let u: URL | undefined;
    try {
      u = new URL(String(url));
    } catch {
      problems.push(`${at('broker.url')}: not a valid URL`);
    }
    if (u && !BROKER_SCHEMES.includes(u.protocol))
      problems.push(
        `${at('broker.url')}: scheme ${u.protocol}// is not supported; use mqtt://, mqtts://, ws:// or wss://`,
      );
    else if (u && !u.hostname) problems.push(`${at('broker.url')}: no host`);
    const tls = u && (u.protocol === 'mqtts:' || u.protocol === 'wss:');
    if (u && !tls && (get('broker.ca') || get('broker.cert')))
      problems.push(
        `${at('broker.url')}: broker.ca/broker.cert are set but the URL is not TLS (mqtts:// or wss://)`,
      );
  }
  const id = get('agent_id');
  if (typeof id === 'string' && !AGENT_ID_RE.test(id))
    problems.push(
      `${at('agent_id')}: ${JSON.stringify(id)} is not a valid agent id ([A-Za-z0-9_-], 1 to 64 characters)`,
    );
  const prefix = get('topic_prefix');
  if (
    typeof prefix === 'string' &&
    (/[+#]/.test(prefix) ||
      prefix.includes('\u0000') ||
      prefix.startsWith('/') ||
      prefix.endsWith('/') ||
      prefix.includes('//'))
  ) {
    problems.push(
      `${at('topic_prefix')}: ${JSON.stringify(prefix)} must not contain + # or empty levels, nor start or end with /`,
    );
  }
  for (const p of ['broker.ca', 'broker.cert', 'broker.key']) {
    const f = get(p);
    if (typeof f === 'string' && !readable(f)) problems.push(`${at(p)}: file ${f} is not readable`);
  }
  if ((get('broker.cert') === undefined) !== (get('broker.key') === undefined))
    problems.push('broker.cert and broker.key: set both or neither (client certificate)');
  const rmin = get('broker.reconnect_min_ms');
  const rmax = get('broker.reconnect_max_ms');
  if (typeof rmin === 'number' && typeof rmax === 'number' && rmin > rmax)
    problems.push(`broker.reconnect_min_ms (${rmin}) is greater than broker.reconnect_max_ms (${rmax})`);
  if (get('recordings.push') === 'https') {
    const t = get('recordings.url_template');
    if (typeof t !== 'string' || !/^https:\/\/[^/\s]+/.test(t))
      problems.push('recordings.url_template: an https:// URL is required when recordings.push is https');
  }
  for (const p of ['paths.state_dir', 'paths.monitor_dir', 'paths.trusted_keys', 'log.file']) {
    const v = get(p);
    if (typeof v === 'string' && !v.startsWith('/'))
      problems.push(`${at(p)}: ${JSON.stringify(v)} must be an absolute path`);
  }
  return problems;
}
