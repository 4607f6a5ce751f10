/**
 * The agent process answering signed commands sent with pbxctl (dist/pbxctl.js) through a real Mosquitto, with the
 * AMI simulator and MariaDB behind it: the read commands, a forbidden scope, a redelivery across an agent restart,
 * the audit trail in the state dir, and the audit events a consumer sees.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../agent/src/link/audit';
import { signCommand } from '../../protocol/src/signing';
import {
  type Consumer,
  connectConsumer,
  pbxctlArgv,
  startTestPbx,
  type TestPbx,
} from '../helpers/agent-harness';
import { useProcesses } from '../helpers/process';

const procs = useProcesses();
let pbx: TestPbx;
let consumer: Consumer;

beforeAll(async () => {
  pbx = await startTestPbx({ dialect: '13' });
  consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
  await pbx.startAgent();
  await consumer.waitFor(
    () => consumer.on('/status').some((s) => s.payload.online === true),
    15_000,
    'birth',
  );
  await consumer.waitFor(() => consumer.on('/state/peers').length > 0, 15_000, 'peers loaded');
});
afterAll(async () => {
  await consumer?.close();
  await pbx?.close();
});

/** `pbxctl send AGENT CMD ARGS…` with the test key; returns exit code and output. */
function pbxctl(cmd: string, extra: string[] = []) {
  return procs.runNode(pbxctlArgv(pbx, ['send'], extra, { positional: [cmd], timeoutS: 15 }), {
    timeoutMs: 30_000,
  });
}

describe('commands to the agent process', () => {
  it('pbxctl send agent.info: version, capabilities, dialect, the caller — no credential', async () => {
    const r = await pbxctl('agent.info');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.agent).toBe(pbx.agentId);
    expect(info.capabilities).toEqual(
      expect.arrayContaining(['agent.info', 'agent.refresh', 'peers.list', 'calls.list', 'system.resources']),
    );
    expect(info.pbx.dialect).toBe('13');
    expect(info.caller).toEqual({ kid: pbx.key.kid, scopes: ['admin'] });
    expect(r.stdout).not.toMatch(/amp111|password|secret/i);
    const birth = consumer.on('/status').find((s) => s.payload.online)!.payload;
    expect(birth.capabilities).toEqual(info.capabilities);
  });

  it('pbxctl send peers.list prints parts then done with the count', async () => {
    const r = await pbxctl('peers.list', ['--raw']);
    expect(r.code).toBe(0);
    const replies = r.stdout.split('\n').map((l) => JSON.parse(l));
    const peers = replies.filter((x) => x.part !== undefined).flatMap((x) => x.data.peers);
    expect(peers.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['100', '102']));
    expect(replies.at(-1)).toMatchObject({ ok: true, done: true, data: { count: peers.length } });
  });

  it('pbxctl send calls.list and agent.refresh answer', async () => {
    const calls = await pbxctl('calls.list', ['--raw']);
    expect(calls.code).toBe(0);
    expect(JSON.parse(calls.stdout.split('\n').at(-1)!)).toMatchObject({ done: true, data: { count: 0 } });
    const before = consumer.on('/state/peers').length;
    const refresh = await pbxctl('agent.refresh');
    expect(refresh.code).toBe(0);
    expect(JSON.parse(refresh.stdout).republished).toEqual(
      expect.arrayContaining(['peers', 'calls', 'health']),
    );
    await consumer.waitFor(() => consumer.on('/state/peers').length > before, 5000, 'peers republished');
  });

  it('bad args exit 1 with invalid_args naming the argument', async () => {
    const r = await pbxctl('cdr.query', ['--arg', 'limit:=-5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid_args/);
    expect(r.stderr).toMatch(/limit/);
  });

  it('a redelivered token after an agent restart gets the first reply, and is audited in a verifying chain', async () => {
    const client = await mqtt.connectAsync(pbx.broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const base = `${pbx.prefix}/${pbx.agentId}`;
    const jti = randomUUID();
    const replyTopic = `${base}/reply/e2e-${jti}`;
    const token = signCommand(
      { aud: pbx.agentId, jti, cmd: 'agent.info', args: {}, reply_to: replyTopic },
      { kid: pbx.key.kid, privateKey: pbx.key.privateKey, lifetimeS: 300 },
    );
    const got: string[] = [];
    client.on('message', (t, p) => {
      if (t === replyTopic) got.push(p.toString());
    });
    await client.subscribeAsync(replyTopic, { qos: 1 });
    await client.publishAsync(`${base}/cmd`, token, { qos: 1 });
    await consumer.waitFor(() => got.length === 1, 10_000, 'first reply');
    await pbx.agent!.stop('SIGTERM', 10_000);
    await pbx.startAgent();
    await client.publishAsync(`${base}/cmd`, token, { qos: 1 });
    const deadline = Date.now() + 15_000;
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(2);
    expect(got[1]).toBe(got[0]);
    await client.endAsync(true);
    await consumer.waitFor(
      () => consumer.on('/events/audit').filter((e) => e.payload.data.jti === jti).length === 2,
      10_000,
      'two audit events',
    );
    const audits = consumer.on('/events/audit').filter((e) => e.payload.data.jti === jti);
    expect(audits.map((e) => e.payload.data.message ?? 'first')).toEqual([
      'first',
      'redelivery: first reply sent again',
    ]);
    expect(verifyAuditLog(join(pbx.stateDir, 'audit'))).toMatchObject({ ok: true, problems: [] });
  });
});
