/** Offline behaviour of the link against a real Mosquitto that the tests stop and restart. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Link } from '../../agent/src/link/link';
import type { LinkPublisher } from '../../agent/src/link/publisher';
import type { SessionStatus } from '../../agent/src/link/session';
import { parseEnvelope } from '../../protocol/src/envelope';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import {
  type Consumer,
  makeLink,
  type Seen,
  startConsumer,
  tempDir,
  testAgentId,
  until,
} from '../unit/link/harness';

let broker: MosquittoBroker;
let agent: string;
let base: string;
let state: ReturnType<typeof tempDir>;
let consumer: Consumer;
const links: Link[] = [];

beforeEach(async () => {
  // Mosquitto keeps only 1000 queued messages for an offline persistent client by default: room for the replay.
  broker = await startMosquitto({ maxQueuedMessages: 100_000 });
  agent = testAgentId();
  base = `pbxlink/v1/${agent}`;
  state = tempDir();
  // A persistent consumer session, so what the agent replays while the consumer reconnects is kept for it.
  consumer = await startConsumer(broker.url, [`${base}/#`], {
    clean: false,
    clientId: `consumer-${agent}`,
    properties: { sessionExpiryInterval: 600 },
  });
});
afterEach(async () => {
  for (const l of links.splice(0)) await l.stop();
  await consumer?.close();
  await broker?.close();
  state?.cleanup();
});

function newLink(extra: Parameters<typeof makeLink>[0] extends infer O ? Partial<O> : never = {}): {
  link: Link;
  publisher: LinkPublisher;
} {
  const made = makeLink({ url: broker.url, stateDir: state.dir, agent, ...extra });
  links.push(made.link);
  return made;
}

const isEvent = (type: string) => (m: Seen) => m.topic === `${base}/events/${type}`;
const seqOf = (m: Seen) => parseEnvelope(m.payload)!.seq;

describe('link offline behaviour', () => {
  it('keeps 200 events published while the broker is down and delivers every one, in order, with no seq gap', async () => {
    const { link, publisher } = newLink();
    const statuses: SessionStatus['state'][] = [];
    link.onStatus((s) => statuses.push(s.state));
    link.start();
    await until(() => link.connected, 5000, 'connected');
    await broker.stop();
    await until(() => !link.connected, 5000, 'link down');
    for (let i = 1; i <= 200; i++) publisher.publishEvent('call.updated', { i });
    expect(link.stats().outboxEntries).toBe(200);
    expect(link.health().status).toBe('down');
    await new Promise((r) => setTimeout(r, 300));
    await broker.start();
    const got = await consumer.waitCount(isEvent('call.updated'), 200, 20_000);
    expect(got.map((m) => m.json.data.i)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const seqs = got.map(seqOf);
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => seqs[0]! + i));
    await until(() => link.stats().outboxEntries === 0, 5000, 'outbox emptied');
    await until(() => link.health().status === 'ok', 5000, 'health ok');
    expect(statuses).toContain('lost');
    expect(statuses).toContain('reconnecting');
    expect(statuses.filter((s) => s === 'connected')).toHaveLength(2);
    // Live traffic after the replay continues the same sequence.
    publisher.publishEvent('call.ended', { i: 201 });
    const next = await consumer.waitFor(isEvent('call.ended'));
    expect(seqOf(next)).toBe(seqs[199]! + 1);
  });

  it('delivers the outbox after the agent itself restarted while the broker was down', async () => {
    const a = newLink();
    a.link.start();
    await until(() => a.link.connected, 5000, 'connected');
    await broker.stop();
    await until(() => !a.link.connected, 5000, 'link down');
    for (let i = 1; i <= 50; i++) a.publisher.publishEvent('cdr.new', { i });
    await a.link.stop();
    // A new process (new Link, new boot id) on the same state dir.
    const b = newLink();
    b.link.start();
    expect(b.link.stats().outboxEntries).toBe(50);
    await broker.start();
    const got = await consumer.waitCount(isEvent('cdr.new'), 50, 20_000);
    expect(got.map((m) => m.json.data.i)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(got.map((m) => m.json.boot_id))).toEqual(new Set([a.link.bootId]));
    b.publisher.publishEvent('cdr.new', { i: 51 });
    const last = await consumer.waitFor((m) => isEvent('cdr.new')(m) && m.json.data.i === 51);
    expect(seqOf(last)).toBe(seqOf(got[49]!) + 1);
    expect(last.json.boot_id).toBe(b.link.bootId);
  });

  it('keeps only the latest snapshot per state topic while offline', async () => {
    const { link, publisher } = newLink();
    link.start();
    await until(() => link.connected, 5000, 'connected');
    await broker.stop();
    await until(() => !link.connected, 5000, 'link down');
    for (let v = 1; v <= 5; v++) publisher.publishState('peers', { v });
    publisher.publishEvent('peer.status', { n: 1 });
    publisher.publishState('calls', { calls: [] });
    publisher.publishEvent('peer.status', { n: 2 });
    await broker.start();
    await consumer.waitFor((m) => m.topic === `${base}/state/calls`, 20_000);
    await consumer.waitCount(isEvent('peer.status'), 2);
    await new Promise((r) => setTimeout(r, 300));
    const peers = consumer.seen.filter((m) => m.topic === `${base}/state/peers`);
    expect(peers.map((m) => m.json.data)).toEqual([{ v: 5 }]);
    // Events first (in order), then the snapshots, and no gap in seq across all of them.
    const env = consumer.seen.filter((m) => m.topic.includes('/state/') || m.topic.includes('/events/'));
    const seqs = env.map(seqOf);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    // The retained value on the broker is the latest.
    const late = await startConsumer(broker.url, [`${base}/state/peers`]);
    try {
      expect((await late.waitFor(() => true)).json.data).toEqual({ v: 5 });
    } finally {
      await late.close();
    }
  });

  it('drops the oldest events at the outbox bound and publishes outbox.dropped {dropped, since}', async () => {
    const { link, publisher } = newLink({ outboxBytes: 16 * 1024, outboxSegmentBytes: 2048 });
    link.start();
    await until(() => link.connected, 5000, 'connected');
    await broker.stop();
    await until(() => !link.connected, 5000, 'link down');
    const N = 400;
    for (let i = 1; i <= N; i++) publisher.publishEvent('call.updated', { i, pad: 'p'.repeat(100) });
    const { dropped } = link.stats();
    expect(dropped).toBeGreaterThan(0);
    expect(link.stats().outboxBytes).toBeLessThanOrEqual(16 * 1024);
    await broker.start();
    const report = await consumer.waitFor(isEvent('outbox.dropped'), 20_000);
    expect(report.json.data.dropped).toBe(dropped);
    expect(Date.parse(report.json.data.since)).toBeGreaterThan(Date.now() - 60_000);
    const got = consumer.seen.filter(isEvent('call.updated'));
    // What survived is the newest, contiguous, and with the dropped ones accounts for all N.
    expect(got.map((m) => m.json.data.i)).toEqual(
      Array.from({ length: N - dropped }, (_, i) => dropped + 1 + i),
    );
    // The consumer sees the gap in seq right where the report says.
    expect(seqOf(report)).toBe(seqOf(got[got.length - 1]!) + 1);
    expect(link.stats().dropped).toBe(0);
  });

  it('never repeats a seq across restarts, and continues without a gap after a clean stop', async () => {
    const a = newLink();
    a.link.start();
    await until(() => a.link.connected, 5000, 'connected');
    for (let i = 0; i < 3; i++) a.publisher.publishEvent('audit', { i });
    await consumer.waitCount(isEvent('audit'), 3);
    await a.link.stop();
    const b = newLink();
    b.link.start();
    await until(() => b.link.connected, 5000, 'connected');
    for (let i = 3; i < 6; i++) b.publisher.publishEvent('audit', { i });
    const got = await consumer.waitCount(isEvent('audit'), 6);
    const seqs = got.map(seqOf);
    expect(seqs).toEqual(Array.from({ length: 6 }, (_, i) => seqs[0]! + i));
    expect(got[2]!.json.boot_id).not.toBe(got[3]!.json.boot_id);
  });

  it('keeps commands sent while the agent is offline at the broker (persistent session)', async () => {
    const a = newLink();
    a.link.start();
    await until(() => a.link.connected, 5000, 'connected');
    await a.link.stop();
    await consumer.client.publishAsync(`${base}/cmd`, 'queued.command.jws', { qos: 1 });
    const b = newLink();
    const got: string[] = [];
    const replies: Promise<void>[] = [];
    b.link.onCommand((m) => {
      got.push(m.payload.toString());
      // The router replies at once: the link must be able to send it (birth goes out first).
      replies.push(b.publisher.publishReply(`${base}/reply/q1`, '{"v":1}'));
    });
    const from = consumer.seen.length;
    b.link.start();
    await until(() => got.length === 1, 10_000, 'queued command');
    expect(got).toEqual(['queued.command.jws']);
    await Promise.all(replies);
    const reply = await consumer.waitFor((m) => m.topic === `${base}/reply/q1`, 5000, from);
    const birth = consumer.seen.findIndex(
      (m, i) => i >= from && m.topic === `${base}/status` && m.json?.online === true,
    );
    expect(birth).toBeGreaterThanOrEqual(from);
    expect(birth).toBeLessThan(consumer.seen.indexOf(reply));
  });

  it('reconnects after the broker is killed and republishes birth after resubscribing', async () => {
    const { link } = newLink();
    const cmds: string[] = [];
    link.onCommand((m) => {
      cmds.push(m.payload.toString());
    });
    link.start();
    await consumer.waitFor((m) => m.topic === `${base}/status` && m.json?.online === true);
    await broker.kill();
    await until(() => !link.connected, 10_000, 'link down');
    await broker.start();
    await until(() => link.connected, 10_000, 'reconnected');
    const births = await consumer.waitCount(
      (m) => m.topic === `${base}/status` && m.json?.online === true,
      2,
      10_000,
    );
    expect(births[1]!.json.boot_id).toBe(link.bootId);
    // Killed without saving persistence: the session is gone, so the link must have subscribed again.
    await consumer.client.publishAsync(`${base}/cmd`, 'after.kill', { qos: 1 });
    await until(() => cmds.includes('after.kill'), 5000, 'command after reconnect');
  });

  it('loses nothing when the broker goes away in the middle of a stream of events (in flight, queued, offline)', async () => {
    const { link, publisher } = newLink();
    link.start();
    await until(() => link.connected, 5000, 'connected');
    let i = 0;
    const burst = (n: number) => {
      for (let k = 0; k < n; k++) publisher.publishEvent('call.updated', { i: ++i });
    };
    const timer = setInterval(() => burst(20), 2);
    try {
      await new Promise((r) => setTimeout(r, 150));
      await broker.stop();
      await new Promise((r) => setTimeout(r, 300));
      await broker.start();
      await until(() => link.connected, 10_000, 'reconnected');
      await new Promise((r) => setTimeout(r, 150));
    } finally {
      clearInterval(timer);
    }
    const N = i;
    await until(
      () => new Set(consumer.seen.filter(isEvent('call.updated')).map(seqOf)).size >= N,
      20_000,
      `all ${N} events`,
    );
    // QoS 1 may duplicate what was in flight when the link dropped; consumers drop duplicates by seq.
    const firstBySeq = new Map<number, Seen>();
    for (const m of consumer.seen.filter(isEvent('call.updated')))
      if (!firstBySeq.has(seqOf(m))) firstBySeq.set(seqOf(m), m);
    const unique = [...firstBySeq.values()];
    expect(unique.map((m) => m.json.data.i)).toEqual(Array.from({ length: N }, (_, k) => k + 1));
    const seqs = unique.map(seqOf);
    expect(seqs).toEqual(Array.from({ length: N }, (_, k) => seqs[0]! + k));
  });

  it('finds its session (and subscription) again after a broker restart, and still receives commands', async () => {
    const { link } = newLink();
    const present: boolean[] = [];
    link.onStatus((s) => {
      if (s.state === 'connected') present.push(s.sessionPresent);
    });
    const cmds: string[] = [];
    link.onCommand((m) => {
      cmds.push(m.payload.toString());
    });
    link.start();
    await until(() => link.connected, 5000, 'connected');
    await broker.stop();
    await until(() => !link.connected, 5000, 'link down');
    await broker.start();
    await until(() => link.connected, 10_000, 'reconnected');
    expect(present).toEqual([false, true]);
    await until(() => consumer.client.connected, 5000, 'consumer back');
    await consumer.client.publishAsync(`${base}/cmd`, 'after.restart', { qos: 1 });
    await until(() => cmds.includes('after.restart'), 5000, 'command after restart');
  });
});
