import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManagerConf } from '../../../agent/src/config/manager-conf';

const ETC = join(import.meta.dirname, '../../fixtures/etc');
const fsRead = (p: string) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};
const fromMap = (files: Record<string, string>) => (p: string) => files[p];

describe('parseManagerConf (§11.4)', () => {
  it('reads [general] and user sections, comments stripped, last secret wins across #include', () => {
    const dir = join(ETC, 'freepbx211/etc/asterisk');
    const m = parseManagerConf(join(dir, 'manager.conf'), dir, fsRead);
    expect(m?.general).toMatchObject({ enabled: 'yes', port: '15038', bindaddr: '127.0.0.1' });
    const admin = m?.users.find((u) => u.name === 'admin');
    expect(admin?.settings.secret).toBe('realAdminSecret');
    expect(admin?.secretFile).toBe(join(dir, 'manager_custom.conf'));
    expect(m?.users.map((u) => u.name)).toEqual(['admin', 'fop']);
    expect(m?.files.map((f) => f.slice(dir.length + 1))).toEqual([
      'manager.conf',
      'manager_additional.conf',
      'manager_custom.conf',
    ]);
  });

  it('handles block comments, \\; escapes, templates, loops, missing includes and never runs #exec', () => {
    const dir = join(ETC, 'includes/etc/asterisk');
    const m = parseManagerConf(join(dir, 'manager.conf'), dir, fsRead);
    expect(m?.general).toMatchObject({ enabled: 'no', port: '5039', bindaddr: '::' });
    const names = m?.users.map((u) => u.name);
    expect(names).not.toContain('ghost'); // inside ;-- … --;
    expect(names).not.toContain('base'); // template (!)
    const ops = m?.users.find((u) => u.name === 'ops');
    expect(ops?.settings).toMatchObject({ secret: 'semi;colon', read: 'system', write: 'call' });
    expect(m?.users.find((u) => u.name === 'later')?.settings.secret).toBe('laterSecret');
    expect(m?.notes.some((n) => n.includes('manager.d/one.conf skipped'))).toBe(true);
    expect(m?.notes.some((n) => n.includes('absent.conf not readable'))).toBe(true);
    expect(m?.notes.some((n) => n.includes('missing.conf'))).toBe(false); // #tryinclude
  });

  it('treats FreePBX banner lines ;-----; as plain comments, not block comments', () => {
    const files = {
      '/a/manager.conf': ';--------;\n[u]\nsecret = s1\n;--x\n[hidden]\nsecret=h\n--;\n[v]\nsecret => s2\n',
    };
    const m = parseManagerConf('/a/manager.conf', '/a', fromMap(files));
    expect(m?.users.map((u) => [u.name, u.settings.secret])).toEqual([
      ['u', 's1'],
      ['v', 's2'],
    ]);
  });

  it('resolves relative and absolute includes from the config dir; undefined when the main file is missing', () => {
    const files = {
      '/etc/asterisk/manager.conf': '#include "/opt/x.conf"\n#include sub/y.conf\n',
      '/opt/x.conf': '[x]\nsecret=1\n',
      '/etc/asterisk/sub/y.conf': '[y]\nsecret=2\n',
    };
    const m = parseManagerConf('/etc/asterisk/manager.conf', '/etc/asterisk', fromMap(files));
    expect(m?.users.map((u) => u.name)).toEqual(['x', 'y']);
    expect(parseManagerConf('/nope/manager.conf', '/nope', fromMap(files))).toBeUndefined();
  });
});
