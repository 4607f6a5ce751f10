import { afterEach, describe, expect, it } from 'vitest';
import { type Consumer, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import {
  connectPersistentConsumer,
  envelopes,
  FAST_RECONNECT,
  firstBySeq,
  outboxLines,
  outOfOrder,
  reusedSeqs,
  type SeenEnvelope,
  seqGaps,
  sleep,
  startAgentProcess,
  until,
  writeAgentConfig,
} from '../helpers/daemon';
import type { ScenarioName } from '../sim/scenarios';

// The broker goes away while calls happen: what the agent publishes meanwhile waits in its on-disk
// outbox and reaches a consumer (persistent MQTT 5 session) in order, with no gap in seq (issue 4, Tests).

const ids = (list: Array<{ payload: any }>, key: (d: any) => string) => list.map((s) => key(s.payload.data));

/** Per seq, one envelope: the first arrival of each, among messages that were not retained replays. */
function live(consumer: Consumer): SeenEnvelope[] {
  return firstBySeq(envelopes(consumer.seen).filter((e) => !e.retain));
}

async function setup(
  tag: string,
  protocol: 4 | 5 = 5,
): Promise<{ pbx: TestPbx; consumer: Consumer; config: string }> {
  const pbx = await startTestPbx({
    agentId: `daemon-${tag}-${process.pid}-${Date.now()}`,
    sim: { cdrManager: true },
    // Mosquitto drops what exceeds 1000 queued messages for an offline persistent client: not the agent's loss.
    broker: { maxQueuedMessages: 100_000 },
  });
  const consumer = await connectPersistentConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`, {
    clientId: `consumer-${pbx.agentId}`.slice(0, 64),
  });
  const config = writeAgentConfig(pbx, 'fast-reconnect', {
    ...FAST_RECONNECT,
    broker: { ...FAST_RECONNECT.broker, protocol_version: protocol },
  });
  return { pbx, consumer, config };
}

async function waitReady(consumer: Consumer): Promise<void> {
  await consumer.waitFor(
    () => consumer.on('/status').some((s) => s.payload.online === true),
    10_000,
    'birth',
  );
  await consumer.waitFor(
    () => consumer.on('/state/health').some((s) => s.payload.data.components.ami?.status === 'ok'),
    15_000,
    'health: ami ok',
  );
  await consumer.waitFor(() => consumer.on('/state/peers').length > 0, 10_000, 'state/peers');
}

describe('daemon: broker down for 30 s while calls happen', () => {
  let pbx: TestPbx | undefined;
  let consumer: Consumer | undefined;

  afterEach(async () => {
    await consumer?.close();
    await pbx?.close();
  });

  it('after reconnect the consumer has every event, in order, with no gap in seq', async () => {
    const s = await setup('outage');
    pbx = s.pbx;
    consumer = s.consumer;
    const c = consumer;
    await startAgentProcess(pbx, { config: s.config });
    await waitReady(c);
    // Every call, as the simulator saw it: the UniqueID of each Cdr event it wrote, in order.
    const made: string[] = [];
    pbx.sim.onEventWritten = (name, _at, text) => {
      const id = name === 'Cdr' ? /^UniqueID:\s*(\S+)/im.exec(text)?.[1] : undefined;
      if (id) made.push(id);
    };
    const linkedids: string[] = [(await pbx.sim.runScenario('internal', { speed: 0 })).linkedid];
    await c.waitFor(() => c.on('/events/call.ended').length === 1, 10_000, 'call.ended before the outage');

    await pbx.broker.stop();
    const downAt = Date.now();
    // Background traffic for most of the outage: 10 calls a second.
    const load = pbx.sim.runLoad({
      scenario: ['internal', 'outbound-trunk', 'busy'],
      ratePerSec: 10,
      durationMs: 24_000,
    });
    const gapCalls: ScenarioName[] = [
      'internal',
      'outbound-trunk',
      'busy',
      'cancel',
      'no-answer',
      'internal',
    ];
    for (const name of gapCalls) {
      linkedids.push((await pbx.sim.runScenario(name, { speed: 0 })).linkedid);
      await sleep(4000);
    }
    // A phone drops off and comes back meanwhile.
    await pbx.sim.runScenario('peer-unregister', { peer: '103', speed: 0 });
    await sleep(500);
    await pbx.sim.runScenario('peer-register', { peer: '103', speed: 0 });
    const loaded = await load;
    expect(loaded.failed).toBe(0);
    expect(made.length).toBe(1 + gapCalls.length + loaded.started);
    await until(
      () => outboxLines(pbx!.stateDir, '/events/call.ended') >= made.length - 1,
      10_000,
      'calls spooled',
    );
    await sleep(Math.max(0, 30_000 - (Date.now() - downAt)));
    await pbx.broker.start();

    await c.waitFor(
      () =>
        linkedids.every((id) => c.on('/events/call.ended').some((e) => e.payload.data.call.call_id === id)),
      30_000,
      `call.ended for all ${linkedids.length} calls`,
    );
    await c.waitFor(() => c.on('/events/cdr.new').length >= made.length, 20_000, 'a cdr.new per call');
    await sleep(1000);
    // The same process is online again: its birth was published anew after the reconnect.
    const births = c.on('/status').filter((x) => x.payload.online === true);
    expect(births.length).toBeGreaterThanOrEqual(2);
    expect(new Set(births.map((b) => b.payload.boot_id)).size).toBe(1);
    expect(c.on('/status').at(-1)!.payload.online).toBe(true);

    // Every event the simulator caused: one call.started, one call.ended and one cdr.new per call.
    const got = live(c);
    const of = (type: string) => got.filter((e) => e.type === type);
    expect(made).toEqual(expect.arrayContaining(linkedids));
    const sorted = [...made].sort();
    expect(
      of('call.started')
        .map((e) => e.data.call.call_id)
        .sort(),
    ).toEqual(sorted);
    expect(
      of('call.ended')
        .map((e) => e.data.call.call_id)
        .sort(),
    ).toEqual(sorted);
    expect(of('cdr.new').map((e) => e.data.uniqueid)).toEqual(made);
    for (const id of made) {
      const started = of('call.started').find((e) => e.data.call.call_id === id)!;
      const ended = of('call.ended').find((e) => e.data.call.call_id === id)!;
      expect(started.seq).toBeLessThan(ended.seq);
    }
    const peer103 = of('peer.status').filter((e) => e.data.name === '103');
    expect(peer103.length).toBeGreaterThanOrEqual(2);
    expect(peer103[0]!.data.status).not.toBe('ok');
    expect(peer103.at(-1)!.data.status).toBe('ok');
    // The calls ended in the order the simulator ended them.
    expect(of('call.ended').map((e) => e.data.call.call_id)).toEqual(made);
    expect(ids(c.on('/events/call.ended'), (d) => d.end.reason)).toEqual(
      expect.arrayContaining(['completed', 'busy', 'cancelled', 'no_answer']),
    );

    // In order and without a gap: every envelope received (snapshots and events) over the whole run.
    expect(outOfOrder(got)).toEqual([]);
    const all = envelopes(c.seen);
    expect(reusedSeqs(all)).toEqual([]);
    expect(seqGaps(all)).toEqual([]);
    expect(new Set(all.map((e) => e.bootId)).size).toBe(1);
    // The agent said where it had been: the broker component went down and came back.
    const brokerStates = c.on('/state/health').map((h) => h.payload.data.components.broker?.status);
    expect(brokerStates.at(-1)).toBe('ok');
  }, 120_000);
});

describe('daemon: agent restarted while the broker is down', () => {
  let pbx: TestPbx | undefined;
  let consumer: Consumer | undefined;

  afterEach(async () => {
    await consumer?.close();
    await pbx?.close();
  });

  it.each([
    ['SIGTERM', 5],
    ['SIGKILL', 5],
    ['SIGTERM', 4],
  ] as const)(
    '%s, MQTT protocol %i: the outbox of the first process is delivered, seq strictly increasing',
    async (signal, protocol) => {
      const s = await setup(`restart-${signal.toLowerCase()}-${protocol}`, protocol);
      pbx = s.pbx;
      consumer = s.consumer;
      const c = consumer;
      const first = await startAgentProcess(pbx, { config: s.config });
      await waitReady(c);
      const boot1 = c.on('/status').find((x) => x.payload.online === true)!.payload.boot_id as string;

      await pbx.broker.stop();
      const firstCalls: string[] = [];
      for (const name of ['internal', 'busy', 'outbound-trunk'] as const)
        firstCalls.push((await pbx.sim.runScenario(name, { speed: 0 })).linkedid);
      await until(() => outboxLines(pbx!.stateDir, '/events/call.ended') >= 3, 10_000, 'calls spooled');
      const exit = await first.stop(signal, 10_000);
      expect(exit).toEqual(
        signal === 'SIGTERM' ? { code: 0, signal: null } : { code: null, signal: 'SIGKILL' },
      );

      // A new process on the same state dir (after a crash: over its stale lock), still without a broker,
      // sees one more call.
      const second = await startAgentProcess(pbx, { config: s.config });
      await second.waitForLine(/calls resynced/, 10_000);
      const secondCall = (await pbx.sim.runScenario('internal', { speed: 0 })).linkedid;
      await until(
        () => outboxLines(pbx!.stateDir, '/events/call.ended', secondCall) === 1,
        10_000,
        'second call spooled',
      );
      await pbx.broker.start();

      await c.waitFor(
        () => c.on('/status').some((x) => x.payload.online === true && x.payload.boot_id !== boot1),
        15_000,
        'birth of the second process',
      );
      const boot2 = c.on('/status').find((x) => x.payload.online === true && x.payload.boot_id !== boot1)!
        .payload.boot_id;
      await c.waitFor(
        () =>
          [...firstCalls, secondCall].every((id) =>
            c.on('/events/call.ended').some((e) => e.payload.data.call.call_id === id),
          ),
        20_000,
        'call.ended of both processes',
      );
      await sleep(1000);

      const got = live(c);
      const ended = got.filter((e) => e.type === 'call.ended');
      // The first process's events, delivered by the second, still say who made them.
      expect(ended.filter((e) => e.bootId === boot1).map((e) => e.data.call.call_id)).toEqual(firstCalls);
      expect(ended.filter((e) => e.bootId === boot2).map((e) => e.data.call.call_id)).toEqual([secondCall]);
      expect(ended.map((e) => e.data.call.call_id)).toEqual([...firstCalls, secondCall]);

      // seq: never reused, strictly increasing in arrival order, and the second process continues above
      // every seq of the first.
      const all = envelopes(c.seen);
      expect(reusedSeqs(all)).toEqual([]);
      expect(outOfOrder(got)).toEqual([]);
      const firstEvents = all.filter((e) => e.bootId === boot1 && !e.topic.includes('/state/'));
      const maxFirst = Math.max(...firstEvents.map((e) => e.seq));
      const minSecond = Math.min(...all.filter((e) => e.bootId === boot2).map((e) => e.seq));
      expect(minSecond).toBeGreaterThan(maxFirst);
      const gaps = seqGaps(all);
      if (signal === 'SIGTERM')
        expect(gaps).toEqual([]); // a clean stop persists the exact last seq
      else expect(gaps.filter((g) => g < maxFirst || g > minSecond)).toEqual([]); // a crash may skip a block, once
    },
    90_000,
  );
});

describe('daemon: outbox bound hit while the broker is down', () => {
  let pbx: TestPbx | undefined;
  let consumer: Consumer | undefined;

  afterEach(async () => {
    await consumer?.close();
    await pbx?.close();
  });

  it('the oldest events go, the newest arrive, and outbox.dropped counts exactly the missing seqs', async () => {
    const s = await setup('bound');
    pbx = s.pbx;
    consumer = s.consumer;
    const c = consumer;
    const config = writeAgentConfig(pbx, 'small-outbox', {
      ...FAST_RECONNECT,
      outbox: { max_bytes: 65_536 },
    });
    await startAgentProcess(pbx, { config });
    await waitReady(c);

    await pbx.broker.stop();
    // ~100 calls of ~6 envelopes each: far more than 64 KB of outbox.
    const load = await pbx.sim.runLoad({ scenario: ['internal', 'busy'], ratePerSec: 50, durationMs: 2000 });
    expect(load.failed).toBe(0);
    const last = (await pbx.sim.runScenario('internal', { speed: 0 })).linkedid;
    await until(
      () => outboxLines(pbx!.stateDir, '/events/call.ended', last) === 1,
      10_000,
      'last call spooled',
    );
    await pbx.broker.start();

    await c.waitFor(() => c.on('/events/outbox.dropped').length > 0, 20_000, 'outbox.dropped');
    await c.waitFor(
      () => c.on('/events/call.ended').some((e) => e.payload.data.call.call_id === last),
      10_000,
      'call.ended of the newest call',
    );
    await sleep(1000);

    const reports = c.on('/events/outbox.dropped');
    expect(reports).toHaveLength(1);
    const { dropped, since } = reports[0]!.payload.data;
    expect(dropped).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(since))).toBe(false);
    const all = envelopes(c.seen);
    expect(reusedSeqs(all)).toEqual([]);
    // A consumer can tell what it lost: the gap in seq is exactly the reported count.
    expect(seqGaps(all)).toHaveLength(dropped);
    // Oldest first: fewer calls ended than were made, and the report follows the replayed events.
    const callsMade = load.started + 1;
    expect(c.on('/events/call.ended').length).toBeLessThan(callsMade);
    const got = live(c);
    expect(outOfOrder(got)).toEqual([]);
    const reportSeq = reports[0]!.payload.seq as number;
    const replayed = got.filter((e) => e.type.startsWith('call.') || e.type === 'cdr.new');
    expect(Math.max(...replayed.map((e) => e.seq))).toBeLessThan(reportSeq);
  }, 60_000);
});
