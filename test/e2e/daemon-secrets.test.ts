import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PbxlinkClient } from '../../protocol/src/client/client';
import { type Consumer, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import {
  connectConsumerAs,
  FAST_RECONNECT,
  sleep,
  startAgentProcess,
  until,
  writeAgentConfig,
} from '../helpers/daemon';
import { spawnProcess, type TestProcess } from '../helpers/process';

// No secret ever appears in a log line (issue 4 part 1): the agent runs at debug level with a broker
// password, an AMI secret and a database password, then again with wrong ones (the login failure
// paths), and `pbxlink check` prints what it found; every configured secret is grepped for.

/** A distinctive secret: a label and 24 hex digits (no URL escaping needed). */
const secret = (label: string) => `${label}${randomBytes(12).toString('hex')}`;

/** The agent's log as parsed JSON lines (pino), non-JSON lines kept as `{ text }`. */
function parsed(p: TestProcess): Array<Record<string, any>> {
  return [...p.stdout, ...p.stderr].map((l) => {
    try {
      return JSON.parse(l) as Record<string, any>;
    } catch {
      return { text: l };
    }
  });
}

/** Which of `secrets` occur in any stdout/stderr line of `procs`, with the first offending line. */
function leaks(procs: TestProcess[], secrets: string[]): string[] {
  const out: string[] = [];
  for (const s of secrets) {
    for (const p of procs) {
      const line = [...p.stdout, ...p.stderr].find((l) => l.includes(s));
      if (line) out.push(`${s} in: ${line.slice(0, 300)}`);
    }
  }
  return out;
}

describe('daemon: no secret in logs', () => {
  let pbx: TestPbx | undefined;
  let consumer: Consumer | undefined;
  const dbUser = `pxs${process.pid}${randomBytes(3).toString('hex')}`.slice(0, 16);
  const hosts = ['127.0.0.1', 'localhost', '%'];

  afterEach(async () => {
    await consumer?.close();
    for (const h of hosts) await pbx?.dbs.conn.query('DROP USER IF EXISTS ?@?', [dbUser, h]).catch(() => {});
    await pbx?.close();
  });

  it('debug logs of a good run (with commands), of failed logins, and `pbxlink check`, and every published message, hold none of the credentials', async () => {
    const brokerPw = secret('brokerpw');
    const readerPw = secret('readerpw');
    const amiSecret = secret('amisecret');
    const dbPw = secret('dbpw');
    const wrong = { broker: secret('wrongbroker'), ami: secret('wrongami'), db: secret('wrongdb') };
    const all = [brokerPw, readerPw, amiSecret, dbPw, wrong.broker, wrong.ami, wrong.db];

    pbx = await startTestPbx({
      agentId: `daemon-secrets-${process.pid}-${Date.now()}`,
      broker: { users: { agent: brokerPw, reader: readerPw } },
      sim: { username: 'pbxlinkami', secret: amiSecret, cdrManager: true },
    });
    const conn = pbx.dbs.conn;
    for (const h of hosts) {
      await conn.query('CREATE USER ?@? IDENTIFIED BY ?', [dbUser, h, dbPw]);
      for (const db of [pbx.dbs.cdrDb, pbx.dbs.configDb])
        await conn.query(`GRANT ALL ON \`${db}\`.* TO ?@?`, [dbUser, h]);
    }
    const env = (p: { broker: string; ami: string; db: string }) => ({
      PBXLINK_LOG_LEVEL: 'debug',
      PBXLINK_BROKER_USERNAME: 'agent',
      PBXLINK_BROKER_PASSWORD: p.broker,
      PBXLINK_AMI_URL: `ami://pbxlinkami:${p.ami}@127.0.0.1:${pbx!.sim.port}`,
      PBXLINK_DB_URL: `mysql://${dbUser}:${p.db}@127.0.0.1:${pbx!.dbs.port}`,
    });
    consumer = await connectConsumerAs(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`, {
      username: 'reader',
      password: readerPw,
    });
    const c = consumer;

    // 1. Everything right: the secrets are used (AMI, database and broker all ok) and a call is seen.
    const good = await startAgentProcess(pbx, { env: env({ broker: brokerPw, ami: amiSecret, db: dbPw }) });
    const allOk = (s: { payload: any }) =>
      ['ami', 'database', 'broker'].every((k) => s.payload.data.components[k]?.status === 'ok');
    await c.waitFor(() => c.on('/state/health').some(allOk), 20_000, 'health: ami, database and broker ok');
    await pbx.sim.runScenario('internal', { speed: 0 });
    await c.waitFor(() => c.on('/events/cdr.new').length === 1, 10_000, 'cdr.new');
    // The commands that describe the agent and its PBX (the seed's `auth` returned the admin password).
    const client = await PbxlinkClient.connect({
      url: pbx.broker.url,
      username: 'reader',
      password: readerPw,
    });
    try {
      for (const cmd of ['agent.info', 'system.resources', 'agent.refresh']) {
        const replies = await client.sendCommand(
          pbx.agentId,
          cmd,
          {},
          { kid: pbx.key.kid, privateKey: pbx.key.privateKey },
        );
        for await (const r of replies) expect(r.ok).toBe(true);
      }
    } finally {
      await client.close();
    }
    await sleep(500);
    expect(await good.stop('SIGTERM', 10_000)).toEqual({ code: 0, signal: null });

    // 2. Every login fails: wrong broker password, wrong AMI secret, wrong database password.
    const config = writeAgentConfig(pbx, 'fast-reconnect', FAST_RECONNECT);
    const bad = await startAgentProcess(pbx, { config, env: env(wrong) });
    await bad.waitForLine(/database unreachable/, 15_000);
    const complaint = (module: string) => (l: Record<string, any>) =>
      l.module === module && ['warn', 'error'].includes(l.level);
    await until(() => parsed(bad).some(complaint('ami')), 15_000, 'a warning from the AMI client');
    await until(() => parsed(bad).some(complaint('link')), 15_000, 'a warning from the MQTT link');
    // The broker refuses it again and again: those retries are logged at debug level.
    await until(() => parsed(bad).some((l) => l.level === 'debug'), 15_000, 'a debug line');
    const badLines = parsed(bad);
    expect(await bad.stop('SIGTERM', 10_000)).toMatchObject({ signal: null });

    // 3. `pbxlink check` with the right credentials prints what it discovered and tests each connection.
    const check = spawnProcess(process.execPath, ['dist/pbxlink.js', 'check'], {
      env: { ...process.env, ...pbx.env, ...env({ broker: brokerPw, ami: amiSecret, db: dbPw }) },
    });
    const checked = await check.exited;
    expect(check.stdout.length + check.stderr.length).toBeGreaterThan(3);
    expect(checked.signal).toBeNull();

    expect(leaks([good, bad, check], all)).toEqual([]);
    // Nor was any published: birth, snapshots, events and command replies as the consumer got them.
    const published = c.seen.map((m) => m.raw.toString('utf8'));
    expect(c.seen.filter((m) => m.topic.includes('/reply/')).length).toBeGreaterThanOrEqual(3);
    expect(all.filter((x) => published.some((p) => p.includes(x)))).toEqual([]);
    // The grep looks at the right output: the (non-secret) user names are there.
    expect(leaks([bad], [dbUser])).toHaveLength(1);
    expect(leaks([check], ['pbxlinkami'])).toHaveLength(1);
    // Not vacuous: the logs were at debug level, and the failure paths were taken and logged.
    expect(badLines.some((l) => l.level === 'debug')).toBe(true);
    expect(badLines.filter((l) => ['warn', 'error'].includes(l.level)).length).toBeGreaterThanOrEqual(3);
  }, 90_000);
});
