/**
 * `/etc/asterisk/manager.conf` reader (reference §11.4): Asterisk's INI dialect with `; comments`,
 * `;-- block comments --;`, `\;` escapes, `[section](!)` templates, `key = value` / `key => value`, and
 * `#include` / `#tryinclude` chains resolved relative to the Asterisk config directory. Pure: file access
 * goes through the injected `read` function.
 */
import { isAbsolute, join } from 'node:path';

/** One AMI user section: its settings (last assignment wins, as manager.c applies them in order). */
export interface ManagerUser {
  readonly name: string;
  readonly settings: Record<string, string>;
  /** The file that set `secret` (for `pbxlink check`). */
  readonly secretFile?: string;
}

/** What manager.conf says. */
export interface ManagerConf {
  readonly general: Record<string, string>;
  /** User sections in file order (templates `(!)` excluded). */
  readonly users: ManagerUser[];
  /** Files read, in order. */
  readonly files: string[];
  /** Includes that could not be read, loops, and similar oddities (not fatal). */
  readonly notes: string[];
}

const MAX_INCLUDE_DEPTH = 10;

interface Mutable {
  general: Record<string, string>;
  users: Map<string, { settings: Record<string, string>; secretFile?: string; template: boolean }>;
  files: string[];
  notes: string[];
  current: string | undefined;
  inBlockComment: boolean;
}

/** Drops `;` comments (honouring `\;`) and `;-- … --;` block comments; returns the remaining text. */
function stripComments(line: string, st: Mutable): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (st.inBlockComment) {
      const end = line.indexOf('--;', i);
      if (end === -1) return out;
      st.inBlockComment = false;
      i = end + 3;
      continue;
    }
    const c = line[i];
    if (c === '\\' && line[i + 1] === ';') {
      out += ';';
      i += 2;
      continue;
    }
    if (c === ';') {
      // Asterisk's config.c: `;--` opens a block comment unless a fourth `-` follows, so FreePBX's
      // `;-----…-----;` banner lines (manager_additional.conf) are ordinary comments.
      if (line.startsWith(';--', i) && line[i + 3] !== '-') {
        st.inBlockComment = true;
        i += 3;
        continue;
      }
      return out;
    }
    out += c;
    i++;
  }
  return out;
}

function includeTarget(arg: string): string {
  const t = arg.trim();
  const q = /^["<](.*)[">]$/.exec(t);
  return q ? (q[1] as string) : t;
}

function parseFile(
  path: string,
  read: (p: string) => string | undefined,
  baseDir: string,
  st: Mutable,
  depth: number,
): boolean {
  const text = read(path);
  if (text === undefined) return false;
  st.files.push(path);
  for (const raw of text.split(/\r?\n/)) {
    const trimmed = raw.trim();
    const directive = /^#\s*(include|tryinclude|exec)\s+(.+)$/.exec(trimmed);
    if (directive && !st.inBlockComment) {
      if (directive[1] === 'exec') continue; // never run anything
      const target = includeTarget(stripComments(directive[2] as string, { ...st, inBlockComment: false }));
      const full = isAbsolute(target) ? target : join(baseDir, target);
      if (depth >= MAX_INCLUDE_DEPTH || st.files.includes(full)) {
        st.notes.push(
          `${path}: #include ${target} skipped (loop or nesting deeper than ${MAX_INCLUDE_DEPTH})`,
        );
        continue;
      }
      // Both the FreePBX template and Elastix include manager_additional.conf/manager_custom.conf;
      // a missing include is not an error for Asterisk with #tryinclude and merely a warning with #include.
      if (!parseFile(full, read, baseDir, st, depth + 1) && directive[1] === 'include') {
        st.notes.push(`${path}: #include ${target} not readable`);
      }
      continue;
    }
    const line = stripComments(raw, st).trim();
    if (line === '') continue;
    const sec = /^\[([^\]]+)\]\s*(\(([^)]*)\))?/.exec(line);
    if (sec) {
      const name = (sec[1] as string).trim();
      st.current = name;
      if (name !== 'general') {
        const opts = (sec[3] ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        // `[name](tpl)` starts with a copy of template `tpl`'s settings; `(!)` marks a template.
        const inherited: Record<string, string> = {};
        for (const o of opts) if (o !== '!' && o !== '+') Object.assign(inherited, st.users.get(o)?.settings);
        const existing = st.users.get(name);
        if (!existing) st.users.set(name, { settings: inherited, template: opts.includes('!') });
        else Object.assign(existing.settings, inherited);
      }
      continue;
    }
    const kv = /^([^=]+?)\s*=>?\s*(.*)$/.exec(line);
    if (!kv || st.current === undefined) continue;
    const key = (kv[1] as string).trim().toLowerCase();
    const value = (kv[2] as string).trim();
    if (st.current === 'general') st.general[key] = value;
    else {
      const u = st.users.get(st.current);
      if (u) {
        u.settings[key] = value;
        if (key === 'secret') u.secretFile = path;
      }
    }
  }
  return true;
}

/**
 * Parses manager.conf at `path`, following includes relative to `baseDir` (Asterisk's ASTETCDIR,
 * `/etc/asterisk`). Returns undefined when the main file cannot be read.
 */
export function parseManagerConf(
  path: string,
  baseDir: string,
  read: (p: string) => string | undefined,
): ManagerConf | undefined {
  const st: Mutable = {
    general: {},
    users: new Map(),
    files: [],
    notes: [],
    current: undefined,
    inBlockComment: false,
  };
  if (!parseFile(path, read, baseDir, st, 0)) return undefined;
  const users: ManagerUser[] = [];
  for (const [name, u] of st.users) {
    if (u.template) continue;
    users.push({ name, settings: u.settings, ...(u.secretFile ? { secretFile: u.secretFile } : {}) });
  }
  return { general: st.general, users, files: st.files, notes: st.notes };
}

/** True when a value is still the FreePBX template placeholder (§11.4: `[AMPMGRUSER]` / `secret = AMPMGRPASS`). */
export function isPlaceholder(value: string | undefined): boolean {
  return value === undefined || value === '' || value === 'AMPMGRUSER' || value === 'AMPMGRPASS';
}
