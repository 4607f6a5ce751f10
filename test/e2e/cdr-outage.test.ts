/**
 * The agent's CDR database (a private mariadbd of this test, never the shared server) stops in the middle of a
 * streamed `pbxctl cdr` query: the reply is `unavailable` (pbxctl exits 1), the agent keeps running, answers
 * `unavailable` while the database is down, and serves complete queries again once it is back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pbxctlArgv, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import {
  cdrRow,
  createTestDatabases,
  type PrivateMariadb,
  seedCdr,
  startPrivateMariadb,
  type TestDatabases,
} from '../helpers/mariadb';
import { useProcesses } from '../helpers/process';

const SEEDED = 150_000;
const procs = useProcesses();
let priv: PrivateMariadb;
let dbs: TestDatabases;
let pbx: TestPbx;

beforeAll(async () => {
  priv = await startPrivateMariadb();
  dbs = await createTestDatabases({
    port: priv.port,
    cdr: 'freepbx-2.11',
    config: 'freepbx-2.11',
    seed: true,
  });
  await seedCdr(dbs.cdrDb, { count: SEEDED }, { port: priv.port, batch: 5000 });
  await dbs.conn.end(); // the server will go away under it; the datadir is deleted at the end instead
  pbx = await startTestPbx({
    dialect: '13',
    env: { PBXLINK_DB_URL: priv.url, PBXLINK_CDR_DB: dbs.cdrDb, PBXLINK_CONFIG_DB: dbs.configDb },
  });
  await pbx.startAgent();
}, 120_000);
afterAll(async () => {
  await pbx?.close();
  await priv?.destroy();
});

const cli = (args: string[]) => pbxctlArgv(pbx, ['cdr'], args, { key: { file: pbx.key.keyFile } });

describe('the CDR database goes away during a query', () => {
  it('mid-query stop → unavailable; down → unavailable; back → complete answers', async () => {
    const out = join(pbx.dir, 'walk.jsonl');
    const walk = procs.node(cli(['--all', '--limit', '10000', '--format', 'jsonl', '--progress', '-o', out]));
    await walk.waitForLine(/ rows {2}page 1 /, 30_000, 'stderr'); // the first part arrived
    await priv.stop();
    const r = await walk.exited;
    const stderr = walk.stderr.join('\n');
    expect(stderr).toMatch(/^error unavailable: /m);
    expect(r.code).toBe(1);
    // Some rows had been printed, fewer than the table holds, and pbxctl says where to resume.
    const printed = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).length : 0;
    expect(printed).toBeGreaterThan(0);
    expect(printed).toBeLessThan(SEEDED);
    expect(stderr).toMatch(/^stopped: \d+ rows/m);

    // The agent is still running and says the database is unavailable.
    expect(pbx.agent!.child.exitCode).toBeNull();
    const down = await procs.runNode(cli(['--limit', '10', '--format', 'jsonl']), { timeoutMs: 60_000 });
    expect(down.stderr).toMatch(/^error unavailable: /m);
    expect(down.code).toBe(1);
    expect(down.stdout).toBe('');

    await priv.start();
    // The agent reconnects on its own: the first ten calls, exactly as seeded.
    const deadline = Date.now() + 45_000;
    let ok: Awaited<ReturnType<typeof procs.runNode>> | undefined;
    while (Date.now() < deadline) {
      const a = await procs.runNode(cli(['--limit', '10', '--format', 'jsonl']), { timeoutMs: 60_000 });
      if (a.code === 0) {
        ok = a;
        break;
      }
      expect(a.stderr).toMatch(/^error unavailable: /m);
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(ok, 'a query succeeded after the restart').toBeDefined();
    const rows = ok!.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.uniqueid)).toEqual(Array.from({ length: 10 }, (_, i) => cdrRow(i).uniqueid));
    // And a whole walk completes again.
    const full = await procs.runNode(cli(['--all', '--limit', '10000', '--format', 'csv', '-o', out]), {
      timeoutMs: 120_000,
    });
    expect(full.stderr).toMatch(new RegExp(`^done: ${SEEDED} rows in 15 page\\(s\\)`, 'm'));
    expect(full.code).toBe(0);
    expect(readFileSync(out, 'utf8').split('\r\n').filter(Boolean)).toHaveLength(SEEDED + 1);
  }, 180_000);
});
