/** The router's behaviour through a real Mosquitto: redelivery, restart, busy, timeout, key reload, reply routing, parts. */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentInfoCommand } from '../../agent/src/commands/agent-info';
import { createPeersListCommand } from '../../agent/src/commands/peers';
import { publishPacketSize } from '../../agent/src/link/packet-size';
import type { Peer } from '../../agent/src/state/peer-model';
import { AgentInfoResult } from '../../protocol/src/schemas/agent-info';
import { Peer as PeerSchema } from '../../protocol/src/schemas/peers';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { until } from '../unit/link/harness';
import {
  keysFileText,
  type Rig,
  type SeenMsg,
  startRig,
  testHandlers,
  testKey,
} from '../unit/router/harness';

const MAX_PACKET = 16 * 1024;
/** Size of the PUBLISH packet the agent sent for a reply (QoS 1, MQTT 5, no properties). */
const packet = (m: SeenMsg) => publishPacketSize(m.topic, m.bytes, { qos: 1, protocolVersion: 5 });
let broker: MosquittoBroker;
let rig: Rig;
const ops = testKey('ops-1', ['read', 'cdr:read']);
const admin = testKey('admin-1', ['admin']);
const late = testKey('late-1', ['read']);
const counter = { sleeps: 0, aborted: 0 };
let peers: Peer[] = [];

const peer = (i: number): Peer => ({
  name: String(1000 + i),
  channel_type: 'SIP',
  trunk: false,
  ip_address: `10.0.${Math.floor(i / 250)}.${i % 250}`,
  ip_port: 5060,
  dynamic: true,
  status: 'ok',
  status_text: `OK (${i % 90} ms)`,
  latency_ms: i % 90,
  description: `Extension ${i} with a fairly long description to fill bytes`,
  device_state: null,
  contacts: [],
  forcerport: true,
  comedia: true,
  acl: false,
  video_support: false,
  text_support: false,
  realtime: false,
});

beforeAll(async () => {
  broker = await startMosquitto({ maxPacketSize: MAX_PACKET });
  rig = await startRig({
    url: broker.url,
    keys: [ops, admin],
    router: { concurrency: 2 },
    handlers: ({ router }) => [
      createAgentInfoCommand({
        agentId: 'pbx-test',
        version: '9.9.9',
        bootId: 'boot-1',
        startedAt: Date.parse('2026-01-02T03:04:05Z'),
        ami: {
          dialect: {
            amiVersion: '2.10.6',
            asteriskVersion: '13.38.3',
            major: 13,
            commandFormat: 'follows',
            chanSip: true,
            pjsip: true,
          },
        },
        capabilities: () => router().capabilities,
      }),
      createPeersListCommand({ list: () => peers }),
      ...testHandlers(counter),
    ],
  });
});
afterAll(async () => {
  await rig?.close();
  await broker?.close();
});

describe('replies', () => {
  it('agent.info: valid result, capabilities = registered commands, caller kid and scopes, no credential', async () => {
    const [r] = await rig.run(ops, 'agent.info');
    const data = r!.json.data;
    expect(Value.Check(AgentInfoResult, data)).toBe(true);
    expect(data.capabilities).toEqual(['agent.info', 'peers.list', 'test.sleep', 'test.throw', 'test.big']);
    expect(data.caller).toEqual({ kid: 'ops-1', scopes: ['read', 'cdr:read'] });
    expect(data.pbx).toMatchObject({ dialect: '13', asterisk_version: '13.38.3', chan_sip: true });
    expect(JSON.stringify(data)).not.toMatch(/secret|password|PRIVATE/i);
  });

  it('goes to the MQTT 5 Response Topic with the Correlation Data echoed, before reply_to', async () => {
    const jti = randomUUID();
    const topic = `${rig.base}/reply/rt/${jti}`;
    const from = rig.seen.length;
    await rig.publish(rig.sign(ops, { cmd: 'agent.info', jti }), {
      properties: { responseTopic: topic, correlationData: Buffer.from(`corr-${jti}`) },
    });
    const [r] = await rig.replies(jti, from);
    expect(r!.topic).toBe(topic);
    expect(r!.correlationData?.toString()).toBe(`corr-${jti}`);
  });

  it('peers.list streams parts within the broker maximum packet size, then done with the count', async () => {
    peers = Array.from({ length: 400 }, (_, i) => peer(i));
    const replies = await rig.run(admin, 'peers.list');
    const parts = replies.filter((m) => m.json.part !== undefined);
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.map((p) => p.json.part)).toEqual(parts.map((_, i) => i + 1));
    for (const p of parts) expect(packet(p)).toBeLessThanOrEqual(MAX_PACKET);
    expect(Math.max(...parts.map(packet))).toBeGreaterThan(MAX_PACKET - 2000);
    const got = parts.flatMap((p) => p.json.data.peers);
    expect(got).toEqual(peers);
    for (const p of got.slice(0, 3)) expect(Value.Check(PeerSchema, p)).toBe(true);
    expect(replies.at(-1)!.json).toEqual({
      v: 1,
      id: replies[0]!.json.id,
      ok: true,
      done: true,
      data: { count: 400 },
    });
  });

  it('an empty peers.list is one empty part and done {count: 0}', async () => {
    peers = [];
    const replies = await rig.run(ops, 'peers.list');
    expect(replies.map((m) => m.json.data)).toEqual([{ peers: [] }, { count: 0 }]);
  });
});

