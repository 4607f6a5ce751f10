import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discover } from '../../../agent/src/config/discovery';

const ETC = join(import.meta.dirname, '../../fixtures/etc');
const ENV = { PATH: '/nonexistent-bin' };

function values(root: string, env: Record<string, string | undefined> = ENV) {
  const d = discover({ root, env });
  return {
    d,
    v: Object.fromEntries([...d.values].map(([k, x]) => [k, x.value])),
    src: (k: string) => d.values.get(k)?.source ?? '',
  };
}

const tmps: string[] = [];
afterEach(() => {
  for (const t of tmps.splice(0)) rmSync(t, { recursive: true, force: true });
});
function tmpRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'pbxlink-disc-'));
  tmps.push(root);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

describe('discovery on sample boxes', () => {
  it('Elastix 2.2: amportal.conf quirks (§11.1), [admin] from manager.conf, elastix.conf present', () => {
    const root = join(ETC, 'elastix22');
    const { v, src } = values(root);
    expect(v).toMatchObject({
      'db.host': '127.0.0.1', // duplicate key: the last assignment wins
      'db.user': 'asteriskuser',
      'db.password': 'jEhdIekWmdjE', // not the commented default amp109
      'db.config_db': 'asterisk', // appears only near the end
      'ami.username': 'admin',
      'ami.secret': 'jEhdIekWmdjE',
      'ami.port': 5038,
      'paths.monitor_dir': '/var/spool/asterisk/monitor',
      apply_cmd: ['/var/lib/asterisk/bin/module_admin', 'reload'],
    });
    expect(v['ami.host']).toBeUndefined(); // bindaddr 0.0.0.0 → the default 127.0.0.1
    expect(src('db.password')).toBe(`${root}/etc/amportal.conf:24 AMPDBPASS`);
    expect(src('ami.secret')).toBe(`${root}/etc/asterisk/manager.conf [admin] secret`);
  });

  it('Elastix without a manager.conf section: the AMI admin secret comes from elastix.conf amiadminpwd (§11.3)', () => {
    const root = tmpRoot({
      'etc/elastix.conf': 'mysqlrootpwd=r00t\namiadminpwd=elxAmi\n',
      'etc/amportal.conf': 'AMPDBUSER=asteriskuser\n',
    });
    const { v, src } = values(root);
    expect(v['ami.username']).toBe('admin');
    expect(v['ami.secret']).toBe('elxAmi');
    expect(src('ami.secret')).toContain('elastix.conf');
    expect(JSON.stringify(v)).not.toContain('r00t'); // the MySQL root password is never used
  });

  it('FreePBX 2.11: freepbx.conf with tabs wins over amportal.conf; CDRDB* (§8.1); secret from an #include', () => {
    const root = join(ETC, 'freepbx211');
    const { d, v, src } = values(root);
    expect(v).toMatchObject({
      'db.host': 'localhost',
      'db.user': 'asteriskuser',
      'db.password': 'fpbx211DbPass',
      'db.cdr_db': 'cdrs',
      'db.cdr_table': 'cdr_2024',
      'db.cdr_host': 'cdr.internal',
      'db.cdr_port': 3307,
      'ami.host': '127.0.0.1',
      'ami.port': 15038,
      'ami.username': 'admin',
      'ami.secret': 'realAdminSecret',
      'paths.monitor_dir': '/var/spool/asterisk/monitor/custom recordings',
    });
    expect(v['db.cdr_user']).toBeUndefined(); // CDRDBUSER unset: same as db.user
    expect(src('db.password')).toBe(`${root}/etc/freepbx.conf:5 AMPDBPASS`);
    expect(src('ami.secret')).toBe(`${root}/etc/asterisk/manager_custom.conf [admin] secret`);
    expect(d.notes.join('\n')).toContain('AMPMGRPASS');
    expect(d.notes.join('\n')).not.toContain('staleAmpMgrPass');
    expect(d.notes.join('\n')).not.toContain('realAdminSecret');
  });

  it('FreePBX 13: random md5 AMI user from manager.conf, AMPDBPORT, fwconsole found (§9.3, §11.2)', () => {
    const root = join(ETC, 'freepbx13');
    const { v, src } = values(root);
    expect(v).toMatchObject({
      'db.user': 'freepbxuser',
      'db.password': '5f2b1c9a7e3d4b6a8c0e1f2a3b4c5d6e',
      'db.port': 3306,
      'ami.username': '3c5f1e9b0a2d4c6e8f7a9b1c3d5e7f90',
      'ami.secret': '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b',
      apply_cmd: ['/usr/sbin/fwconsole', 'reload'],
    });
    expect(src('ami.username')).toContain('first AMI user');
  });

  it('FREEPBX_CONF overrides the path; the legacy /etc/asterisk/freepbx.conf is read when /etc/freepbx.conf is absent', () => {
    const php = (u: string) => `<?php\n$amp_conf['AMPDBUSER'] = '${u}';\n`;
    const root = tmpRoot({
      'etc/asterisk/freepbx.conf': php('legacy'),
      'elsewhere/fp.conf': php('override'),
    });
    expect(values(root).v['db.user']).toBe('legacy');
    expect(values(root, { ...ENV, FREEPBX_CONF: join(root, 'elsewhere/fp.conf') }).v['db.user']).toBe(
      'override',
    );
  });

  it('AMPDBHOST host:port, CDRTABLENAME typo, non-mysql engines and a disabled AMI are reported', () => {
    const root = tmpRoot({
      'etc/amportal.conf':
        'AMPDBHOST=db.local:3307\nAMPDBENGINE=sqlite3\nCDRTABLENAME=cdr_old\nCDRDBTYPE=postgres\n',
      'etc/asterisk/manager.conf': '[general]\nenabled = no\n',
    });
    const { d, v } = values(root);
    expect(v['db.host']).toBe('db.local');
    expect(v['db.port']).toBe(3307);
    expect(v['db.cdr_table']).toBe('cdr_old');
    const notes = d.notes.join('\n');
    expect(notes).toContain('AMPDBENGINE is sqlite3');
    expect(notes).toContain('CDRDBTYPE is postgres');
    expect(notes).toContain('AMI is disabled');
  });

  it('placeholders of the FreePBX template are not taken as credentials (§11.4)', () => {
    const root = tmpRoot({
      'etc/asterisk/manager.conf': '[general]\nport=5038\n[AMPMGRUSER]\nsecret = AMPMGRPASS\n',
    });
    const { v } = values(root);
    expect(v['ami.username']).toBeUndefined();
    expect(v['ami.secret']).toBeUndefined();
  });

  it('an empty box yields only the module_admin default and a note', () => {
    const { d, v } = values(tmpRoot({}));
    expect(v).toEqual({ apply_cmd: ['/var/lib/asterisk/bin/module_admin', 'reload'] });
    expect(d.notes.join('\n')).toContain('neither fwconsole nor');
  });
});
