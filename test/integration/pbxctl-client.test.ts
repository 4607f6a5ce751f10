import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CommandFailedError,
  isReplyTimeout,
  type OkReply,
  PbxlinkClient,
} from '../../protocol/src/client/index';
import { doneReply, errorReply, okReply, partReply } from '../../protocol/src/envelope';
import { generateKeyPair } from '../../protocol/src/signing';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { type Answer, type FakeAgent, startFakeAgent } from './pbxctl-helpers';

// The consumer library under pbxctl, in-process against a real Mosquitto and a fake verifying agent.
describe('consumer client (protocol/src/client)', () => {
  let broker: MosquittoBroker;
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  const open: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    ({ privateKey, publicKey } = generateKeyPair());
  });
  afterAll(async () => {
    await Promise.all(open.map((o) => o.close()));
    await broker?.close();
  });

  async function setup(agentId: string, answer: Answer, version: 4 | 5 = 5) {
    const agent: FakeAgent = await startFakeAgent(broker.url, agentId, 'k1', publicKey, answer, {
      protocolVersion: version,
    });
    const client = await PbxlinkClient.connect({ url: broker.url, protocolVersion: version });
    open.push(agent, client);
    return { agent, client };
  }

  async function collect(it: AsyncIterable<OkReply>): Promise<OkReply[]> {
    const out: OkReply[] = [];
    for await (const r of it) out.push(r);
    return out;
  }

  it('ignores foreign ids, garbage and redelivered parts, and ends on done', async () => {
    const { client } = await setup('c-dup', (c) => {
      const j = c.claims.jti;
      return [
        JSON.stringify(partReply('someone-else', 1, { x: 0 })),
        partReply(j, 1, { x: 1 }),
        partReply(j, 1, { x: 1 }),
        'not json at all',
        partReply(j, 2, { x: 2 }),
        doneReply(j, { count: 2 }),
        partReply(j, 3, { x: 'after done' }),
      ];
    });
    const replies = await client.sendCommand('c-dup', 'cdr.query', {}, { kid: 'k1', privateKey });
    const got = await collect(replies);
    expect(got.map((r) => ('part' in r ? `part ${r.part}` : 'done' in r ? 'done' : 'single'))).toEqual([
      'part 1',
      'part 2',
      'done',
    ]);
    expect(got.every((r) => r.id === replies.jti)).toBe(true);
  });

  it('throws an error reply as CommandFailedError with its code and details', async () => {
    const { client } = await setup('c-err', (c) => [
      errorReply(c.claims.jti, 'not_found', 'no such extension', { account: '999' }),
    ]);
    const replies = await client.sendCommand(
      'c-err',
      'extensions.get',
      { account: '999' },
      { kid: 'k1', privateKey },
    );
    const err = await collect(replies).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect(err).toMatchObject({
      code: 'not_found',
      message: 'no such extension',
      details: { account: '999' },
    });
  });

  it('times out with the documented message when nobody answers', async () => {
    const client = await PbxlinkClient.connect({ url: broker.url });
    open.push(client);
    const replies = await client.sendCommand(
      'c-none',
      'agent.info',
      {},
      { kid: 'k1', privateKey, timeoutMs: 500 },
    );
    const err = await collect(replies).catch((e: unknown) => e);
    expect(isReplyTimeout(err)).toBe(true);
    expect((err as Error).message).toBe(
      'no reply from c-none within 0.5 s: is it online? see `pbxctl tail c-none status`',
    );
  });

  it('says how far it got when a long result stops mid-way', async () => {
    const { client } = await setup('c-stall', (c) => [partReply(c.claims.jti, 1, { x: 1 })]);
    const replies = await client.sendCommand(
      'c-stall',
      'cdr.query',
      {},
      { kid: 'k1', privateKey, timeoutMs: 700 },
    );
    const seen: OkReply[] = [];
    const err = await (async () => {
      for await (const r of replies) seen.push(r);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect((err as Error).message).toBe(
      'reply from c-stall stopped after 1 part(s): nothing more within 0.7 s',
    );
  });

  it('works over MQTT 3.1.1: the agent answers on the signed reply_to', async () => {
    const { client, agent } = await setup('c-v4', (c) => [okReply(c.claims.jti, { v4: true })], 4);
    const got = await collect(await client.sendCommand('c-v4', 'agent.info', {}, { kid: 'k1', privateKey }));
    expect(got).toEqual([{ v: 1, id: expect.any(String), ok: true, data: { v4: true } }]);
    expect(agent.received[0]?.responseTopic).toBeUndefined();
    expect(agent.received[0]?.cmd.claims.reply_to).toMatch(/^pbxlink\/v1\/c-v4\/reply\//);
  });

  it('signs with the requested lifetime and refuses one over 300 s', async () => {
    const { client, agent } = await setup('c-ttl', (c) => [okReply(c.claims.jti, {})]);
    await collect(
      await client.sendCommand('c-ttl', 'agent.info', {}, { kid: 'k1', privateKey, lifetimeS: 300 }),
    );
    const claims = agent.received[0]!.cmd.claims;
    expect(claims.exp - claims.iat).toBe(300);
    await expect(
      client.sendCommand('c-ttl', 'agent.info', {}, { kid: 'k1', privateKey, lifetimeS: 301 }),
    ).rejects.toMatchObject({
      code: 'invalid_args',
    });
    await expect(
      client.sendCommand('bad/agent', 'agent.info', {}, { kid: 'k1', privateKey }),
    ).rejects.toMatchObject({
      code: 'invalid_args',
    });
  });

  it('fails with unavailable, not a silent end, when the broker goes away while waiting', async () => {
    const own = await startMosquitto();
    try {
      const client = await PbxlinkClient.connect({ url: own.url });
      const replies = await client.sendCommand(
        'c-gone',
        'agent.info',
        {},
        { kid: 'k1', privateKey, timeoutMs: 20_000 },
      );
      const pending = collect(replies).catch((e: unknown) => e);
      await own.stop();
      const err = await pending;
      expect(err).toMatchObject({
        code: 'unavailable',
        message: 'lost the connection to the broker while waiting for replies from c-gone',
      });
      await client.close();
    } finally {
      await own.close();
    }
  });

  it('tail("+") follows events of every agent, with topics parsed', async () => {
    const client = await PbxlinkClient.connect({ url: broker.url });
    open.push(client);
    const sub = await client.tail('+', 'events');
    const env = (agent: string, seq: number) =>
      JSON.stringify({
        v: 1,
        agent,
        boot_id: 'b',
        seq,
        ts: new Date().toISOString(),
        type: 'cdr.new',
        data: {},
      });
    await client.mqtt.publishAsync('pbxlink/v1/t-a/events/cdr.new', env('t-a', 1), { qos: 1 });
    await client.mqtt.publishAsync('pbxlink/v1/t-b/status', '{}', { qos: 1 });
    await client.mqtt.publishAsync('pbxlink/v1/t-b/events/cdr.new', env('t-b', 2), { qos: 1 });
    const seen: string[] = [];
    for await (const m of sub) {
      seen.push(`${m.parsed?.agent} ${m.parsed?.kind} ${(m.json as { seq: number }).seq}`);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['t-a event 1', 't-b event 2']);
  });
});
