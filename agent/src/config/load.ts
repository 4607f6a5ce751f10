/**
 * Loads the configuration: defaults < YAML file < environment; then discovery on the box fills what is
 * still unset; then validation lists every problem at once (DESIGN.md "Configuration", STYLE.md
 * "Invalid configuration: exit with every problem listed, one per line").
 */
import { readFileSync, statSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { parseDocument } from 'yaml';
import { discover } from './discovery';
import { applyEnv } from './env';
import { FIELDS, fieldSpec } from './fields';
import { type AgentConfig, DEFAULT_CONFIG_FILE, deepFreeze } from './schema';
import { checkTrustedKeysFile } from './trusted-keys-check';
import { coerce, crossCheck, type RawValue } from './validate';

/** What loading produced. `config` is set only when there are no problems. */
export interface LoadedConfig {
  readonly config: AgentConfig | undefined;
  /** Every configuration error, one line each (non-empty ⇒ the agent must not start). */
  readonly problems: string[];
  /** Discovery notes and warnings (not fatal). */
  readonly notes: string[];
  /** Effective value of each knob that has one (flat, by path), even when invalid. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Where each effective value came from. */
  readonly sources: Readonly<Record<string, string>>;
  readonly file: { readonly path: string; readonly found: boolean; readonly explicit: boolean };
  /** Every configured credential, for the logger's secret filter and for masking. */
  readonly secrets: string[];
}

/** Inputs of loadConfig; everything is injectable for tests. */
export interface LoadOptions {
  /** `--config FILE`: a missing explicit file is an error; a missing default file is fine. */
  configFile?: string;
  env?: Record<string, string | undefined>;
  /** Root for discovery (default `PBXLINK_ETC_ROOT` or `/`). */
  root?: string;
  hostname?: string;
}

/** Sanitizes a host name into an agent id: `[A-Za-z0-9_-]`, at most 64 characters. */
export function agentIdFromHostname(h: string): string {
  const id = h
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return id === '' ? 'pbx' : id;
}

/** Reads and parses the YAML file into flat raw values; problems carry line numbers. */
function readFile(path: string, explicit: boolean, raw: Map<string, RawValue>, problems: string[]): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return false;
    problems.push(
      `config file ${path}: cannot read (${code === 'ENOENT' ? 'not found' : (code ?? String(e))})`,
    );
    return false;
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      const msg = (err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      problems.push(`config file ${path}${pos ? `: line ${pos.line}, column ${pos.col}` : ''}: ${msg}`);
    }
    return true;
  }
  const obj: unknown = doc.toJS();
  if (obj === null || obj === undefined) return true;
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    problems.push(`config file ${path}: the top level must be a mapping of keys (see docs/configuration.md)`);
    return true;
  }
  flatten(obj as Record<string, unknown>, '', raw, problems, `file ${path}`);
  return true;
}

/** A notice when the config file holds a credential yet other users may read it. */
function permissionNotice(path: string, raw: Map<string, RawValue>): string | undefined {
  const fromFile = FIELDS.some((f) => f.secret && raw.get(f.path)?.source === `file ${path}`);
  if (!fromFile) return undefined;
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o004) === 0) return undefined;
    return `config file ${path} holds credentials but is readable by every user (mode ${mode.toString(8)}); chmod 600 it`;
  } catch {
    return undefined;
  }
}

function flatten(
  o: Record<string, unknown>,
  prefix: string,
  raw: Map<string, RawValue>,
  problems: string[],
  source: string,
): void {
  for (const [k, v] of Object.entries(o)) {
    const path = prefix + k;
    if (fieldSpec(path)) {
      if (v !== null && v !== undefined) raw.set(path, { raw: v, source });
      continue;
    }
    const isGroup = FIELDS.some((f) => f.path.startsWith(`${path}.`));
    if (isGroup && v !== null && typeof v === 'object' && !Array.isArray(v))
      flatten(v as Record<string, unknown>, `${path}.`, raw, problems, source);
    else if (isGroup && v !== null) problems.push(`${path} (${source}): must be a mapping`);
    else if (!isGroup) problems.push(`${path} (${source}): unknown setting`);
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) {
    o[p] ??= {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1] as string] = value;
}

function secretsOf(values: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const f of FIELDS) {
    const v = values[f.path];
    if (f.secret && typeof v === 'string' && v !== '') out.add(v);
  }
  const url = values['broker.url'];
  if (typeof url === 'string') {
    try {
      const u = new URL(url);
      if (u.password) {
        out.add(u.password);
        out.add(decodeURIComponent(u.password));
      }
    } catch {
      /* reported by validation */
    }
  }
  return [...out];
}

/** Loads, discovers and validates the configuration. Never throws for configuration problems. */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const raw = new Map<string, RawValue>();
  const explicit = opts.configFile !== undefined;
  const path = opts.configFile ?? DEFAULT_CONFIG_FILE;
  const found = readFile(path, explicit, raw, problems);
  const notes: string[] = [];
  const perm = found ? permissionNotice(path, raw) : undefined;
  if (perm) notes.push(perm);
  applyEnv(env, raw, problems);
  const discoveryOff = /^(0|off|false|no)$/i.test(env.PBXLINK_DISCOVERY ?? '');
  if (!discoveryOff) {
    const d = discover({ root: opts.root ?? env.PBXLINK_ETC_ROOT ?? '/', env });
    // a note about what was found for a setting the file or the environment gives is moot
    notes.push(...d.notes.filter((n) => !raw.has(d.noteAbout.get(n) ?? '')));
    for (const [p, v] of d.values) if (!raw.has(p)) raw.set(p, { raw: v.value, source: v.source });
  }
  if (!raw.has('agent_id'))
    raw.set('agent_id', { raw: agentIdFromHostname(opts.hostname ?? osHostname()), source: 'host name' });
  const values: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const f of FIELDS) {
    const r =
      raw.get(f.path) ?? (f.default !== undefined ? { raw: f.default, source: 'default' } : undefined);
    if (!r) continue;
    const c = coerce(f, r);
    sources[f.path] = r.source;
    if (c.ok) values[f.path] = c.value;
    else {
      problems.push(c.problem);
      values[f.path] = r.raw;
    }
  }
  problems.push(
    ...crossCheck(
      (p) => values[p],
      (p) => sources[p] ?? 'unset',
    ),
  );
  const keysFile = values['paths.trusted_keys'];
  if (typeof keysFile === 'string' && keysFile.startsWith('/')) {
    const k = checkTrustedKeysFile(keysFile);
    problems.push(...k.problems);
    if (k.problems.length === 0 && k.count === 0)
      notes.push(`trusted keys file ${keysFile} holds no key: every command will be refused`);
  }
  if (values['ami.username'] === undefined || values['ami.secret'] === undefined) {
    notes.push(
      'no AMI login configured or discovered (PBXLINK_AMI_URL); live state and AMI commands will be unavailable',
    );
  }
  if (values['db.user'] === undefined)
    notes.push(
      'no database login configured or discovered (PBXLINK_DB_URL); CDR and config commands will be unavailable',
    );
  const secrets = secretsOf(values);
  let config: AgentConfig | undefined;
  if (problems.length === 0) {
    const tree: Record<string, unknown> = {};
    for (const [p, v] of Object.entries(values)) setPath(tree, p, v);
    config = deepFreeze(tree as unknown as AgentConfig);
  }
  return { config, problems, notes, values, sources, file: { path, found, explicit }, secrets };
}
