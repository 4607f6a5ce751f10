// `pbxlink check` as a child process against a real Mosquitto (with passwords), the real MariaDB (a user
// with a password, unique databases), the AMI simulator, and a closed port for AMI.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicPem } from '../../protocol/src/keys';
import { createTestDatabases, type TestDatabases, uniqueDbName } from '../helpers/mariadb';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { freePort } from '../helpers/ports';
import { useProcesses } from '../helpers/process';
import { type AmiSimulator, startAmiSimulator } from '../sim/server';

const MAIN = join(import.meta.dirname, '../../agent/src/main.ts');
const MQTT_PASS = 'mqtt-Secret-8f3a1';
const DB_PASS = 'db-Secret-4c2e9';
const AMI_SECRET = 'ami-Secret-77d0b';
const procs = useProcesses();

let broker: MosquittoBroker;
let dbs: TestDatabases;
let sim: AmiSimulator;
let dbUser: string;
let dir: string;
let keysFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pbxlink-check-'));
  keysFile = join(dir, 'trusted-keys.json');
  writeFileSync(
    keysFile,
    JSON.stringify([
      { kid: 'ops-1', publicKey: publicPem(generateKeyPairSync('ed25519').publicKey), scopes: ['read'] },
    ]),
  );
  [broker, dbs, sim] = await Promise.all([
    startMosquitto({ users: { agent: MQTT_PASS } }),
    createTestDatabases({ cdr: 'freepbx-2.11', config: 'freepbx-2.11' }),
    startAmiSimulator({ dialect: '13', username: 'admin', secret: AMI_SECRET, authFailDelayMs: 50 }),
  ]);
  dbUser = uniqueDbName('pbxu').slice(0, 32);
  await dbs.conn.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [dbUser, DB_PASS]);
  await dbs.conn.query(`GRANT SELECT ON \`${dbs.cdrDb}\`.* TO ?@'%'`, [dbUser]);
  await dbs.conn.query(`GRANT SELECT ON \`${dbs.configDb}\`.* TO ?@'%'`, [dbUser]);
}, 60_000);

