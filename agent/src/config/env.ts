/**
 * Environment overrides (DESIGN.md "Configuration" table plus the extras in docs/configuration.md).
 * PBXLINK_AMI_URL and PBXLINK_DB_URL carry a login in URL form; their parse errors never echo the URL,
 * which holds a secret.
 */
import { FIELDS } from './fields';
import type { RawValue } from './validate';

/** Environment variables read besides the per-knob ones of FIELDS. */
export const EXTRA_ENV = [
  'PBXLINK_AMI_URL',
  'PBXLINK_DB_URL',
  'PBXLINK_ETC_ROOT',
  'PBXLINK_DISCOVERY',
  'FREEPBX_CONF',
] as const;

interface UrlLogin {
  host: string;
  port?: number;
  user?: string;
  pass?: string;
}

/** Parses `scheme://user:pass@host:port` (user and pass percent-encoded); undefined if malformed. */
export function parseLoginUrl(s: string, scheme: string): UrlLogin | undefined {
  let u: URL;
  try {
    u = new URL(s.trim());
  } catch {
    return undefined;
  }
  if (u.protocol !== `${scheme}:` || !u.hostname) return undefined;
  if (u.pathname !== '' && u.pathname !== '/') return undefined;
  try {
    return {
      host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      ...(u.port ? { port: Number(u.port) } : {}),
      ...(u.username ? { user: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { pass: decodeURIComponent(u.password) } : {}),
    };
  } catch {
    return undefined;
  }
}

function applyLoginUrl(
  env: Record<string, string | undefined>,
  name: string,
  scheme: string,
  keys: { host: string; port: string; user: string; pass: string },
  raw: Map<string, RawValue>,
  problems: string[],
): void {
  const v = env[name];
  if (v === undefined || v === '') return;
  const u = parseLoginUrl(v, scheme);
  if (!u) {
    problems.push(`${name}: expected ${scheme}://user:secret@host:port (user and secret percent-encoded)`);
    return;
  }
  const source = `env ${name}`;
  raw.set(keys.host, { raw: u.host, source });
  if (u.port !== undefined) raw.set(keys.port, { raw: u.port, source });
  if (u.user !== undefined) raw.set(keys.user, { raw: u.user, source });
  if (u.pass !== undefined) raw.set(keys.pass, { raw: u.pass, source });
}

/** Applies every PBXLINK_* override onto `raw` (env beats the file). Empty variables are ignored. */
export function applyEnv(
  env: Record<string, string | undefined>,
  raw: Map<string, RawValue>,
  problems: string[],
): void {
  applyLoginUrl(
    env,
    'PBXLINK_AMI_URL',
    'ami',
    { host: 'ami.host', port: 'ami.port', user: 'ami.username', pass: 'ami.secret' },
    raw,
    problems,
  );
  applyLoginUrl(
    env,
    'PBXLINK_DB_URL',
    'mysql',
    { host: 'db.host', port: 'db.port', user: 'db.user', pass: 'db.password' },
    raw,
    problems,
  );
  for (const f of FIELDS) {
    if (!f.env) continue;
    const v = env[f.env];
    if (v !== undefined && v !== '') raw.set(f.path, { raw: v, source: `env ${f.env}` });
  }
}
