/**
 * The read commands end to end: the AMI simulator feeds the real PeerState/CallState, the router serves
 * peers.list, calls.list, agent.info and agent.refresh over a real Mosquitto, and the consumer is the protocol's
 * own client (sendCommand), so parts are reassembled exactly as pbxctl does.
 */
import { Value } from '@sinclair/typebox/value';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentInfoCommand } from '../../agent/src/commands/agent-info';
import { createAgentRefreshCommand, isStateName } from '../../agent/src/commands/agent-refresh';
import { createCallsListCommand } from '../../agent/src/commands/calls';
import { createPeersListCommand } from '../../agent/src/commands/peers';
import { Bus } from '../../agent/src/core/bus';
import { systemClock } from '../../agent/src/core/clock';
import type { AgentEvents, ModuleContext } from '../../agent/src/core/module';
import { Scheduler } from '../../agent/src/core/scheduler';
import { AmiTcpClient } from '../../agent/src/pbx/ami/client';
import { CallState } from '../../agent/src/state/calls';
import { PeerState } from '../../agent/src/state/peers';
import type { OkReply } from '../../protocol/src/client/replies';
import { sendCommand } from '../../protocol/src/client/send';
import { AgentInfoResult } from '../../protocol/src/schemas/agent-info';
import { CallsListPart } from '../../protocol/src/schemas/calls';
import { PeersListPart } from '../../protocol/src/schemas/peers';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { type AmiSimulator, startAmiSimulator } from '../sim/server';
import { type Rig, startRig, testKey } from '../unit/router/harness';

const ops = testKey('ops-1', ['read']);
let broker: MosquittoBroker;
let sim: AmiSimulator;
let ami: AmiTcpClient;
let pub: RecordingPublisher;
let peers: PeerState;
let calls: CallState;
let bus: Bus<AgentEvents>;
let rig: Rig;
let client: MqttClient;

beforeAll(async () => {
  broker = await startMosquitto();
  sim = await startAmiSimulator({ dialect: '13', speed: 0 });
  const log = pino({ level: 'silent' });
  ami = new AmiTcpClient({
    host: '127.0.0.1',
    port: sim.port,
    username: 'admin',
    secret: 'amp111',
    clock: systemClock,
    log,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  pub = new RecordingPublisher();
  bus = new Bus<AgentEvents>();
  const ctx: ModuleContext = {
    log,
    clock: systemClock,
    scheduler: new Scheduler(log),
    bus,
    publisher: pub,
    ami,
  };
  peers = new PeerState({ snapshotIntervalMs: 20 });
  calls = new CallState({ snapshotIntervalMs: 20 });
  peers.start(ctx);
  calls.start(ctx);
  ami.start();
  await ami.waitReady(5000);
  await pub.waitFor(() => !!pub.lastState('peers') && !!pub.lastState('calls'), 5000, 'first snapshots');
  rig = await startRig({
    url: broker.url,
    keys: [ops],
    handlers: ({ router }) => [
      createAgentInfoCommand({
        agentId: 'pbx-sim',
        version: '1.2.3',
        bootId: 'boot-sim',
        startedAt: Date.now(),
        ami,
        capabilities: () => router().capabilities,
      }),
      createAgentRefreshCommand({ bus, snapshots: () => [peers.name, calls.name].filter(isStateName) }),
      createPeersListCommand(peers),
      createCallsListCommand(calls),
    ],
  });
  client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
});
afterAll(async () => {
  await client?.endAsync(true);
  await rig?.close();
  peers?.stop();
  calls?.stop();
  await ami?.stop();
  await sim?.close();
  await broker?.close();
});

const count = (name: string) => pub.states.filter((s) => s.name === name).length;

async function send(cmd: string): Promise<OkReply[]> {
  const replies = await sendCommand(client, rig.agent, cmd, {}, { kid: ops.kid, privateKey: ops.privateKey });
  const out: OkReply[] = [];
  for await (const r of replies) out.push(r);
  return out;
}

describe('read commands against the simulator', () => {
  it('peers.list returns the PBX peers of the live table, in valid parts, done with the count', async () => {
    const replies = await send('peers.list');
    const parts = replies.filter((r) => 'part' in r);
    for (const p of parts) expect(Value.Check(PeersListPart, p.data)).toBe(true);
    const listed = parts.flatMap((p) => (p.data as { peers: { name: string }[] }).peers);
    expect(listed).toEqual(peers.list());
    expect(listed.map((p) => p.name)).toEqual(expect.arrayContaining(['100', '102', 'mytrunk']));
    expect(replies.at(-1)).toMatchObject({ done: true, data: { count: listed.length } });
  });

  it('calls.list shows a call that is up now, refreshed from CoreShowChannels', async () => {
    expect((await send('calls.list')).at(-1)).toMatchObject({ done: true, data: { count: 0 } });
    const ch = sim.calls.newChannel({
      peer: '100',
      callerNum: '100',
      callerName: 'Alice',
      context: 'from-internal',
      exten: '102',
    });
    sim.calls.setState(ch, 6);
    await pub.waitFor(() => calls.list().length === 1, 5000, 'call tracked');
    const replies = await send('calls.list');
    const parts = replies.filter((r) => 'part' in r);
    for (const p of parts) expect(Value.Check(CallsListPart, p.data)).toBe(true);
    const listed = parts.flatMap((p) => (p.data as { calls: unknown[] }).calls);
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed[0])).toContain(ch.name);
    expect(replies.at(-1)).toMatchObject({ done: true, data: { count: 1 } });
    expect(sim.actionsReceived.some((a) => a.action.toLowerCase() === 'coreshowchannels')).toBe(true);
    sim.calls.hangup(ch, 16);
  });

  it('agent.info reports the dialect the AMI client detected', async () => {
    const [r] = await send('agent.info');
    expect(Value.Check(AgentInfoResult, r!.data)).toBe(true);
    expect(r!.data).toMatchObject({
      agent: 'pbx-sim',
      capabilities: ['agent.info', 'agent.refresh', 'peers.list', 'calls.list'],
      pbx: { dialect: '13', chan_sip: true },
      caller: { kid: 'ops-1', scopes: ['read'] },
    });
  });

  it('agent.refresh makes every snapshot owner republish now', async () => {
    const before = { peers: count('peers'), calls: count('calls') };
    const [r] = await send('agent.refresh');
    expect(r!.data).toEqual({ republished: ['peers', 'calls'] });
    await pub.waitFor(
      () => count('peers') > before.peers && count('calls') > before.calls,
      2000,
      'republished snapshots',
    );
  });
});
