/** The link's contract suite, re-run for every transport and protocol version, against a real Mosquitto. */
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../agent/src/link/session';
import { parseEnvelope } from '../../protocol/src/envelope';
import { StatusBirth, StatusWill } from '../../protocol/src/schemas/status';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { freePort } from '../helpers/ports';
import { generateTestPki, type TestPki } from '../helpers/tls';
import { makeLink, startConsumer, tempDir, testAgentId, until } from '../unit/link/harness';

let broker: MosquittoBroker;
let wssUrl: string;
let wssPki: TestPki;
let wssDir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  // The harness has no wss:// listener; add one with its own PKI through extra config lines.
  wssDir = tempDir('pbxlink-wss-');
  wssPki = await generateTestPki(wssDir.dir);
  const wssPort = await freePort();
  wssUrl = `wss://127.0.0.1:${wssPort}`;
  broker = await startMosquitto({
    websockets: true,
    tls: true,
    extraConfig: [
      `listener ${wssPort} 127.0.0.1`,
      'protocol websockets',
      `cafile ${wssPki.caFile}`,
      `certfile ${wssPki.serverCertFile}`,
      `keyfile ${wssPki.serverKeyFile}`,
    ],
  });
});
afterAll(async () => {
  await broker?.close();
  wssDir?.cleanup();
});

interface Variant {
  name: string;
  url: () => string;
  protocolVersion: 4 | 5;
  tls?: () => string;
}
const variants: Variant[] = [
  { name: 'mqtt:// MQTT 5', url: () => broker.url, protocolVersion: 5 },
  { name: 'mqtt:// MQTT 3.1.1', url: () => broker.url, protocolVersion: 4 },
  { name: 'ws:// MQTT 5', url: () => broker.wsUrl!, protocolVersion: 5 },
  {
    name: 'mqtts:// MQTT 5, pinned CA',
    url: () => broker.tlsUrl!,
    protocolVersion: 5,
    tls: () => broker.caFile!,
  },
  { name: 'wss:// MQTT 5, pinned CA', url: () => wssUrl, protocolVersion: 5, tls: () => wssPki.caFile },
  {
    name: 'mqtts:// MQTT 3.1.1, pinned CA',
    url: () => broker.tlsUrl!,
    protocolVersion: 4,
    tls: () => broker.caFile!,
  },
];