describe('size limit', () => {
  it('no reply exceeds the maximum packet size: a part filling ctx.maxPayloadBytes exactly fits', async () => {
    const replies = await rig.run(ops, 'test.big', { mode: 'fill' });
    expect(replies.map((m) => m.json.ok)).toEqual([true, true]);
    // The announced room is exact up to the digits of the part number (room is kept for part 999999999).
    expect(packet(replies[0]!)).toBeLessThanOrEqual(MAX_PACKET);
    expect(packet(replies[0]!)).toBeGreaterThan(MAX_PACKET - 16);
    expect(replies[0]!.json.data).toHaveLength(replies[1]!.json.data.max - 2);
  });

  it('a result too large for one message is internal; so is a part too large', async () => {
    const [r] = await rig.run(ops, 'test.big', { mode: 'result' });
    expect(r!.json.error).toEqual({
      code: 'internal',
      message: 'the result is too large for one message',
      details: {},
    });
    const [p] = await rig.run(ops, 'test.big', { mode: 'part' });
    expect(p!.json.error.code).toBe('internal');
    expect(p!.json.error.message).toMatch(/exceeds the maximum packet size/);
  });
});

describe('redelivery', () => {
  it('the same token again gets the same replies and runs once', async () => {
    peers = Array.from({ length: 60 }, (_, i) => peer(i));
    const jti = randomUUID();
    const token = rig.sign(ops, { cmd: 'peers.list', jti });
    const before = rig.router.stats().executed;
    let from = rig.seen.length;
    await rig.publish(token);
    const first = await rig.replies(jti, from);
    from = rig.seen.length;
    await rig.publish(token);
    const second = await rig.replies(jti, from);
    expect(second.map((m) => m.json)).toEqual(first.map((m) => m.json));
    expect(rig.router.stats().executed - before).toBe(1);
    // The audit record follows the replies.
    await until(() => rig.audits().filter((a) => a.jti === jti).length === 2, 5000, 'two audit events');
    expect(
      rig
        .audits()
        .filter((a) => a.jti === jti)
        .map((a) => a.message ?? 'first'),
    ).toEqual(['first', 'redelivery: first reply sent again']);
  });

  it('a redelivery while the first run is still going waits for it, and it runs once', async () => {
    const jti = randomUUID();
    const token = rig.sign(ops, { cmd: 'test.sleep', args: { ms: 300 }, jti });
    const sleeps = counter.sleeps;
    const from = rig.seen.length;
    await rig.publish(token);
    await rig.publish(token);
    await until(
      () => rig.seen.slice(from).filter((m) => m.json?.id === jti).length === 2,
      5000,
      'two replies',
    );
    const replies = rig.seen.slice(from).filter((m) => m.json?.id === jti);
    expect(replies.map((m) => m.json.data)).toEqual([{ slept: 300 }, { slept: 300 }]);
    expect(counter.sleeps - sleeps).toBe(1);
  });

  it('an error reply is cached too: a redelivered forbidden command gets the same error', async () => {
    const jti = randomUUID();
    const weak = testKey('weak-1', ['cdr:read']);
    writeFileSync(rig.keysFile, keysFileText([ops, admin, weak]));
    await until(() => rig.store.resolve('weak-1') !== undefined, 5000, 'weak key loaded');
    const token = rig.sign(weak, { cmd: 'agent.info', jti });
    let from = rig.seen.length;
    await rig.publish(token);
    const [a] = await rig.replies(jti, from);
    from = rig.seen.length;
    await rig.publish(token);
    const [b] = await rig.replies(jti, from);
    expect(a!.json.error.code).toBe('forbidden');
    expect(b!.json).toEqual(a!.json);
  });

  it('survives a restart: the cached reply comes back and nothing runs again', async () => {
    const jti = randomUUID();
    const token = rig.sign(ops, { cmd: 'test.sleep', args: { ms: 5 }, jti });
    let from = rig.seen.length;
    await rig.publish(token);
    const first = await rig.replies(jti, from);
    await rig.restart();
    expect(rig.replay.lookup(jti)?.outcome).toBe('ok');
    from = rig.seen.length;
    await rig.publish(token);
    const again = await rig.replies(jti, from);
    expect(again.map((m) => m.json)).toEqual(first.map((m) => m.json));
    expect(rig.router.stats().executed).toBe(0);
    // A different token with that jti is still refused after the restart.
    from = rig.seen.length;
    await rig.publish(rig.sign(ops, { cmd: 'agent.info', jti }));
    expect((await rig.replies(jti, from))[0]!.json.error.code).toBe('replayed');
  });
});

