/** Session details against a real Mosquitto: overload shedding, logged transitions, client certificates, the broker's Maximum Packet Size. */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Link } from '../../agent/src/link/link';
import { parseEnvelope } from '../../protocol/src/envelope';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { freePort } from '../helpers/ports';
import { type Consumer, makeLink, startConsumer, tempDir, testAgentId, until } from '../unit/link/harness';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  brokerOpts: Parameters<typeof startMosquitto>[0] = {},
  consumerOpts: Parameters<typeof startConsumer>[2] = {},
) {
  const broker: MosquittoBroker = await startMosquitto(brokerOpts);
  cleanups.push(() => broker.close());
  const agent = testAgentId();
  const base = `pbxlink/v1/${agent}`;
  const state = tempDir();
  cleanups.push(state.cleanup);
  const consumer: Consumer = await startConsumer(broker.url, [`${base}/#`], consumerOpts);
  cleanups.push(() => consumer.close());
  const track = (link: Link) => cleanups.push(() => link.stop());
  return { broker, agent, base, state, consumer, track };
}

describe('link session', () => {
  it('sheds the oldest events under overload, keeps memory bounded, and publishes link.shed {shed, since}', async () => {
    const t = await setup();
    const { link, publisher } = makeLink({
      url: t.broker.url,
      stateDir: t.state.dir,
      agent: t.agent,
      window: 4,
      queueItems: 100,
    });
    t.track(link);
    link.start();
    await until(() => link.connected, 5000, 'connected');
    const N = 5000;
    for (let i = 1; i <= N; i++) publisher.publishEvent('call.updated', { i });
    const { shed, queued } = link.stats();
    expect(queued).toBeLessThanOrEqual(100);
    expect(shed).toBeGreaterThan(N - 200);
    const report = await t.consumer.waitFor((m) => m.topic === `${t.base}/events/link.shed`, 10_000);
    expect(report.json.data.shed).toBe(shed);
    expect(typeof report.json.data.since).toBe('string');
    const events = t.consumer.seen.filter((m) => m.topic === `${t.base}/events/call.updated`);
    expect(events.length + shed).toBe(N);
    // The newest survived, in order; what was shed never got a seq, so the seq has no gap.
    const is = events.map((m) => m.json.data.i);
    expect(is[is.length - 1]).toBe(N);
    expect(is).toEqual([...is].sort((a, b) => a - b));
    const seqs = [...events, report].map((m) => parseEnvelope(m.payload)!.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
  });

  it('logs transitions only: one "connection lost" and one "connected" however many attempts failed', async () => {
    const t = await setup();
    const lines: Record<string, unknown>[] = [];
    const dest = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const log = pino({ level: 'info' }, dest);
    const { link } = makeLink({
      url: t.broker.url,
      stateDir: t.state.dir,
      agent: t.agent,
      log,
      backoff: { initialMs: 20, maxMs: 40 },
    });
    t.track(link);
    let attempts = 0;
    link.onStatus((s) => {
      if (s.state === 'reconnecting') attempts++;
    });
    link.start();
    await until(() => link.connected, 5000, 'connected');
    await t.broker.stop();
    await until(() => attempts >= 5, 10_000, 'several reconnect attempts');
    await t.broker.start();
    await until(() => link.connected, 10_000, 'reconnected');
    const msgs = lines.map((l) => l.msg);
    expect(msgs.filter((m) => m === 'connected')).toHaveLength(2);
    expect(msgs.filter((m) => m === 'connection lost')).toHaveLength(1);
    expect(lines.length).toBeLessThan(6);
    expect(JSON.stringify(lines)).not.toContain('password');
  });

  it('connects over mqtts:// with a pinned CA and a client certificate when the broker requires one', async () => {
    const t = await setup({ tls: true, requireClientCert: true });
    const pki = t.broker.pki!;
    const withCert = makeLink({
      url: t.broker.tlsUrl!,
      stateDir: t.state.dir,
      agent: t.agent,
      ca: readFileSync(pki.caFile),
      cert: readFileSync(pki.clientCertFile),
      key: readFileSync(pki.clientKeyFile),
    });
    t.track(withCert.link);
    withCert.link.start();
    await until(() => withCert.link.connected, 10_000, 'connected with client cert');
    withCert.publisher.publishEvent('audit', { tls: true });
    await t.consumer.waitFor((m) => m.topic === `${t.base}/events/audit`);
  });

  it('does not connect over mqtts:// to a broker whose certificate is not signed by the pinned CA', async () => {
    const t = await setup({ tls: true });
    const other = tempDir();
    cleanups.push(other.cleanup);
    const { generateTestPki } = await import('../helpers/tls');
    const wrongCa = await generateTestPki(other.dir);
    const { link } = makeLink({
      url: t.broker.tlsUrl!,
      stateDir: t.state.dir,
      agent: t.agent,
      ca: readFileSync(wrongCa.caFile),
    });
    t.track(link);
    let attempts = 0;
    link.onStatus((s) => {
      if (s.state === 'reconnecting') attempts++;
    });
    link.start();
    await until(() => attempts >= 2, 10_000, 'failed attempts');
    expect(link.connected).toBe(false);
    expect(t.consumer.seen.filter((m) => m.topic === `${t.base}/status`)).toEqual([]);
  });

  it("lowers maxPacketBytes to the broker's CONNACK Maximum Packet Size (MQTT 5) and refuses above it", async () => {
    const t = await setup({ maxPacketSize: 20_000 });
    const { link, publisher } = makeLink({ url: t.broker.url, stateDir: t.state.dir, agent: t.agent });
    t.track(link);
    link.start();
    await until(() => link.connected, 5000, 'connected');
    expect(link.maxPacketBytes).toBe(20_000);
    await expect(publisher.publishReply(`${t.base}/reply/r`, Buffer.alloc(20_000))).rejects.toMatchObject({
      code: 'invalid_args',
    });
    await publisher.publishReply(`${t.base}/reply/r`, Buffer.alloc(19_000));
    const got = await t.consumer.waitFor((m) => m.topic === `${t.base}/reply/r`);
    expect(got.payload.length).toBe(19_000);
    // The link is still up: the broker did not disconnect it for an oversized packet.
    expect(link.connected).toBe(true);
  });

  it('refuses a reply topic outside P/A/reply/', async () => {
    const t = await setup();
    const { link, publisher } = makeLink({ url: t.broker.url, stateDir: t.state.dir, agent: t.agent });
    t.track(link);
    link.start();
    await until(() => link.connected, 5000, 'connected');
    await expect(publisher.publishReply(`${t.base}/status`, 'x')).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(publisher.publishReply('pbxlink/v1/other/reply/x', 'x')).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('logs in with username and password; a wrong password never gets connected and is never logged', async () => {
    const t = await setup(
      { users: { agent: 'right-pass-123', consumer: 'c-pass-456' } },
      { username: 'consumer', password: 'c-pass-456' },
    );
    const consumer = t.consumer;
    const lines: string[] = [];
    const log = pino(
      { level: 'debug' },
      new Writable({
        write: (c, _e, cb) => {
          lines.push(String(c));
          cb();
        },
      }),
    );
    const bad = makeLink({
      url: t.broker.url,
      stateDir: t.state.dir,
      agent: t.agent,
      username: 'agent',
      password: 'wrong-pass-789',
      log,
    });
    t.track(bad.link);
    let attempts = 0;
    bad.link.onStatus((s) => {
      if (s.state === 'reconnecting') attempts++;
    });
    bad.link.start();
    await until(() => attempts >= 2, 10_000, 'refused attempts');
    expect(bad.link.connected).toBe(false);
    await bad.link.stop();
    expect(lines.join('')).not.toContain('wrong-pass-789');
    const other = tempDir();
    cleanups.push(other.cleanup);
    const good = makeLink({
      url: t.broker.url,
      stateDir: other.dir,
      agent: t.agent,
      username: 'agent',
      password: 'right-pass-123',
      log,
    });
    t.track(good.link);
    good.link.start();
    await until(() => good.link.connected, 10_000, 'connected with password');
    await consumer.waitFor((m) => m.topic === `${t.base}/status` && m.json?.online === true);
    expect(lines.join('')).not.toContain('right-pass-123');
  });

  it('retries with the project backoff (exponential, capped), not a fixed period', async () => {
    const t = await setup();
    const port = await freePort(); // nothing listens there
    const delays: number[] = [];
    const { link } = makeLink({
      url: `mqtt://127.0.0.1:${port}`,
      stateDir: t.state.dir,
      agent: t.agent,
      backoff: { initialMs: 20, maxMs: 80, random: () => 0.999 },
    });
    t.track(link);
    link.onStatus((s) => {
      if (s.state === 'reconnecting') delays.push(s.inMs);
    });
    link.start();
    await until(() => delays.length >= 5, 10_000, 'five attempts');
    // ceilings 20, 40, 80, 80, 80 times 0.999
    expect(delays.slice(0, 5)).toEqual([19, 39, 79, 79, 79]);
  });

  it('asks the broker (MQTT 5 CONNECT Maximum Packet Size) not to forward oversized commands', async () => {
    const t = await setup();
    const { link } = makeLink({
      url: t.broker.url,
      stateDir: t.state.dir,
      agent: t.agent,
      maxIncomingBytes: 4096,
    });
    t.track(link);
    const got: number[] = [];
    link.onCommand((m) => {
      got.push(m.payload.length);
    });
    link.start();
    await until(() => link.connected, 5000, 'connected');
    await t.consumer.client.publishAsync(`${t.base}/cmd`, Buffer.alloc(10_000, 0x61), { qos: 1 });
    await t.consumer.client.publishAsync(`${t.base}/cmd`, Buffer.alloc(100, 0x62), { qos: 1 });
    await until(() => got.length >= 1, 5000, 'small command');
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([100]);
    expect(link.connected).toBe(true);
  });
});
