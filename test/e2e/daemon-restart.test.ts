import { afterEach, describe, expect, it } from 'vitest';
import type { Consumer, TestPbx } from '../helpers/agent-harness';
import {
  envelopes,
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
} from '../helpers/daemon';

// The agent restarts (clean stop or crash) while the broker is down: the outbox written by the first
// process is delivered by the second, and seq goes on strictly increasing (issue 4, Tests).

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
      const s = await startOutagePbx(`restart-${signal.toLowerCase()}-${protocol}`, protocol);
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

      const got = liveEnvelopes(c);
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
