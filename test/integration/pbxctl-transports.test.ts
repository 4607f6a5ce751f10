import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrustedKeys } from '../../protocol/src/signing';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { useProcesses } from '../helpers/process';
import { answers, buildPbxctl, type FakeAgent, startFakeAgent } from './pbxctl-helpers';

// One contract, re-run for every transport a consumer may use (STYLE.md, "MQTT.js v5").

// pbxctl runs as a child process from an esbuild bundle of the source (what dist/pbxctl.js is).
let bin: string;
let cleanupBin: (() => Promise<void>) | undefined;
beforeAll(async () => {
  const b = await buildPbxctl();
  bin = b.file;
  cleanupBin = b.cleanup;
});
afterAll(async () => cleanupBin?.());

describe('pbxctl send over every transport, with broker login', () => {
  const procs = useProcesses();
  let broker: MosquittoBroker;
  let dir: string;
  let agent: FakeAgent;
  const login = { PBXCTL_BROKER_USERNAME: 'ops', PBXCTL_BROKER_PASSWORD: 'pw-ops-1' };

  const pbxctl = (args: string[], env: Record<string, string | undefined>) =>
    procs.runNode([bin, ...args], {
      env: { ...process.env, PBXCTL_KEY: join(dir, 'ops-1.key'), ...env },
    });

  beforeAll(async () => {
    broker = await startMosquitto({
      websockets: true,
      tls: true,
      users: { ops: 'pw-ops-1', agent: 'pw-agent' },
    });
    dir = await mkdtemp(join(tmpdir(), 'pbxctl-tr-'));
    const r = await pbxctl(['keygen', '--kid', 'ops-1', '--out', dir], {});
    expect(r.code, r.stderr).toBe(0);
    const [key] = parseTrustedKeys(`[${r.stdout}]`);
    agent = await startFakeAgent(broker.url, 'pbx-t', 'ops-1', key!.publicKey, answers.parts(2), {
      username: 'agent',
      password: 'pw-agent',
    });
  });
  afterAll(async () => {
    await agent?.close();
    await broker?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const transports = [
    ['mqtt://', () => ({ PBXCTL_BROKER_URL: broker.url })],
    ['ws://', () => ({ PBXCTL_BROKER_URL: broker.wsUrl! })],
    [
      'mqtts:// with a pinned CA',
      () => ({ PBXCTL_BROKER_URL: broker.tlsUrl!, PBXCTL_BROKER_CA: broker.caFile! }),
    ],
    [
      'wss:// with a pinned CA',
      () => ({ PBXCTL_BROKER_URL: broker.wssUrl!, PBXCTL_BROKER_CA: broker.caFile! }),
    ],
  ] as const;

  it.each(transports)('%s: parts in order, exit 0', async (_name, env) => {
    const r = await pbxctl(['send', 'pbx-t', 'cdr.query'], { ...env(), ...login });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'part 1 {"rows":[{"n":1}]}',
      'part 2 {"rows":[{"n":2}]}',
      'done {"count":2,"next_cursor":null}',
    ]);
  });

  it('--mqtt3 speaks MQTT 3.1.1: replies come back on the signed reply_to', async () => {
    const before = agent.received.length;
    const r = await pbxctl(['send', 'pbx-t', 'cdr.query', '--mqtt3'], {
      PBXCTL_BROKER_URL: broker.url,
      ...login,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').at(-1)).toBe('done {"count":2,"next_cursor":null}');
    const got = agent.received[before]!;
    expect(got.responseTopic).toBeUndefined();
    expect(got.cmd.claims.reply_to).toMatch(/^pbxlink\/v1\/pbx-t\/reply\//);
  });

  it('a wrong broker password exits 4 saying the broker refused', async () => {
    const r = await pbxctl(['send', 'pbx-t', 'agent.info'], {
      PBXCTL_BROKER_URL: broker.url,
      PBXCTL_BROKER_USERNAME: 'ops',
      PBXCTL_BROKER_PASSWORD: 'wrong',
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^pbxctl send: cannot connect to broker mqtt:\/\/127\.0\.0\.1:\d+\/?: .*(Not authorized|Bad username or password)/,
    );
    expect(r.stderr).not.toContain('wrong');
  });

  it('TLS without the test CA pinned exits 4 with the certificate problem', async () => {
    const r = await pbxctl(['send', 'pbx-t', 'agent.info'], { PBXCTL_BROKER_URL: broker.tlsUrl!, ...login });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/cannot connect to broker mqtts:.*(self[- ]signed|unable to (get|verify))/i);
  });

  it('an unreadable CA file is a usage error', async () => {
    const r = await pbxctl(['send', 'pbx-t', 'agent.info'], {
      PBXCTL_BROKER_URL: broker.tlsUrl!,
      PBXCTL_BROKER_CA: join(dir, 'missing-ca.pem'),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`pbxctl send: cannot read CA file ${join(dir, 'missing-ca.pem')}: ENOENT`);
  });

  it('tail works over wss:// with login', async () => {
    await agent.client.publishAsync(
      'pbxlink/v1/pbx-t/status',
      JSON.stringify({ online: true, agent: 'pbx-t', boot_id: 'x' }),
      {
        qos: 1,
        retain: true,
      },
    );
    const r = await pbxctl(['tail', 'pbx-t', 'status', '--count', '1'], {
      PBXCTL_BROKER_URL: broker.wssUrl!,
      PBXCTL_BROKER_CA: broker.caFile!,
      ...login,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ pbx-t status online boot_id=x \(retained\)$/);
    expect(await readFile(broker.caFile!, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
  });
});
