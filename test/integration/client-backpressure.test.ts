import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_BUFFERED_MESSAGES, MessageSubscription, PAUSE_AT } from '../../protocol/src/client/subscription';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';

/** A consumer that reads slowly holds few messages: the client stops taking packets from the broker instead. */
describe('consumer subscription backpressure (real Mosquitto)', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ maxQueuedMessages: 100_000 });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  test('a stalled reader buffers about PAUSE_AT messages, then gets every one in order, none dropped', async () => {
    const N = 3000;
    const topic = 'pbxlink/v1/bp/reply/x';
    const consumer = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'bp-consumer' });
    const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'bp-publisher' });
    const sub = await new MessageSubscription(consumer, [topic]).open();
    try {
      const body = 'x'.repeat(1000);
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < N; i++) sends.push(publisher.publishAsync(topic, `${i} ${body}`, { qos: 1 }));
      await Promise.all(sends); // the broker took all of them; the consumer reads nothing yet
      await new Promise((r) => setTimeout(r, 500));
      expect(sub.buffered).toBeGreaterThan(0);
      expect(sub.buffered).toBeLessThanOrEqual(PAUSE_AT + 1); // not N: the rest waits at the broker
      const got: number[] = [];
      for await (const m of sub) {
        got.push(Number(m.payload.toString().split(' ')[0]));
        if (got.length === N) break;
      }
      expect(got).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(sub.dropped).toBe(0);
      expect(N).toBeLessThan(MAX_BUFFERED_MESSAGES); // the safety net never came into play
    } finally {
      await sub.close();
      await consumer.endAsync();
      await publisher.endAsync();
    }
  });

  test('closing a held subscription lets the client go on with other topics', async () => {
    const consumer = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'bp-consumer-2' });
    const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'bp-publisher-2' });
    const held = await new MessageSubscription(consumer, ['bp/held']).open();
    const other = await new MessageSubscription(consumer, ['bp/other']).open();
    try {
      for (let i = 0; i < PAUSE_AT + 10; i++) await publisher.publishAsync('bp/held', String(i), { qos: 1 });
      await publisher.publishAsync('bp/other', 'after', { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect(other.buffered).toBe(0); // behind the held packets
      await held.close();
      const m = await other.next();
      expect(m.value?.payload.toString()).toBe('after');
    } finally {
      await other.close();
      await consumer.endAsync();
      await publisher.endAsync();
    }
  });
});
