import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doneReply, partReply } from '../../protocol/src/envelope';
import { loadPrivateKey, parseTrustedKeys, signCommand, verifyCommand } from '../../protocol/src/signing';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { useProcesses } from '../helpers/process';
import { answers, buildPbxctl, type FakeAgent, startFakeAgent } from './pbxctl-helpers';

const P = 'pbxlink/v1';

// pbxctl runs as a child process from an esbuild bundle of the source (what dist/pbxctl.js is).
let bin: string;
let cleanupBin: (() => Promise<void>) | undefined;
beforeAll(async () => {
  const b = await buildPbxctl();
  bin = b.file;
  cleanupBin = b.cleanup;
});
afterAll(async () => cleanupBin?.());

describe('pbxctl against a real Mosquitto', () => {
  const procs = useProcesses();
  let broker: MosquittoBroker;
  let dir: string;
  let publisher: MqttClient;
  const agents: FakeAgent[] = [];

  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    PBXCTL_BROKER_URL: broker.url,
    PBXCTL_KEY: join(dir, 'ops-1.key'),
    ...extra,
  });
  const pbxctl = (args: string[], extra: Record<string, string> = {}, timeoutMs = 20_000) =>
    procs.runNode([bin, ...args], { env: env(extra), timeoutMs });

  beforeAll(async () => {
    broker = await startMosquitto();
    dir = await mkdtemp(join(tmpdir(), 'pbxctl-test-'));
    publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await publisher?.endAsync(true);
    await broker?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function trustedKey() {
    const entry = JSON.parse(await readFile(join(dir, 'ops-1.entry.json'), 'utf8'));
    return parseTrustedKeys(JSON.stringify([entry]))[0]!;
  }

  it('keygen writes a 0600 private key and prints a valid trusted-keys entry', async () => {
    const r = await pbxctl([
      'keygen',
      '--kid',
      'ops-1',
      '--out',
      dir,
      '--scope',
      'read',
      '--scope',
      'cdr:read',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const entry = JSON.parse(r.stdout);
    expect(Object.keys(entry).sort()).toEqual(['kid', 'publicKey', 'scopes']);
    expect(entry.kid).toBe('ops-1');
    expect(entry.scopes).toEqual(['read', 'cdr:read']);
    expect(entry.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const [key] = parseTrustedKeys(JSON.stringify([entry]));
    expect(key?.kid).toBe('ops-1');
    expect((await stat(join(dir, 'ops-1.key'))).mode & 0o777).toBe(0o600);
    expect(r.stderr).toContain(join(dir, 'ops-1.key'));
    await import('node:fs/promises').then((fs) => fs.writeFile(join(dir, 'ops-1.entry.json'), r.stdout));

    // The private key signs what the printed public key verifies.
    const privateKey = loadPrivateKey(await readFile(join(dir, 'ops-1.key'), 'utf8'));
    const token = signCommand({ aud: 'a1', cmd: 'agent.info', args: {} }, { kid: 'ops-1', privateKey });
    const v = verifyCommand(token, { agentId: 'a1', resolveKey: (k) => (k === 'ops-1' ? key : undefined) });
    expect(v.claims.cmd).toBe('agent.info');
  });

  it('keygen refuses to overwrite an existing key', async () => {
    const r = await pbxctl(['keygen', '--kid', 'ops-1', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ops-1\.key exists already; pick another --kid or pass --force/);
  });

  it('tail prints one readable line per status, state and event message', async () => {
    const p = procs.node([bin, 'tail', 'pbx-1', 'all'], { env: env() });
    await p.waitForLine(/^following pbxlink\/v1\/pbx-1\/# on mqtt:\/\/127\.0\.0\.1:\d+/, 15_000);
    const env1 = { v: 1, agent: 'pbx-1', boot_id: 'b1', ts: '2026-01-02T03:04:05.000Z' };
    await publisher.publishAsync(
      `${P}/pbx-1/status`,
      JSON.stringify({
        online: true,
        agent: 'pbx-1',
        boot_id: 'b1',
        version: '0.1.0',
        started_at: '2026-01-02T03:00:00.000Z',
        capabilities: [],
      }),
      { qos: 1 },
    );
    await publisher.publishAsync(
      `${P}/pbx-1/state/peers`,
      JSON.stringify({
        ...env1,
        seq: 5,
        type: 'state.peers',
        data: { peers: [{ name: '101' }, { name: '102' }] },
      }),
      { qos: 1 },
    );
    await publisher.publishAsync(
      `${P}/pbx-1/events/peer.status`,
      JSON.stringify({ ...env1, seq: 6, type: 'peer.status', data: { name: '101', status: 'unreachable' } }),
      { qos: 1 },
    );
    expect(await p.waitForLine(/ status /, 10_000, 'stdout')).toBe(
      '03:00:00.000 pbx-1 status online boot_id=b1 version=0.1.0 started_at=2026-01-02T03:00:00.000Z capabilities=[0]',
    );
    expect(await p.waitForLine(/state\/peers/, 10_000, 'stdout')).toBe(
      '03:04:05.000 pbx-1 state/peers seq=5 peers=[2]',
    );
    expect(await p.waitForLine(/events\//, 10_000, 'stdout')).toBe(
      '03:04:05.000 pbx-1 events/peer.status seq=6 name=101 status=unreachable',
    );
    expect(p.stdout).toHaveLength(3);
    expect(await p.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('tail exits 4 when the broker goes away', async () => {
    const own = await startMosquitto();
    try {
      const p = procs.node([bin, 'tail', 'pbx-1', 'status'], {
        env: env({ PBXCTL_BROKER_URL: own.url }),
      });
      await p.waitForLine(/^following /, 15_000);
      await own.stop();
      expect((await p.exited).code).toBe(4);
      expect(p.stderr.at(-1)).toBe('pbxctl tail: lost the connection to the broker');
    } finally {
      await own.close();
    }
  });

  it('tail --json shows retained snapshots first, one JSON object per line, and --count ends it', async () => {
    const snap = {
      v: 1,
      agent: 'pbx-2',
      boot_id: 'b2',
      seq: 1,
      ts: '2026-01-02T03:04:05.000Z',
      type: 'state.health',
      data: { ok: 1 },
    };
    await publisher.publishAsync(`${P}/pbx-2/state/health`, JSON.stringify(snap), { qos: 1, retain: true });
    const r = await pbxctl(['tail', 'pbx-2', 'state', '--json', '--count', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      topic: `${P}/pbx-2/state/health`,
      kind: 'state',
      agent: 'pbx-2',
      name: 'health',
      retained: true,
      bytes: JSON.stringify(snap).length,
      payload: snap,
    });
  });

  it('send to an agent that is not there times out with the documented message and exit 3', async () => {
    const r = await pbxctl(['send', 'ghost-7', 'agent.info', '--timeout', '1']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('no reply from ghost-7 within 1 s: is it online? see `pbxctl tail ghost-7 status`');
    expect(r.stdout).toBe('');
  });

  it('send prints the parts of a long result in order, then done, and exits 0', async () => {
    const key = await trustedKey();
    const agent = await startFakeAgent(broker.url, 'pbx-3', 'ops-1', key.publicKey, answers.parts(3));
    agents.push(agent);
    const r = await pbxctl(['send', 'pbx-3', 'cdr.query', '--arg', 'status=ANSWERED', '--arg', 'limit:=3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'part 1 {"rows":[{"n":1}]}',
      'part 2 {"rows":[{"n":2}]}',
      'part 3 {"rows":[{"n":3}]}',
      'done {"count":3,"next_cursor":null}',
    ]);
    // What the agent received: signed args, and MQTT 5 Response Topic/Correlation Data/Message Expiry set.
    const got = agent.received[0]!;
    expect(got.cmd.claims).toMatchObject({
      iss: 'ops-1',
      aud: 'pbx-3',
      cmd: 'cdr.query',
      args: { status: 'ANSWERED', limit: 3 },
    });
    expect(got.cmd.claims.exp - got.cmd.claims.iat).toBe(60);
    expect(got.responseTopic).toBe(got.cmd.claims.reply_to);
    expect(got.responseTopic).toMatch(/^pbxlink\/v1\/pbx-3\/reply\/[A-Za-z0-9_-]+$/);
    expect(got.correlationData?.toString()).toBe(got.cmd.claims.jti);
    expect(got.expiry).toBeGreaterThan(55);
    expect(got.expiry).toBeLessThanOrEqual(60);
  });

  it('send streams each part as it arrives, before the result is complete', async () => {
    const key = await trustedKey();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    agents.push(
      await startFakeAgent(broker.url, 'pbx-s', 'ops-1', key.publicKey, (c) => [
        partReply(c.claims.jti, 1, { rows: ['first'] }),
        () => gate,
        doneReply(c.claims.jti, { count: 1, next_cursor: null }),
      ]),
    );
    const p = procs.node([bin, 'send', 'pbx-s', 'cdr.query'], { env: env() });
    expect(await p.waitForLine(/^part 1/, 15_000, 'stdout')).toBe('part 1 {"rows":["first"]}');
    expect(p.stdout).toEqual(['part 1 {"rows":["first"]}']);
    release();
    expect(await p.waitForLine(/^done/, 15_000, 'stdout')).toBe('done {"count":1,"next_cursor":null}');
    expect((await p.exited).code).toBe(0);
  });

  it('send prints a single result as indented JSON', async () => {
    const key = await trustedKey();
    agents.push(
      await startFakeAgent(
        broker.url,
        'pbx-4',
        'ops-1',
        key.publicKey,
        answers.single({ agent: 'pbx-4', version: '0.1.0' }),
      ),
    );
    const r = await pbxctl(['send', 'pbx-4', 'agent.info']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('{\n  "agent": "pbx-4",\n  "version": "0.1.0"\n}');
  });

  it('send exits 1 on an error reply and shows its code and message', async () => {
    const key = await trustedKey();
    agents.push(
      await startFakeAgent(
        broker.url,
        'pbx-5',
        'ops-1',
        key.publicKey,
        answers.error('forbidden', 'cdr.query needs scope cdr:read', { scope: 'cdr:read' }),
      ),
    );
    const r = await pbxctl(['send', 'pbx-5', 'cdr.query']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('error forbidden: cdr.query needs scope cdr:read');
    expect(lines[1]).toBe('details: {"scope":"cdr:read"}');
  });

  it('send with a key the agent does not trust gets no reply (the fake agent rejects it)', async () => {
    const key = await trustedKey();
    const agent = await startFakeAgent(broker.url, 'pbx-6', 'ops-1', key.publicKey, answers.single({}));
    agents.push(agent);
    const r = await pbxctl(['send', 'pbx-6', 'agent.info', '--kid', 'someone-else', '--timeout', '1']);
    expect(r.code).toBe(3);
    expect(agent.rejected).toEqual(['unknown_key']);
  });
});

describe('pbxctl usage errors', () => {
  const procs = useProcesses();
  const run = (args: string[], env: Record<string, string | undefined>) =>
    procs.runNode([bin, ...args], {
      env: { ...process.env, PBXCTL_BROKER_URL: undefined, PBXCTL_KEY: undefined, ...env },
    });

  it.each([
    [
      ['send', 'a1', 'agent.info'],
      {},
      'pbxctl send: no broker URL: pass --broker URL or set PBXCTL_BROKER_URL',
    ],
    [['tail', 'a1'], {}, 'pbxctl tail: no broker URL: pass --broker URL or set PBXCTL_BROKER_URL'],
    [
      ['send', 'a1', 'agent.info'],
      { PBXCTL_BROKER_URL: 'http://x' },
      'pbxctl send: unsupported broker URL scheme "http:": use mqtt://, mqtts://, ws:// or wss://',
    ],
    [['send', 'a/1', 'agent.info'], {}, 'pbxctl send: invalid agent id "a/1": expected [A-Za-z0-9_-]{1,64}'],
    [
      ['send', 'a1', 'agent.info', '--arg', 'oops'],
      {},
      'pbxctl send: bad --arg "oops": expected key=value (string) or key:=json',
    ],
    [
      ['send', 'a1', 'agent.info'],
      { PBXCTL_BROKER_URL: 'mqtt://127.0.0.1:1', PBXCTL_KEY: '/nonexistent/k.key' },
      'pbxctl send: cannot read key file /nonexistent/k.key: ENOENT',
    ],
    [
      ['tail', 'a1', 'everything'],
      {},
      'pbxctl tail: cannot tail "everything": expected one of status, state, events, all',
    ],
    [
      ['send', 'a1', 'agent.info', '--bogus'],
      {},
      "pbxctl send: Unknown option '--bogus' (see pbxctl send --help)",
    ],
  ])('%j exits 2 with one clear line', async (args, env, line) => {
    const r = await run(args, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(line);
  });

  it('--help works for pbxctl and every subcommand', async () => {
    const top = await run(['--help'], {});
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/keygen[\s\S]*send[\s\S]*tail/);
    for (const sub of ['keygen', 'send', 'tail']) {
      const r = await run([sub, '--help'], {});
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith(`Usage: pbxctl ${sub}`)).toBe(true);
    }
  });
});

describe('pbxctl --version', () => {
  const procs = useProcesses();

  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(process.cwd(), 'package.json'), 'utf8')) as {
      version: string;
    };
    const v = await procs.runNode([bin, '--version']);
    expect([v.code, v.stdout]).toEqual([0, pkg.version]);
  });
});