describe('limits', () => {
  it('beyond the concurrency limit a command gets busy', async () => {
    const jtis = [randomUUID(), randomUUID(), randomUUID()];
    const from = rig.seen.length;
    for (const jti of jtis) await rig.publish(rig.sign(ops, { cmd: 'test.sleep', args: { ms: 500 }, jti }));
    const results = await Promise.all(jtis.map((j) => rig.replies(j, from)));
    const outcomes = results.map((r) => (r[0]!.json.ok ? 'ok' : r[0]!.json.error.code));
    expect(outcomes).toEqual(['ok', 'ok', 'busy']);
    // Once they finished, there is room again.
    const [r] = await rig.run(ops, 'test.sleep', { ms: 1 });
    expect(r!.json.ok).toBe(true);
  });

  it('a command past its timeout is answered unavailable and its handler is aborted', async () => {
    const aborted = counter.aborted;
    const t0 = Date.now();
    const [r] = await rig.run(ops, 'test.sleep', { ms: 10_000 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r!.json.error).toMatchObject({ code: 'unavailable', details: { timeout_ms: 800 } });
    expect(r!.json.error.message).toMatch(/timed out/);
    await until(() => counter.aborted === aborted + 1, 2000, 'handler aborted');
  });
});

describe('stop', () => {
  it('a command running when the agent stops is aborted and answered unavailable before the link goes', async () => {
    const jti = randomUUID();
    const sleeps = counter.sleeps;
    const from = rig.seen.length;
    await rig.publish(rig.sign(ops, { cmd: 'test.sleep', args: { ms: 700 }, jti }));
    await until(() => counter.sleeps === sleeps + 1, 5000, 'handler started');
    await rig.restart();
    const [r] = await rig.replies(jti, from);
    expect(r!.json.error).toEqual({ code: 'unavailable', message: 'the agent is stopping', details: {} });
  });
});

describe('trusted keys hot reload', () => {
  it('adding a key lets it in, revoking it gives unknown_key, a malformed file keeps the keys', async () => {
    const [before] = await rig.run(late, 'agent.info');
    expect(before!.json.error.code).toBe('unknown_key');
    writeFileSync(rig.keysFile, keysFileText([ops, admin, late]));
    await until(() => rig.store.resolve('late-1') !== undefined, 5000, 'late key loaded');
    const [added] = await rig.run(late, 'agent.info');
    expect(added!.json.ok).toBe(true);
    writeFileSync(rig.keysFile, '[{"kid": "broken", ');
    await new Promise((r) => setTimeout(r, 400));
    const [kept] = await rig.run(late, 'agent.info');
    expect(kept!.json.ok).toBe(true);
    writeFileSync(rig.keysFile, keysFileText([ops, admin]));
    await until(() => rig.store.resolve('late-1') === undefined, 5000, 'late key revoked');
    const [revoked] = await rig.run(late, 'agent.info');
    expect(revoked!.json.error.code).toBe('unknown_key');
  });
});
