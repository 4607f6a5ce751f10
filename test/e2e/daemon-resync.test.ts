import { afterEach, describe, expect, it } from 'vitest';
import { type Consumer, connectConsumer, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import { envelopes, firstBySeq, seqGaps, sleep, startAgentProcess } from '../helpers/daemon';
import { type AmiSimulator, startAmiSimulator } from '../sim/server';

// Asterisk restarts under the agent while calls are up: the agent reconnects with its backoff and
// rebuilds peers and calls from the new Asterisk, so a consumer keeps no ghost call (issue 4, Tests).

describe('daemon: AMI simulator restarted on the same port while calls are live', () => {
  let pbx: TestPbx;
  let consumer: Consumer;
  let second: AmiSimulator | undefined;

  afterEach(async () => {
    await consumer?.close();
    await second?.close();
    await pbx?.close();
  });

  it.each([
    ['13', '13'],
    ['13', '16'],
  ] as const)(
    'Asterisk %s → %s: ghost calls end, state/calls empties, peers come back, health shows the gap',
    async (before, after) => {
      pbx = await startTestPbx({
        agentId: `daemon-resync-${after}-${process.pid}-${Date.now()}`,
        dialect: before,
      });
      consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
      await startAgentProcess(pbx);
      const amiOk = (s: { payload: any }) => s.payload.data.components.ami?.status === 'ok';
      await consumer.waitFor(() => consumer.on('/state/health').some(amiOk), 15_000, 'health: ami ok');
      await consumer.waitFor(() => consumer.on('/state/peers').length > 0, 10_000, 'state/peers');

      // Two calls that stay answered for a while (speed 3: ~5 s of ringing, then 12 s of talk).
      const calls = [
        pbx.sim.runScenario('internal', { caller: '100', callee: '101', speed: 3 }),
        pbx.sim.runScenario('internal', { caller: '102', callee: '103', speed: 3 }),
      ];
      for (const c of calls) c.catch(() => {});
      const answeredCalls = () => {
        const last = consumer.on('/state/calls').at(-1);
        return (last?.payload.data.calls ?? []).filter((c: any) => c.state === 'answered');
      };
      await consumer.waitFor(() => answeredCalls().length === 2, 15_000, 'two answered calls in state/calls');
      const liveIds: string[] = answeredCalls().map((c: any) => c.call_id);
      expect(consumer.on('/events/call.ended')).toHaveLength(0);

      // Asterisk goes away...
      const port = pbx.sim.port;
      const healthBefore = consumer.on('/state/health').length;
      await pbx.sim.close();
      await consumer.waitFor(
        () =>
          consumer
            .on('/state/health')
            .slice(healthBefore)
            .some((s) => s.payload.data.components.ami?.status === 'down'),
        10_000,
        'health: ami down',
      );
      const down = consumer
        .on('/state/health')
        .slice(healthBefore)
        .find((s) => s.payload.data.components.ami?.status === 'down')!;
      expect(down.payload.data.components.ami.reason).toEqual(expect.any(String));
      await sleep(1500);

      // ...and comes back on the same port with no channels.
      second = await startAmiSimulator({ dialect: after, speed: 0, authFailDelayMs: 10, port });
      expect(second.channels).toHaveLength(0);
      const healthAtRestart = consumer.on('/state/health').length;
      await consumer.waitFor(
        () => consumer.on('/state/health').slice(healthAtRestart).some(amiOk),
        30_000,
        'health: ami ok again',
      );
      await consumer.waitFor(
        () =>
          liveIds.every((id) =>
            consumer.on('/events/call.ended').some((e) => e.payload.data.call.call_id === id),
          ),
        10_000,
        'call.ended for both ghost calls',
      );
      await consumer.waitFor(
        () => consumer.on('/state/calls').at(-1)!.payload.data.calls.length === 0,
        10_000,
        'an empty state/calls',
      );
      await sleep(500);

      // What a consumer holds now: no call, every peer of the new Asterisk.
      expect(consumer.on('/state/calls').at(-1)!.payload.data.calls).toEqual([]);
      const ended = consumer.on('/events/call.ended').map((e) => e.payload.data.call.call_id);
      expect(ended.sort()).toEqual([...liveIds].sort());
      await consumer.waitFor(
        () => consumer.on('/state/peers').at(-1)!.payload.data.peers.length === second!.peers.length,
        10_000,
        'every peer of the new Asterisk',
      );
      const peers = consumer
        .on('/state/peers')
        .at(-1)!
        .payload.data.peers.map((p: any) => p.name);
      expect(peers.sort()).toEqual(second.peers.map((p) => p.name).sort());
      const health = consumer.on('/state/health').at(-1)!.payload.data;
      expect(health.components.ami.status).toBe('ok');
      // An upgraded Asterisk is probed again: health names the new version.
      await consumer.waitFor(
        () => consumer.on('/state/health').at(-1)!.payload.data.asterisk.dialect === after,
        10_000,
        `health: Asterisk dialect ${after}`,
      );

      // Every envelope of the whole episode, with no gap in seq.
      const all = firstBySeq(envelopes(consumer.seen));
      expect(seqGaps(all)).toEqual([]);
      expect(new Set(all.map((e) => e.bootId)).size).toBe(1);
    },
    60_000,
  );
});
