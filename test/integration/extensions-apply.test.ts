// The apply command (§9.3): need_reload set, argv run without a shell, outcome bounded; timeout and a missing
// command are reported, never thrown.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigApplier } from '../../agent/src/pbx/freepbx/apply-config';
import { FreepbxDb } from '../../agent/src/pbx/freepbx/db';
import { createTestDatabases, type TestDatabases } from '../helpers/mariadb';

describe('ConfigApplier', () => {
  let dbs: TestDatabases;
  let pool: FreepbxDb;
  let dir: string;
  const needReload = async () => {
    const [[row]] = (await dbs.conn.query(
      `SELECT value FROM \`${dbs.configDb}\`.admin WHERE variable='need_reload'`,
    )) as unknown as [[{ value: string }]];
    return row.value;
  };
  const script = async (name: string, body: string) => {
    const p = join(dir, name);
    await writeFile(p, `#!/bin/sh\n${body}\n`);
    await chmod(p, 0o755);
    return p;
  };

  beforeAll(async () => {
    dbs = await createTestDatabases();
    pool = new FreepbxDb({ host: dbs.host, port: dbs.port, user: 'root' });
    dir = await mkdtemp(join(tmpdir(), 'pbxt-applier-'));
  });
  afterAll(async () => {
    await pool?.close();
    await dbs?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('sets need_reload and passes arguments verbatim (no shell)', async () => {
    const p = await script('echo.sh', 'printf "%s|" "$@"');
    const a = new ConfigApplier({
      db: pool,
      configDb: dbs.configDb,
      argv: [p, 'reload', '$(touch x); rm -rf /'],
    });
    expect(await needReload()).toBe('false');
    expect(await a.apply()).toEqual({ ok: true, output: 'reload|$(touch x); rm -rf /|' });
    expect(await needReload()).toBe('true');
  });

  it('a hanging command is killed at the timeout and reported', async () => {
    const p = await script('hang.sh', 'echo starting; exec sleep 30');
    const a = new ConfigApplier({ db: pool, configDb: dbs.configDb, argv: [p], timeoutMs: 300 });
    const t0 = Date.now();
    const r = await a.apply();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.ok).toBe(false);
    expect(r.output).toContain('timed out after 300 ms');
  });

  it('a missing command and a noisy failing one are reported with bounded output', async () => {
    const missing = new ConfigApplier({ db: pool, configDb: dbs.configDb, argv: [join(dir, 'nope')] });
    expect(await missing.apply()).toMatchObject({ ok: false, output: expect.stringContaining('ENOENT') });
    const p = await script(
      'noisy.sh',
      'i=0; while [ $i -lt 2000 ]; do echo "line $i of noise"; i=$((i+1)); done; exit 3',
    );
    const r = await new ConfigApplier({ db: pool, configDb: dbs.configDb, argv: [p] }).apply();
    expect(r.ok).toBe(false);
    expect(r.output?.length).toBeLessThanOrEqual(4000);
    expect(r.output).toContain('line 1999 of noise');
  });

  it('runs are serialized', async () => {
    const log = join(dir, 'serial.log');
    const p = await script('slow.sh', `echo start >> '${log}'; sleep 0.2; echo end >> '${log}'`);
    const a = new ConfigApplier({ db: pool, configDb: dbs.configDb, argv: [p] });
    await Promise.all([a.apply(), a.apply(), a.apply()]);
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
      'start',
      'end',
      'start',
      'end',
      'start',
      'end',
    ]);
  });
});
