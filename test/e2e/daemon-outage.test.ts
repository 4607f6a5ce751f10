import { afterEach, describe, expect, it } from 'vitest';
import type { Consumer, TestPbx } from '../helpers/agent-harness';
import {
  envelopes,
  FAST_RECONNECT,
  liveEnvelopes,
  outboxLines,
  outOfOrder,
  reusedSeqs,
  seqGaps,
  sleep,
  startAgentProcess,
  startOutagePbx,
  until,
  waitReady,
  writeAgentConfig,
} from '../helpers/daemon';
import type { ScenarioName } from '../sim/scenarios';

// The broker goes away while calls happen: what the agent publishes meanwhile waits in its on-disk
// outbox and reaches a consumer (persistent MQTT 5 session) in order, with no gap in seq (issue 4, Tests).

const ids = (list: Array<{ payload: any }>, key: (d: any) => string) => list.map((s) => key(s.payload.data));

describe('daemon: broker down for 30 s while calls happen', () => {
  let pbx: TestPbx | undefined;
  let consumer: Consumer | undefined;

  afterEach(async () => {
    await consumer?.close();
    await pbx?.close();
  });

  it('after reconnect the consumer has every event, in order, with no gap in seq', async () => {
    const s = await startOutagePbx('outage');
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
    const got = liveEnvelopes(c);
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

describe('daemon: outbox bound hit while the broker is down', () => {
  let pbx: TestPbx | undefined;
  let consumer: Consumer | undefined;

  afterEach(async () => {
    await consumer?.close();
    await pbx?.close();
  });

  it('the oldest events go, the newest arrive, and outbox.dropped counts exactly the missing seqs', async () => {
    const s = await startOutagePbx('bound');
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
    const got = liveEnvelopes(c);
    expect(outOfOrder(got)).toEqual([]);
    const reportSeq = reports[0]!.payload.seq as number;
    const replayed = got.filter((e) => e.type.startsWith('call.') || e.type === 'cdr.new');
    expect(Math.max(...replayed.map((e) => e.seq))).toBeLessThan(reportSeq);
  }, 60_000);
});