describe.each(variants)('link over $name', (v) => {
  const setup = async () => {
    const agent = testAgentId();
    const state = tempDir();
    const consumer = await startConsumer(broker.url, [`pbxlink/v1/${agent}/#`]);
    const { link, publisher } = makeLink({
      url: v.url(),
      stateDir: state.dir,
      agent,
      protocolVersion: v.protocolVersion,
      ...(v.tls ? { ca: readFileSync(v.tls()) } : {}),
    });
    const base = `pbxlink/v1/${agent}`;
    const cleanup = async () => {
      await link.stop();
      await consumer.close();
      state.cleanup();
    };
    return { agent, base, consumer, link, publisher, cleanup };
  };

  it('publishes birth only after the cmd subscription, so a command sent on seeing birth arrives', async () => {
    const t = await setup();
    try {
      const got: IncomingMessage[] = [];
      t.link.onCommand((m) => {
        got.push(m);
      });
      t.link.start();
      const birth = await t.consumer.waitFor(
        (m) => m.topic === `${t.base}/status` && m.json?.online === true,
      );
      expect(birth.json).toMatchObject({
        online: true,
        agent: t.agent,
        boot_id: t.link.bootId,
        version: '0.0.0-test',
      });
      expect(birth.json.capabilities).toEqual(['cdr.query']);
      expect(Value.Check(StatusBirth, birth.json)).toBe(true);
      // A consumer that reacts to birth: the command must not be lost.
      await t.consumer.client.publishAsync(`${t.base}/cmd`, 'header.payload.sig', {
        qos: 1,
        properties: {
          responseTopic: `${t.base}/reply/x1`,
          correlationData: Buffer.from('c1'),
          messageExpiryInterval: 60,
        },
      });
      await until(() => got.length === 1, 5000, 'command delivery');
      expect(got[0]!.payload.toString()).toBe('header.payload.sig');
      if (v.protocolVersion === 5) {
        expect(got[0]!.properties.responseTopic).toBe(`${t.base}/reply/x1`);
        expect(Buffer.from(got[0]!.properties.correlationData!).toString()).toBe('c1');
        expect(got[0]!.properties.messageExpiryInterval).toBeGreaterThan(0);
      }
    } finally {
      await t.cleanup();
    }
  });

  it('publishes snapshots (retained) and events as envelopes with seq growing by one', async () => {
    const t = await setup();
    try {
      t.link.start();
      await until(() => t.link.connected, 5000, 'connected');
      t.publisher.publishState('peers', { peers: [{ name: '1001' }] });
      t.publisher.publishEvent('peer.status', { peer: '1001', status: 'Reachable' });
      t.publisher.publishEvent('call.started', { call_id: 'c1' });
      const env = await t.consumer.waitCount(
        (m) => m.topic.includes('/state/') || m.topic.includes('/events/'),
        3,
      );
      const parsed = env.map((m) => parseEnvelope(m.payload));
      expect(parsed.every((p) => p !== null)).toBe(true);
      expect(parsed.map((p) => p!.type)).toEqual(['state.peers', 'peer.status', 'call.started']);
      expect(env.map((m) => m.topic)).toEqual([
        `${t.base}/state/peers`,
        `${t.base}/events/peer.status`,
        `${t.base}/events/call.started`,
      ]);
      const seqs = parsed.map((p) => p!.seq);
      expect(seqs[1]).toBe(seqs[0]! + 1);
      expect(seqs[2]).toBe(seqs[0]! + 2);
      expect(parsed[0]).toMatchObject({
        v: 1,
        agent: t.agent,
        boot_id: t.link.bootId,
        data: { peers: [{ name: '1001' }] },
      });
      // A consumer arriving later gets the snapshot retained, and no event.
      const late = await startConsumer(broker.url, [`${t.base}/state/+`, `${t.base}/events/+`]);
      try {
        const snap = await late.waitFor((m) => m.topic === `${t.base}/state/peers`);
        expect(snap.retain).toBe(true);
        await new Promise((r) => setTimeout(r, 200));
        expect(late.seen.filter((m) => m.topic.includes('/events/'))).toEqual([]);
      } finally {
        await late.close();
      }
    } finally {
      await t.cleanup();
    }
  });

  it('publishes online:false reason "stopped" (retained) on a clean stop', async () => {
    const t = await setup();
    try {
      t.link.start();
      await until(() => t.link.connected, 5000, 'connected');
      const from = t.consumer.seen.length;
      await t.link.stop();
      const off = await t.consumer.waitFor((m) => m.topic === `${t.base}/status`, 5000, from);
      expect(off.json).toEqual({ online: false, agent: t.agent, boot_id: t.link.bootId, reason: 'stopped' });
      expect(Value.Check(StatusWill, off.json)).toBe(true);
      const late = await startConsumer(broker.url, [`${t.base}/status`]);
      try {
        const retained = await late.waitFor(() => true);
        expect(retained.retain).toBe(true);
        expect(retained.json.reason).toBe('stopped');
      } finally {
        await late.close();
      }
    } finally {
      await t.cleanup();
    }
  });

  it('refuses a message above maxPacketBytes with an error the caller sees, and sends nothing', async () => {
    const t = await setup();
    try {
      t.link.start();
      await until(() => t.link.connected, 5000, 'connected');
      const max = t.link.maxPacketBytes;
      expect(max).toBe(96_000); // DESIGN.md's 96 KB, under both readings of a KB
      const from = t.consumer.seen.length;
      await expect(t.publisher.publishReply(`${t.base}/reply/r1`, Buffer.alloc(max))).rejects.toMatchObject({
        code: 'invalid_args',
      });
      await expect(t.publisher.publishBlob('tx1', 0, Buffer.alloc(max - 10))).rejects.toMatchObject({
        code: 'invalid_args',
      });
      t.publisher.publishEvent('cdr.new', { pad: 'x'.repeat(max) });
      expect(t.link.stats().oversize).toBe(1);
      // One that fits goes through, and nothing of the refused ones was sent.
      await t.publisher.publishReply(`${t.base}/reply/r1`, Buffer.alloc(max - 1000));
      await t.consumer.waitFor((m) => m.topic === `${t.base}/reply/r1`, 5000, from);
      await new Promise((r) => setTimeout(r, 200));
      expect(t.consumer.seen.slice(from).map((m) => m.topic)).toEqual([`${t.base}/reply/r1`]);
    } finally {
      await t.cleanup();
    }
  });
});
