/**
 * Discovery on the box: what the agent can learn from FreePBX/Elastix files when the config file and the
 * environment leave a knob unset (reference §8.1, §9.3, §11). Every value carries its source so that
 * `pbxlink check` can say where it came from. All paths live under an injectable `root` for tests.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Assignment, parseAmportalConf, parseElastixConf, parseFreepbxConf } from './etc-parsers';
import { isPlaceholder, type ManagerConf, parseManagerConf } from './manager-conf';

/** A discovered value and where it came from (`/etc/amportal.conf:12 AMPDBUSER`). */
export interface Discovered {
  readonly value: string | number | readonly string[];
  readonly source: string;
}

/** Result of discovery: values keyed by config path, plus notes for `check` and the start-up log. */
export interface Discovery {
  readonly values: Map<string, Discovered>;
  readonly notes: string[];
  /** For a note about the value found for one setting: that setting (the note is moot when it is configured). */
  readonly noteAbout: Map<string, string>;
  readonly filesRead: string[];
}

/** Where to look. */
export interface DiscoveryOptions {
  /** Filesystem root the box's files are read under (tests point it at fixtures). Default `/`. */
  root?: string;
  /** Environment (for FREEPBX_CONF and PATH). Default process.env. */
  env?: Record<string, string | undefined>;
}

const MAX_FILE_BYTES = 1 << 20;

