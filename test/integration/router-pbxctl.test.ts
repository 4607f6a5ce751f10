/**
 * pbxctl (the bundled CLI, as a child process) as the consumer of the in-process router over a real Mosquitto:
 * results, error exits with the code on stderr, parts, and an agent link on MQTT 3.1.1 (replies by `reply_to`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentInfoCommand } from '../../agent/src/commands/agent-info';
import { createPeersListCommand } from '../../agent/src/commands/peers';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { useProcesses } from '../helpers/process';
import { type Rig, startRig, type TestKey, testHandlers, testKey } from '../unit/router/harness';
import { buildPbxctl } from './pbxctl-helpers';

const procs = useProcesses();
let broker: MosquittoBroker;
let pbxctl: Awaited<ReturnType<typeof buildPbxctl>>;
const ops = testKey('ops-1', ['read']);
const cdr = testKey('cdr-1', ['cdr:read']);
const peers = Array.from({ length: 3 }, (_, i) => ({
  name: `70${i}`,
  channel_type: 'SIP' as const,
  trunk: false,
  ip_address: null,
  ip_port: null,
  dynamic: true,
  status: 'unregistered' as const,
  status_text: 'UNKNOWN',
  latency_ms: null,
  description: null,
  device_state: null,
  contacts: [],
  forcerport: null,
  comedia: null,
  acl: null,
  video_support: null,
  text_support: null,
  realtime: null,
}));

beforeAll(async () => {
  broker = await startMosquitto();
  pbxctl = await buildPbxctl();
});
afterAll(async () => {
  await pbxctl?.cleanup();
  await broker?.close();
});

function rigFor(protocolVersion: 4 | 5): Promise<Rig> {
  return startRig({
    url: broker.url,
    keys: [ops, cdr],
    protocolVersion,
    handlers: ({ router }) => [
      createAgentInfoCommand({
        agentId: 'pbx-cli',
        version: '0.0.1',
        bootId: 'b',
        startedAt: 0,
        ami: { dialect: undefined },
        capabilities: () => router().capabilities,
      }),
      createPeersListCommand({ list: () => peers }),
      ...testHandlers({ sleeps: 0, aborted: 0 }),
    ],
  });
}

/** Writes the key's PEM into the rig's state dir and runs `pbxctl send AGENT CMD …` to completion. */
function send(rig: Rig, key: TestKey, cmd: string, extra: string[] = []) {
  const keyFile = join(rig.stateDir, `${key.kid}.pem`);
  writeFileSync(keyFile, key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
  return procs.runNode(
    [
      pbxctl.file,
      'send',
      rig.agent,
      cmd,
      '--broker',
      broker.url,
      '--key',
      keyFile,
      '--kid',
      key.kid,
      '-t',
      '10',
      ...extra,
    ],
    { timeoutMs: 20_000 },
  );
}

describe.each([5, 4] as const)('pbxctl against the router, agent link MQTT %s', (version) => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await rigFor(version);
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('agent.info prints the result and exits 0', async () => {
    const r = await send(rig, ops, 'agent.info', version === 4 ? ['--mqtt3'] : []);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      agent: 'pbx-cli',
      caller: { kid: 'ops-1', scopes: ['read'] },
    });
  });

  it('peers.list prints each part, then done', async () => {
    const r = await send(rig, ops, 'peers.list', ['--raw']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.part ?? (l.done ? 'done' : '?'))).toEqual([1, 'done']);
    expect(lines[0].data.peers.map((p: { name: string }) => p.name)).toEqual(['700', '701', '702']);
  });

  it('forbidden and invalid_args exit 1 with the code on stderr', async () => {
    const f = await send(rig, cdr, 'agent.info');
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/forbidden/);
    const a = await send(rig, ops, 'test.sleep', ['--arg', 'ms=soon']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/invalid_args/);
    expect(a.stderr).toMatch(/ms/);
  });
});
