import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Consumer, connectConsumer, startTestPbx, type TestPbx } from '../helpers/agent-harness';

// The real agent process against a real Mosquitto, the AMI simulator and MariaDB: what a consumer sees.
describe.each(['1.8', '11', '13', '16'] as const)('agent process, Asterisk %s', (dialect) => {
  let pbx: TestPbx;
  let consumer: Consumer;

  beforeEach(async () => {
    pbx = await startTestPbx({ dialect, sim: { cdrManager: true } });
    consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
    await pbx.startAgent();
  });

  afterEach(async () => {
    await consumer?.close();
    await pbx?.close();
  });

  it('publishes birth, every snapshot, and the events of a call', async () => {
    const t = `${pbx.prefix}/${pbx.agentId}`;
    await consumer.waitFor(
      () => consumer.on('/status').some((s) => s.payload.online === true),
      10_000,
      'birth',
    );
    const birth = consumer.on('/status').find((s) => s.payload.online)!.payload;
    expect(birth).toMatchObject({ online: true, agent: pbx.agentId });
    for (const name of ['health', 'peers', 'calls', 'disks', 'firewall'])
      await consumer.waitFor(() => consumer.on(`/state/${name}`).length > 0, 15_000, `state/${name}`);
    const peers = consumer.on('/state/peers').at(-1)!;
    expect(peers.retain || peers.topic === `${t}/state/peers`).toBe(true);
    expect(peers.payload).toMatchObject({ v: 1, agent: pbx.agentId, type: 'state.peers' });
    expect(peers.payload.data.peers.map((p: any) => p.name)).toContain('100');

    await pbx.sim.runScenario('internal');
    await consumer.waitFor(
      () => consumer.on('/events/call.ended').length === 1 && consumer.on('/events/cdr.new').length === 1,
      10_000,
      'call.ended + cdr.new',
    );
    const started = consumer.on('/events/call.started')[0]!.payload;
    const ended = consumer.on('/events/call.ended')[0]!.payload;
    expect(ended.data.call.call_id).toBe(started.data.call.call_id);
    expect(ended.data.end.reason).toBe('completed');
    // Every envelope carries a seq that grows by one, with no gap.
    const seqs = consumer.seen
      .filter((s) => s.payload?.v === 1 && typeof s.payload.seq === 'number')
      .map((s) => s.payload.seq as number);
    const sorted = [...new Set(seqs)].sort((a, b) => a - b);
    expect(sorted.at(-1)! - sorted[0]! + 1).toBe(sorted.length);
  });

  it('health says AMI and the database are up, with the dialect', async () => {
    await consumer.waitFor(
      () =>
        consumer
          .on('/state/health')
          .some(
            (s) =>
              s.payload.data.components.ami?.status === 'ok' &&
              s.payload.data.components.database?.status === 'ok' &&
              s.payload.data.asterisk.dialect !== null,
          ),
      15_000,
      'healthy components with the Asterisk dialect',
    );
    const h = consumer.on('/state/health').find((s) => s.payload.data.asterisk.dialect !== null)!
      .payload.data;
    expect(h.asterisk.dialect).toBe(dialect);
    expect(h.asterisk.version).toMatch(dialect === '1.8' ? /^1\.8\./ : new RegExp(`^${dialect}\\.`));
    expect(h.asterisk.uptime_s).toBeGreaterThan(0);
  });
});
