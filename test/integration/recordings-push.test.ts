import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingsWatcher } from '../../agent/src/collectors/recordings-watcher';
import { Bus } from '../../agent/src/core/bus';
import { systemClock } from '../../agent/src/core/clock';
import type { AgentEvents, ModuleContext } from '../../agent/src/core/module';
import { Scheduler } from '../../agent/src/core/scheduler';
import type { AmiClient } from '../../agent/src/pbx/ami/types';
import { RecordingPusher } from '../../agent/src/recordings/push';
import { agentTopics } from '../../protocol/src/topics';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { generateTestPki } from '../helpers/tls';
import { writeWav } from './recordings-harness';

let base: string;
let server: Server;
let port: number;
let ca: Buffer;
/** What the test's object store holds, per path, and how each PUT looked. */
const store = new Map<string, { bytes: Buffer; size: number }>();
const puts: Array<{ path: string; range: string | undefined; bytes: number }> = [];
/** Paths whose first full PUT is cut after half the body; paths answered 503 once. */
const cutOnce = new Set<string>();
const failOnce = new Set<string>();
/** Paths always answered 403 (a refusal: not retried). */
const forbid = new Set<string>();

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'pbxl-rpush-'));
  const pki = await generateTestPki(base);
  ca = await readFile(pki.caFile);
  // A resumable PUT endpoint (GCS-style): `bytes */N` asks how much is stored (308 + Range), `bytes a-b/N` appends.
  server = createServer(
    { cert: await readFile(pki.serverCertFile), key: await readFile(pki.serverKeyFile) },
    (req, res) => {
      const path = decodeURIComponent(req.url ?? '');
      const range = req.headers['content-range'];
      const parts: Buffer[] = [];
      let got = 0;
      const entry = store.get(path);
      if (forbid.has(path)) {
        req.resume();
        puts.push({ path, range, bytes: 0 });
        res.writeHead(403).end();
        return;
      }
      if (failOnce.delete(path)) {
        req.resume();
        res.writeHead(503).end();
        return;
      }
      const cut = !range && cutOnce.has(path);
      const total = Number(req.headers['content-length'] ?? 0);
      req.on('data', (d: Buffer) => {
        parts.push(d);
        got += d.length;
        if (cut && got > total / 2) {
          cutOnce.delete(path);
          store.set(path, { bytes: Buffer.concat(parts), size: total });
          puts.push({ path, range, bytes: got });
          req.socket.destroy();
        }
      });
      req.on('end', () => {
        const body = Buffer.concat(parts);
        puts.push({ path, range, bytes: body.length });
        const status = (e: { bytes: Buffer; size: number }) => {
          if (e.bytes.length >= e.size) return res.writeHead(201).end();
          res.writeHead(308, e.bytes.length > 0 ? { Range: `bytes=0-${e.bytes.length - 1}` } : {}).end();
        };
        if (range?.startsWith('bytes */')) {
          if (!entry) return res.writeHead(308).end();
          return status(entry);
        }
        const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(range ?? '');
        if (m) {
          if (!entry || entry.bytes.length !== Number(m[1])) return res.writeHead(416).end();
          entry.bytes = Buffer.concat([entry.bytes, body]);
          return status(entry);
        }
        const e = { bytes: body, size: body.length };
        store.set(path, e);
        status(e);
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
}, 60_000);

afterAll(async () => {
  server?.close();
  if (base) await rm(base, { recursive: true, force: true });
});

function context() {
  const log = pino({ level: 'silent' });
  const publisher = new RecordingPublisher();
  const ctx: ModuleContext = {
    log,
    clock: systemClock,
    scheduler: new Scheduler(log),
    bus: new Bus<AgentEvents>(),
    publisher,
    ami: undefined as unknown as AmiClient,
  };
  return { ctx, publisher, log };
}

async function until(cond: () => boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('push mode', () => {
  it('HTTPS PUT to the URL template; an upload cut midway resumes with Content-Range; a 503 is retried; a 403 is not', async () => {
    const root = join(base, 'https-monitor');
    await mkdir(join(root, '2024/01/15'), { recursive: true });
    const { ctx, log } = context();
    const pusher = new RecordingPusher({
      target: {
        mode: 'https',
        urlTemplate: `https://127.0.0.1:${port}/up/{agent}/{uniqueid}/{name}`,
        agentId: 'pbx-1',
        ca,
      },
      clock: systemClock,
      log,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    const w = new RecordingsWatcher({
      root,
      stateDir: join(base, 'https-state'),
      stabilityMs: 300,
      onRecording: (f, d) => pusher.enqueue(f, d),
    });
    w.start(ctx);
    await new Promise((r) => setTimeout(r, 300));
    const a = 'exten-201-200-20240115-093012-1705307412.34.wav';
    const b = 'out-555-200-20240115-093500-1705307700.40.wav';
    const pa = `/up/pbx-1/1705307412.34/2024/01/15/${a}`;
    const pb = `/up/pbx-1/1705307700.40/2024/01/15/${b}`;
    const c = 'out-556-200-20240115-093600-1705307760.41.wav';
    const pc = `/up/pbx-1/1705307760.41/2024/01/15/${c}`;
    cutOnce.add(pa);
    failOnce.add(pb);
    forbid.add(pc);
    await writeWav(join(root, '2024/01/15', a), 3 * 1024 * 1024, 64 * 1024);
    await writeWav(join(root, '2024/01/15', b), 200_000, 8192);
    await writeWav(join(root, '2024/01/15', c), 1000, 8192);
    try {
      await until(() => pusher.stats.pushed === 2, 15_000, 'both uploads');
      expect(
        (store.get(pa)?.bytes ?? Buffer.alloc(0)).equals(await readFile(join(root, '2024/01/15', a))),
      ).toBe(true);
      expect(
        (store.get(pb)?.bytes ?? Buffer.alloc(0)).equals(await readFile(join(root, '2024/01/15', b))),
      ).toBe(true);
      const resumed = puts.filter((p) => p.path === pa && p.range && !p.range.startsWith('bytes */'));
      expect(resumed).toHaveLength(1);
      expect(Number(/^bytes (\d+)-/.exec(resumed[0]?.range ?? '')?.[1])).toBeGreaterThan(1024 * 1024); // not from 0
      await until(() => pusher.stats.failed === 1, 5000, 'the refused upload');
      expect(puts.filter((p) => p.path === pc)).toHaveLength(1); // 403: given up at once, not retried
    } finally {
      pusher.stop();
      await w.stop();
    }
  }, 30_000);

  it('MQTT: a recording.push event, then every chunk on P/A/blob/<transfer_id>/<index>; a lost link retries under a new transfer id', async () => {
    const broker: MosquittoBroker = await startMosquitto();
    const topics = agentTopics('pbxlink/v1', 'pbx-push');
    const agentSide = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const consumer = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const root = join(base, 'mqtt-monitor');
    await mkdir(root, { recursive: true });
    const metas: Array<Record<string, any>> = [];
    const byTransfer = new Map<string, Map<number, Buffer>>();
    consumer.on('message', (topic, payload) => {
      if (topic === topics.event('recording.push')) metas.push(JSON.parse(payload.toString()).data);
      else {
        const [id, index] = topic.split('/').slice(-2) as [string, string];
        if (!byTransfer.has(id)) byTransfer.set(id, new Map());
        byTransfer.get(id)?.set(Number(index), payload);
      }
    });
    await consumer.subscribeAsync([topics.event('recording.push'), `pbxlink/v1/pbx-push/blob/#`], { qos: 1 });
    const { ctx, log } = context();
    let seq = 0;
    let blobCalls = 0;
    const pusher = new RecordingPusher({
      target: {
        mode: 'mqtt',
        // The link wraps event data in the envelope; this stands in for it.
        publishEvent: (type, data) =>
          void agentSide.publishAsync(
            topics.event(type),
            JSON.stringify({ v: 1, agent: 'pbx-push', seq: ++seq, type, data }),
            { qos: 1 },
          ),
        // The first attempt loses the link at chunk 5: the push is retried under a new transfer id.
        publishBlob: (id, i, bytes) =>
          ++blobCalls === 5
            ? Promise.reject(new Error('link down'))
            : agentSide.publishAsync(topics.blob(id, i), Buffer.from(bytes), { qos: 1 }).then(() => {}),
        blobTopic: (id) => `pbxlink/v1/pbx-push/blob/${id}`,
      },
      clock: systemClock,
      log,
      backoff: { initialMs: 50, maxMs: 100 },
    });
    const w = new RecordingsWatcher({
      root,
      stateDir: join(base, 'mqtt-state'),
      stabilityMs: 300,
      onRecording: (f, d) => pusher.enqueue(f, d),
    });
    w.start(ctx);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const name = 'q-600-555-20240115-120000-1705320000.5.wav';
      await writeWav(join(root, name), 2 * 1024 * 1024, 32 * 1024);
      await until(() => pusher.stats.pushed === 1, 15_000, 'push done');
      expect(metas).toHaveLength(2); // the failed attempt, then the complete one
      const meta = metas[1] as Record<string, any>;
      expect(meta.transfer_id).not.toBe(metas[0]?.transfer_id);
      expect(meta).toMatchObject({ name, offset: 0, topic: `pbxlink/v1/pbx-push/blob/${meta.transfer_id}` });
      const chunks = byTransfer.get(meta.transfer_id) ?? new Map<number, Buffer>();
      await until(() => chunks.size === meta.chunks, 5000, 'every chunk of the second transfer');
      const whole = Buffer.concat(
        [...chunks.keys()].sort((x, y) => x - y).map((k) => chunks.get(k) as Buffer),
      );
      expect(whole.length).toBe(meta.size);
      expect(createHash('sha256').update(whole).digest('hex')).toBe(meta.sha256);
      expect(whole.equals(await readFile(join(root, name)))).toBe(true);
    } finally {
      pusher.stop();
      await w.stop();
      await agentSide.endAsync();
      await consumer.endAsync();
      await broker.close();
    }
  }, 30_000);
});
