/**
 * Pure parsers for the FreePBX/Elastix credential files (reference §11.1–§11.3). Each takes the file's
 * text and returns KEY → value with the line it came from; none of them ever evaluates code.
 */

/** A parsed assignment and the 1-based line it came from. */
export interface Assignment {
  readonly value: string;
  readonly line: number;
}

/**
 * Reads one shell word starting at `i`: backslash escapes (`\ ` keeps a space, §11.1), single and
 * double quotes, ending at the first unescaped blank. Returns the word and where it ended.
 */
function readShellWord(s: string, start: number): string {
  let out = '';
  let i = start;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === ' ' || c === '\t') break;
    if (c === '\\') {
      if (i + 1 < s.length) out += s[i + 1];
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      const stop = end === -1 ? s.length : end;
      out += s.slice(i + 1, stop);
      i = stop + 1;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1] as string)) i++;
        out += s[i];
        i++;
      }
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * `/etc/amportal.conf` (§11.1): shell `KEY=VALUE`, `#` comments (so commented defaults such as
 * `# AMPDBPASS=amp109` are ignored), the last assignment wins, trailing spaces dropped
 * (`AMPCGIBIN=/var/www/cgi-bin `), `\ ` escapes a space, quotes as in sh.
 */
export function parseAmportalConf(text: string): Map<string, Assignment> {
  const out = new Map<string, Assignment>();
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] as string).replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    // Elastix writes KEY=VALUE without spaces; tolerate `export` and blanks around `=` from hand edits.
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    out.set(m[1] as string, { value: readShellWord(m[2] as string, 0), line: n + 1 });
  }
  return out;
}

function unescapePhp(raw: string, quote: string): string {
  if (quote === "'") return raw.replace(/\\(['\\])/g, '$1');
  return raw.replace(/\\(["\\$])/g, '$1');
}

/**
 * `/etc/freepbx.conf` (§11.2): a tiny PHP file of `$amp_conf['KEY'] = 'value';` lines (tabs before `=`
 * from freepbx_engine, two spaces from Elastix, single or double quotes). Comment lines are skipped;
 * only literal string assignments count (never anything computed).
 */
export function parseFreepbxConf(text: string): Map<string, Assignment> {
  const out = new Map<string, Assignment>();
  const lines = text.split(/\r?\n/);
  let inBlock = false;
  const re = /^\$amp_conf\s*\[\s*(['"])(\w+)\1\s*\]\s*=\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*;/;
  for (let n = 0; n < lines.length; n++) {
    let line = (lines[n] as string).trim();
    if (inBlock) {
      const end = line.indexOf('*/');
      if (end === -1) continue;
      inBlock = false;
      line = line.slice(end + 2).trim();
    }
    if (line.startsWith('/*') && !line.includes('*/')) {
      inBlock = true;
      continue;
    }
    if (line.startsWith('//') || line.startsWith('#')) continue;
    const m = re.exec(line);
    if (!m) continue;
    const single = m[3];
    const value = single !== undefined ? unescapePhp(single, "'") : unescapePhp(m[4] ?? '', '"');
    out.set(m[2] as string, { value, line: n + 1 });
  }
  return out;
}

/** `/etc/elastix.conf` (§11.3): `key=value` lines read with Elastix's own regex `^(\w+)=(.*)$`. */
export function parseElastixConf(text: string): Map<string, Assignment> {
  const out = new Map<string, Assignment>();
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const m = /^(\w+)=(.*)$/.exec(lines[n] as string);
    if (m) out.set(m[1] as string, { value: m[2] as string, line: n + 1 });
  }
  return out;
}
