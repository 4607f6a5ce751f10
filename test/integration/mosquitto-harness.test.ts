import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { useProcesses } from '../helpers/process';

const clients: MqttClient[] = [];

async function client(url: string, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  clients.push(c);
  return c;
}

async function roundTrip(pub: MqttClient, sub: MqttClient, topic: string, payload: string): Promise<string> {
  const got = new Promise<string>((resolve) =>
    sub.on('message', (t, p) => t === topic && resolve(p.toString())),
  );
  await sub.subscribeAsync(topic, { qos: 1 });
  await pub.publishAsync(topic, payload, { qos: 1 });
  return await got;
}

describe('test Mosquitto harness', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ websockets: true, tls: true });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker?.close();
  });

  it('serves MQTT over TCP, WebSocket and TLS on its own ports', async () => {
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(broker.port).not.toBe(1883);
    const tcp = await client(broker.url, { protocolVersion: 5 });
    const ws = await client(broker.wsUrl!, { protocolVersion: 5 });
    const tls = await client(broker.tlsUrl!, { ca: readFileSync(broker.caFile!), protocolVersion: 5 });
    expect(await roundTrip(tcp, ws, 'h/ws', 'via tcp to ws')).toBe('via tcp to ws');
    expect(await roundTrip(ws, tls, 'h/tls', 'via ws to tls')).toBe('via ws to tls');
    const wss = await client(broker.wssUrl!, { ca: readFileSync(broker.caFile!), protocolVersion: 5 });
    expect(await roundTrip(tls, wss, 'h/wss', 'via tls to wss')).toBe('via tls to wss');
  });

  it('rejects a TLS client that does not trust the test CA', async () => {
    await expect(
      mqtt.connectAsync(broker.tlsUrl!, { reconnectPeriod: 0, connectTimeout: 3000 }),
    ).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it('keeps a persistent session and its queued QoS 1 message across stop/start', async () => {
    const opts = {
      protocolVersion: 5 as const,
      clean: false,
      clientId: 'h-persist',
      properties: { sessionExpiryInterval: 600 },
    };
    const sub = await client(broker.url, opts);
    await sub.subscribeAsync('h/queued', { qos: 1 });
    await sub.endAsync();
    const pub = await client(broker.url);
    await pub.publishAsync('h/queued', 'kept while offline', { qos: 1 });
    await pub.endAsync();

    const before = broker.pid();
    await broker.stop();
    expect(broker.pid()).toBeUndefined();
    await broker.start();
    expect(broker.pid()).not.toBe(before);

    const again = mqtt.connect(broker.url, { ...opts, reconnectPeriod: 0 });
    clients.push(again);
    const msg = await new Promise<string>((resolve, reject) => {
      again.on('message', (_t, p) => resolve(p.toString()));
      again.on('error', reject);
    });
    expect(msg).toBe('kept while offline');
  });
});

describe('test Mosquitto harness with password auth', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ users: { alice: 's3cret-pw' }, maxPacketSize: 2048 });
  });
  afterAll(async () => broker?.close());

  it('accepts the right password and refuses a wrong one', async () => {
    const ok = await client(broker.url, { username: 'alice', password: 's3cret-pw' });
    expect(ok.connected).toBe(true);
    await expect(
      mqtt.connectAsync(broker.url, { username: 'alice', password: 'wrong', reconnectPeriod: 0 }),
    ).rejects.toThrow(/Not authorized|Bad username or password/i);
  });
});

describe('test Mosquitto harness limits and client certificates', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ tls: true, requireClientCert: true, maxPacketSize: 4096 });
  });
  afterAll(async () => broker?.close());

  it('enforces max_packet_size: an oversized publish costs the client its connection', async () => {
    const c = await client(broker.url, { protocolVersion: 5 });
    expect(c.connected).toBe(true);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish('h/big', Buffer.alloc(8192), { qos: 0 });
    await closed;
    expect(c.connected).toBe(false);
  });

  it('requires a client certificate on the TLS listener when asked', async () => {
    const ca = readFileSync(broker.caFile!);
    const ok = await client(broker.tlsUrl!, {
      ca,
      cert: readFileSync(broker.pki!.clientCertFile),
      key: readFileSync(broker.pki!.clientKeyFile),
    });
    expect(ok.connected).toBe(true);
    await expect(
      mqtt.connectAsync(broker.tlsUrl!, { ca, reconnectPeriod: 0, connectTimeout: 3000 }),
    ).rejects.toThrow();
  });

  it('kill() ends the broker at once and start() brings it back on the same port', async () => {
    const before = broker.pid();
    await broker.kill();
    await expect(mqtt.connectAsync(broker.url, { reconnectPeriod: 0, connectTimeout: 1000 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    await broker.start();
    expect(broker.pid()).not.toBe(before);
    const c = await client(broker.url);
    expect(c.connected).toBe(true);
  });
});

describe('test process helper', () => {
  const procs = useProcesses();

  it('collects lines, waits for one, and reports the exit code', async () => {
    const p = procs.node([
      '-e',
      'console.log("ready 1"); console.error("warn 2"); setTimeout(() => process.exit(3), 50)',
    ]);
    expect(await p.waitForLine(/^ready \d$/)).toBe('ready 1');
    expect(await p.waitForLine(/warn/, 5000, 'stderr')).toBe('warn 2');
    expect((await p.exited).code).toBe(3);
  });

  it('fails a wait with the output when the process exits without the line', async () => {
    const p = procs.node(['-e', 'console.log("something else")']);
    await expect(p.waitForLine(/never/, 5000)).rejects.toThrow(/exited before .*never[\s\S]*something else/);
  });
});