/** Reads a small text file (at most 1 MiB); undefined when absent; a note when present but unreadable. */
function makeReader(notes: string[], filesRead: string[]): (p: string) => string | undefined {
  return (p) => {
    let fd: number | undefined;
    try {
      fd = openSync(p, 'r');
      const st = fstatSync(fd);
      if (!st.isFile()) return undefined;
      const buf = Buffer.alloc(Math.min(st.size, MAX_FILE_BYTES));
      const n = readSync(fd, buf, 0, buf.length, 0);
      filesRead.push(p);
      return buf.subarray(0, n).toString('utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') notes.push(`cannot read ${p}: ${code ?? String(e)}`);
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
}

function isExecutableFile(p: string): boolean {
  try {
    const s = statSync(p);
    return s.isFile() && (s.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

type Conf = { path: string; map: Map<string, Assignment> } | undefined;

function pick(confs: Conf[], key: string): { value: string; source: string } | undefined {
  for (const c of confs) {
    const a = c?.map.get(key);
    if (a && a.value !== '') return { value: a.value, source: `${c?.path}:${a.line} ${key}` };
  }
  return undefined;
}

/** DB credentials and names: freepbx.conf (the ≥2.9 bootstrap) first, then amportal.conf (§11.1, §11.2, §8.1). */
function discoverDb(out: Map<string, Discovered>, notes: string[], fpbx: Conf, amp: Conf): void {
  const both = [fpbx, amp];
  const host = pick(both, 'AMPDBHOST');
  const port = pick(both, 'AMPDBPORT');
  if (host) {
    const hp = /^(.+):(\d+)$/.exec(host.value);
    out.set('db.host', { value: hp && !port ? (hp[1] as string) : host.value, source: host.source });
    if (hp && !port) out.set('db.port', { value: Number(hp[2]), source: host.source });
  }
  if (port && /^\d+$/.test(port.value))
    out.set('db.port', { value: Number(port.value), source: port.source });
  const map: [string, string][] = [
    ['AMPDBUSER', 'db.user'],
    ['AMPDBPASS', 'db.password'],
    ['AMPDBNAME', 'db.config_db'],
  ];
  for (const [key, path] of map) {
    const v = pick(both, key);
    if (v) out.set(path, v);
  }
  const engine = pick(both, 'AMPDBENGINE');
  if (engine && engine.value !== 'mysql')
    notes.push(`AMPDBENGINE is ${engine.value} (${engine.source}); pbxlink supports mysql only`);
  const cdrName = pick(both, 'CDRDBNAME');
  if (cdrName) out.set('db.cdr_db', cdrName);
  // §8.1: the 2.10/2.11 cdr install.php reads the misspelt CDRTABLENAME.
  const cdrTable = pick(both, 'CDRDBTABLENAME') ?? pick(both, 'CDRTABLENAME');
  if (cdrTable) out.set('db.cdr_table', cdrTable);
  const cdrType = pick(both, 'CDRDBTYPE');
  if (cdrType && cdrType.value !== 'mysql')
    notes.push(`CDRDBTYPE is ${cdrType.value} (${cdrType.source}); pbxlink reads CDRs from MySQL only`);
  // CDRDBHOST/PORT/USER/PASS default to the AMPDB* values; keep them only when they differ.
  const cdr: [string, string, string][] = [
    ['CDRDBHOST', 'db.cdr_host', 'db.host'],
    ['CDRDBUSER', 'db.cdr_user', 'db.user'],
    ['CDRDBPASS', 'db.cdr_password', 'db.password'],
  ];
  for (const [key, path, main] of cdr) {
    const v = pick(both, key);
    if (v && v.value !== out.get(main)?.value) out.set(path, v);
  }
  const cdrPort = pick(both, 'CDRDBPORT');
  if (
    cdrPort &&
    /^\d+$/.test(cdrPort.value) &&
    Number(cdrPort.value) !== (out.get('db.port')?.value ?? 3306)
  ) {
    out.set('db.cdr_port', { value: Number(cdrPort.value), source: cdrPort.source });
  }
}

/** AMI endpoint and login (§11.1 AMPMGRUSER/AMPMGRPASS, §11.3 amiadminpwd, §11.4 manager.conf). */
function discoverAmi(
  out: Map<string, Discovered>,
  notes: string[],
  amp: Conf,
  elx: Conf,
  mgr: ManagerConf | undefined,
  mgrPath: string,
  noteAbout: Map<string, string>,
): void {
  if (mgr) {
    const g = mgr.general;
    if (g.enabled !== undefined && !/^(yes|true|y|t|1|on)$/i.test(g.enabled))
      notes.push(`AMI is disabled in ${mgrPath} ([general] enabled = ${g.enabled})`);
    if (g.port && /^\d+$/.test(g.port))
      out.set('ami.port', { value: Number(g.port), source: `${mgrPath} [general] port` });
    const bind = g.bindaddr;
    if (bind && !['0.0.0.0', '::', '[::]', ''].includes(bind))
      out.set('ami.host', { value: bind, source: `${mgrPath} [general] bindaddr` });
    for (const n of mgr.notes) notes.push(n);
  }
  const ampUser = pick([amp], 'AMPMGRUSER');
  const elxPass = pick([elx], 'amiadminpwd');
  const usable = (mgr?.users ?? []).filter(
    (u) => !isPlaceholder(u.name) && !isPlaceholder(u.settings.secret),
  );
  let user: { value: string; source: string } | undefined;
  if (ampUser && !isPlaceholder(ampUser.value)) user = ampUser;
  else if (elx && (usable.some((u) => u.name === 'admin') || !mgr))
    user = { value: 'admin', source: `${elx.path} (Elastix AMI user)` };
  else if (usable[0])
    user = { value: usable[0].name, source: `${mgrPath} [${usable[0].name}] (first AMI user)` };
  if (!user) return;
  out.set('ami.username', user);
  const section = mgr?.users.find((u) => u.name === user.value);
  const ampPass = pick([amp], 'AMPMGRPASS');
  if (section && !isPlaceholder(section.settings.secret)) {
    out.set('ami.secret', {
      value: section.settings.secret as string,
      source: `${section.secretFile ?? mgrPath} [${user.value}] secret`,
    });
    if (ampPass && user === ampUser && ampPass.value !== section.settings.secret) {
      const note = `AMPMGRPASS (${ampPass.source}) differs from the secret in manager.conf; using manager.conf, which Asterisk enforces`;
      notes.push(note);
      noteAbout.set(note, 'ami.secret');
    }
  } else if (ampPass && user === ampUser && !isPlaceholder(ampPass.value)) out.set('ami.secret', ampPass);
  else if (elxPass && user.value === 'admin') out.set('ami.secret', elxPass);
  if (mgr && !section) {
    const note = `AMI user ${user.value} has no section in ${mgrPath}`;
    notes.push(note);
    noteAbout.set(note, 'ami.username');
  }
}

/** Recordings root and the apply-config command (§9.3, §11.1 AMPBIN/AMPSBIN/ASTSPOOLDIR, §12). */
function discoverPaths(
  out: Map<string, Discovered>,
  notes: string[],
  amp: Conf,
  root: string,
  env: Record<string, string | undefined>,
  noteAbout: Map<string, string>,
): void {
  const mixmon = pick([amp], 'MIXMON_DIR');
  const spool = pick([amp], 'ASTSPOOLDIR');
  if (mixmon) out.set('paths.monitor_dir', mixmon);
  else if (spool)
    out.set('paths.monitor_dir', {
      value: `${spool.value.replace(/\/+$/, '')}/monitor`,
      source: spool.source,
    });
  const sbin = pick([amp], 'AMPSBIN');
  const dirs = [
    ...(env.PATH ?? '').split(':').filter((d) => d.startsWith('/')),
    '/usr/sbin',
    ...(sbin ? [sbin.value] : []),
  ];
  for (const d of dirs) {
    const p = `${d.replace(/\/+$/, '')}/fwconsole`;
    if (isExecutableFile(join(root, p))) {
      out.set('apply_cmd', { value: [p, 'reload'], source: `found ${p} (FreePBX 12+)` });
      return;
    }
  }
  const bin = pick([amp], 'AMPBIN');
  const ma = `${(bin?.value ?? '/var/lib/asterisk/bin').replace(/\/+$/, '')}/module_admin`;
  out.set('apply_cmd', {
    value: [ma, 'reload'],
    source: bin ? `${bin.source} (no fwconsole)` : 'FreePBX 2.x default (no fwconsole)',
  });
  if (!isExecutableFile(join(root, ma))) {
    const note = `neither fwconsole nor ${ma} was found; config changes cannot be applied`;
    notes.push(note);
    noteAbout.set(note, 'apply_cmd');
  }
}

/** Reads the box's FreePBX/Elastix/Asterisk files and returns what they say about each config knob. */
export function discover(opts: DiscoveryOptions = {}): Discovery {
  const root = opts.root ?? '/';
  const env = opts.env ?? process.env;
  const notes: string[] = [];
  const filesRead: string[] = [];
  const read = makeReader(notes, filesRead);
  const load = (p: string, parse: (t: string) => Map<string, Assignment>): Conf => {
    const t = read(p);
    return t === undefined ? undefined : { path: p, map: parse(t) };
  };
  const amp = load(join(root, 'etc/amportal.conf'), parseAmportalConf);
  // §11.2: FREEPBX_CONF overrides the path; the legacy location is /etc/asterisk/freepbx.conf.
  const fpbx = env.FREEPBX_CONF
    ? load(env.FREEPBX_CONF, parseFreepbxConf)
    : (load(join(root, 'etc/freepbx.conf'), parseFreepbxConf) ??
      load(join(root, 'etc/asterisk/freepbx.conf'), parseFreepbxConf));
  const elx = load(join(root, 'etc/elastix.conf'), parseElastixConf);
  const etcDir = join(root, pick([amp], 'ASTETCDIR')?.value ?? '/etc/asterisk');
  const mgrPath = join(etcDir, 'manager.conf');
  const mgr = parseManagerConf(mgrPath, etcDir, read);
  const values = new Map<string, Discovered>();
  const noteAbout = new Map<string, string>();
  discoverDb(values, notes, fpbx, amp);
  // AMPDBNAME defaults to asterisk (§11.1): the default of db.config_db covers it.
  discoverAmi(values, notes, amp, elx, mgr, mgrPath, noteAbout);
  discoverPaths(values, notes, amp, root, env, noteAbout);
  return { values, notes, noteAbout, filesRead };
}