afterAll(async () => {
  await dbs?.conn.query(`DROP USER IF EXISTS ?@'%'`, [dbUser]).catch(() => {});
  await Promise.all([broker?.close(), dbs?.drop(), sim?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function env(over: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PBXLINK_DISCOVERY: '0',
    PBXLINK_AGENT_ID: 'pbx-check',
    PBXLINK_BROKER_URL: broker.url,
    PBXLINK_BROKER_USERNAME: 'agent',
    PBXLINK_BROKER_PASSWORD: MQTT_PASS,
    PBXLINK_DB_URL: `mysql://${dbUser}:${encodeURIComponent(DB_PASS)}@127.0.0.1:3306`,
    PBXLINK_CONFIG_DB: dbs.configDb,
    PBXLINK_CDR_DB: dbs.cdrDb,
    PBXLINK_AMI_URL: `ami://admin:${AMI_SECRET}@127.0.0.1:${sim.port}`,
    PBXLINK_TRUSTED_KEYS: keysFile,
    PBXLINK_STATE_DIR: join(dir, 'state'),
    PBXLINK_MONITOR_DIR: dir,
    ...over,
  };
}

async function check(e: Record<string, string>) {
  const r = await procs.runNode(['--import', 'tsx', MAIN, 'check'], { env: e, timeoutMs: 30_000 });
  const all = `${r.stdout}\n${r.stderr}`;
  // No configured secret ever leaves the process, in any form we were given it.
  for (const s of [MQTT_PASS, DB_PASS, AMI_SECRET, encodeURIComponent(DB_PASS)])
    expect(all, `secret ${s} leaked:\n${all}`).not.toContain(s);
  const line = (name: string) =>
    r.stdout.split('\n').find((l) => new RegExp(`^\\s+${name}\\s{2,}(ok|FAILED)\\s`).test(l)) ??
    `(no ${name} line)\n${all}`;
  return { ...r, all, line };
}

describe('pbxlink check', () => {
  it('prints the masked configuration with sources, and ok for every working connection (exit 0)', async () => {
    const r = await check(env({}));
    expect(r.line('trusted keys')).toMatch(/ok\s+.*trusted-keys\.json: 1 key\(s\)$/);
    expect(r.line('state dir')).toMatch(/ok\s+.*\/state: will be created$/);
    expect(r.line('monitor dir')).toMatch(/ok\s+.*: readable$/);
    expect(r.line('ami')).toMatch(
      new RegExp(`ok\\s+admin@127\\.0\\.0\\.1:${sim.port}: logged in \\(Asterisk Call Manager/`),
    );
    expect(r.line('db')).toMatch(new RegExp(`ok\\s+${dbUser}@127\\.0\\.0\\.1:3306: SELECT 1 ok`));
    expect(r.line('config db')).toMatch(/ok\s+database .*_cfg present/);
    expect(r.line('cdr table')).toMatch(/ok\s+.*_cdr\.cdr readable/);
    expect(r.line('mqtt')).toMatch(/ok\s+mqtt:\/\/127\.0\.0\.1:\d+\/?: connected \(MQTT 5/);
    expect(r.stdout).toMatch(/^\s+broker\.password\s+\*{8}\s+\[env PBXLINK_BROKER_PASSWORD\]$/m);
    expect(r.stdout).toMatch(/^\s+ami\.secret\s+\*{8}\s+\[env PBXLINK_AMI_URL\]$/m);
    expect(r.stdout).toMatch(/^\s+db\.password\s+\*{8}\s+\[env PBXLINK_DB_URL\]$/m);
    expect(r.stdout).toMatch(/^\s+schedules\.health\s+\*\/30 \* \* \* \* \*\s+\[default\]$/m);
    expect(r.stdout).toContain('all checks passed');
    expect(r.code).toBe(0);
  });

  it('says FAILED with the reason for a closed AMI port, a wrong DB password and a wrong broker password (exit 1)', async () => {
    const closed = await freePort();
    const r = await check(
      env({
        PBXLINK_AMI_URL: `ami://admin:${AMI_SECRET}@127.0.0.1:${closed}`,
        PBXLINK_DB_URL: `mysql://${dbUser}:wrong-${DB_PASS}@127.0.0.1:3306`,
        PBXLINK_BROKER_PASSWORD: `wrong-${MQTT_PASS}`,
      }),
    );
    expect(r.line('ami')).toMatch(
      new RegExp(`FAILED\\s+admin@127\\.0\\.0\\.1:${closed}: connection refused$`),
    );
    expect(r.line('db')).toMatch(/FAILED\s+.*Access denied for user/);
    expect(r.line('cdr table')).toMatch(/FAILED\s+not checked: no database connection/);
    expect(r.line('mqtt')).toMatch(/FAILED\s+.*(Not authorized|Bad User Name or Password)/i);
    expect(r.stdout).toMatch(/4 check\(s\) FAILED/);
    expect(r.all).not.toContain(`wrong-${DB_PASS}`);
    expect(r.code).toBe(1);
  });

  it('reports a refused AMI login, a missing CDR table, a missing monitor dir and a running agent', async () => {
    const stateDir = join(dir, 'running');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, 'agent.lock'), JSON.stringify({ pid: process.pid })); // this process is alive
    const r = await check(
      env({
        PBXLINK_AMI_URL: `ami://admin:not-${AMI_SECRET}@127.0.0.1:${sim.port}`,
        PBXLINK_CDR_DB: `${dbs.cdrDb}_missing`,
        PBXLINK_MONITOR_DIR: join(dir, 'no-such-monitor'),
        PBXLINK_STATE_DIR: stateDir,
      }),
    );
    expect(r.line('ami')).toMatch(/FAILED\s+.*login refused: Authentication failed$/);
    expect(r.line('cdr table')).toMatch(/FAILED\s+.*_missing\.cdr: /);
    expect(r.line('monitor dir')).toMatch(/FAILED\s+.*no-such-monitor: not a directory$/);
    expect(r.line('state dir')).toContain(`writable; in use by a running pbxlink (pid ${process.pid})`);
    expect(r.stdout).toMatch(/3 check\(s\) FAILED/);
    expect(r.code).toBe(1);
  });

  it('with an invalid configuration prints every problem, tests nothing and exits 78', async () => {
    const r = await check(
      env({ PBXLINK_BROKER_URL: 'http://127.0.0.1:1', PBXLINK_AGENT_ID: 'no spaces allowed' }),
    );
    expect(r.stdout).toMatch(
      /^config error: broker\.url \(env PBXLINK_BROKER_URL\): scheme http:\/\/ is not supported/m,
    );
    expect(r.stdout).toMatch(
      /^config error: agent_id \(env PBXLINK_AGENT_ID\): "no spaces allowed" is not a valid agent id/m,
    );
    expect(r.stdout).toContain('2 configuration problem(s); connections not tested');
    expect(r.stdout).not.toContain('connections:');
    expect(r.code).toBe(78);
  });
});
