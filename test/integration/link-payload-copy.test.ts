/**
 * The session keeps each QoS 1 PUBLISH for retransmission without a copy of its payload (mqtt.js 5.16 deep-copies
 * it in `_storeAndSend`; storeWithoutPayloadCopy in session-options.ts): the Buffer the caller published is the one
 * in mqtt.js's outgoing store, the broker still gets the bytes, and topic-alias packets keep mqtt.js's own path.
 */
import mqtt, { type MqttClient, type Packet } from 'mqtt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../agent/src/core/clock';
import { MqttSession } from '../../agent/src/link/session';
import { storeWithoutPayloadCopy } from '../../agent/src/link/session-options';
import { agentTopics } from '../../protocol/src/topics';
import { startMosquitto } from '../helpers/mosquitto';
import { testAgentId, until } from '../unit/link/harness';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Records every packet mqtt.js puts in `client`'s outgoing store. */
function spyStore(client: MqttClient): Packet[] {
  const stored: Packet[] = [];
  const store = client.outgoingStore;
  const put = store.put.bind(store);
  store.put = (packet: Packet, cb: (err?: Error) => void) => {
    stored.push(packet);
    return put(packet, cb);
  };
  return stored;
}

async function subscriber(url: string, filter: string): Promise<{ got: Buffer[] }> {
  const sub = await mqtt.connectAsync(url, { protocolVersion: 5, clean: true, reconnectPeriod: 0 });
  cleanups.push(() => sub.endAsync(true));
  const got: Buffer[] = [];
  sub.on('message', (_t, p) => got.push(p));
  await sub.subscribeAsync(filter, { qos: 1 });
  return { got };
}

describe('QoS 1 payloads are stored, not copied', () => {
  it('MqttSession.publish: the Buffer in the outgoing store is the published one, and the broker gets the bytes', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const agent = testAgentId();
    const topics = agentTopics('pbxlink/v1', agent);
    const { got } = await subscriber(broker.url, `pbxlink/v1/${agent}/blob/t1/+`);
    const session = new MqttSession({
      url: broker.url,
      topics,
      bootId: 'b1',
      birth: () => ({ version: '0', started_at: new Date().toISOString(), capabilities: [], pbx: {} }),
      clock: systemClock,
      log: pino({ level: 'silent' }),
    });
    cleanups.push(() => session.stop());
    session.start();
    await until(() => session.connected, 5000, 'connected');
    // The live mqtt.js client is private to the session; reached here only to watch its store.
    const client = (session as unknown as { client: MqttClient }).client;
    const stored = spyStore(client);
    const chunk = Buffer.alloc(64 * 1024, 7);
    await session.publish(topics.blob('t1', 0), chunk);
    const publishes = stored.filter((p) => p.cmd === 'publish');
    expect(publishes).toHaveLength(1);
    expect((publishes[0] as { payload: Buffer }).payload).toBe(chunk);
    await until(() => got.length === 1, 5000, 'chunk delivered');
    expect(got[0]!.equals(chunk)).toBe(true);
  });

  it('a packet with a topic alias still goes through mqtt.js own path (its stored copy has the topic back)', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const { got } = await subscriber(broker.url, 'alias/#');
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 0,
      properties: { topicAliasMaximum: 10 },
    });
    cleanups.push(() => client.endAsync(true));
    expect(storeWithoutPayloadCopy(client)).toBe(true);
    const stored = spyStore(client);
    const plain = Buffer.from('plain');
    const aliased = Buffer.from('aliased');
    await client.publishAsync('alias/a', plain, { qos: 1 });
    await client.publishAsync('alias/b', aliased, { qos: 1, properties: { topicAlias: 1 } });
    const [p1, p2] = stored.filter((p) => p.cmd === 'publish') as { payload: Buffer; topic: string }[];
    expect(p1!.payload).toBe(plain);
    expect(p2!.payload).not.toBe(aliased);
    expect(p2!.payload.equals(aliased)).toBe(true);
    expect(p2!.topic).toBe('alias/b');
    await until(() => got.length === 2, 5000, 'both delivered');
    expect(got.map(String)).toEqual(['plain', 'aliased']);
  });
});
