import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bus } from '../../agent/src/core/bus';
import { systemClock } from '../../agent/src/core/clock';
import type { AgentEvents, ModuleContext } from '../../agent/src/core/module';
import { Scheduler } from '../../agent/src/core/scheduler';
import { AmiTcpClient } from '../../agent/src/pbx/ami/client';
import { CallState } from '../../agent/src/state/calls';
import { PeerState } from '../../agent/src/state/peers';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { validateCallEnded } from '../helpers/schema-check';
import { type AmiSimulator, startAmiSimulator } from '../sim/server';

const DIALECTS = ['1.8', '11', '13', '16'] as const;

describe.each(DIALECTS)('live state against the simulator, Asterisk %s', (dialect) => {
  let sim: AmiSimulator;
  let ami: AmiTcpClient;
  let pub: RecordingPublisher;
  let peers: PeerState;
  let calls: CallState;

  beforeEach(async () => {
    sim = await startAmiSimulator({ dialect, speed: 0, cdrManager: true, authFailDelayMs: 10 });
    const log = pino({ level: 'silent' });
    ami = new AmiTcpClient({
      host: '127.0.0.1',
      port: sim.port,
      username: 'admin',
      secret: 'amp111',
      clock: systemClock,
      log,
      backoff: { initialMs: 20, maxMs: 200 },
    });
    pub = new RecordingPublisher();
    const ctx: ModuleContext = {
      log,
      clock: systemClock,
      scheduler: new Scheduler(log),
      bus: new Bus<AgentEvents>(),
      publisher: pub,
      ami,
    };
    peers = new PeerState({ snapshotIntervalMs: 20 });
    calls = new CallState({ snapshotIntervalMs: 20 });
    peers.start(ctx);
    calls.start(ctx);
    ami.start();
    await ami.waitReady(5000);
    await pub.waitFor(() => !!pub.lastState('peers') && !!pub.lastState('calls'), 5000, 'first snapshots');
  });

  afterEach(async () => {
    peers.stop();
    calls.stop();
    await ami.stop();
    await sim.close();
  });

  it('loads the peers the PBX lists, with their status', () => {
    const snap = pub.lastState('peers');
    const names = snap.peers.map((p: any) => p.name);
    expect(names).toEqual(expect.arrayContaining(['100', '102', 'mytrunk']));
    const p100 = snap.peers.find((p: any) => p.name === '100');
    expect(p100.channel_type).toBe(dialect === '16' ? 'PJSIP' : 'SIP');
    expect(p100.status).toBe('ok');
    expect(snap.peers.find((p: any) => p.name === 'mytrunk').trunk).toBe(true);
  });

  it.each([
    ['internal', 'completed', 'internal'],
    ['outbound-trunk', 'completed', 'outbound'],
    ['busy', 'busy', 'internal'],
    ['no-answer', 'no_answer', 'internal'],
    ['cancel', 'cancelled', 'internal'],
    ['inbound-queue', 'completed', 'inbound'],
  ] as const)('scenario %s ends as %s, one call, direction %s', async (scenario, reason, direction) => {
    await sim.runScenario(scenario);
    // cdr_manager's Cdr event follows the last Hangup (reference §5.5).
    await pub.waitFor(
      () => pub.eventsOf('call.ended').length >= 1 && pub.eventsOf('cdr.new').length >= 1,
      5000,
      'call.ended and cdr.new',
    );
    expect(calls.list()).toEqual([]);
    const started = pub.eventsOf('call.started');
    const ended = pub.eventsOf('call.ended');
    expect(started).toHaveLength(1);
    expect(ended).toHaveLength(1);
    expect(ended[0].end.reason).toBe(reason);
    expect(ended[0].call.call_id).toBe(started[0].call.call_id);
    expect(ended[0].call.direction).toBe(direction);
    if (reason === 'cancelled') expect(ended[0].end.q850_code).not.toBe(127);
    expect(validateCallEnded(ended[0])).toEqual([]);
    const cdr = pub.eventsOf('cdr.new')[0];
    expect(cdr.disposition).toBe(
      { completed: 'ANSWERED', busy: 'BUSY', no_answer: 'NO ANSWER', cancelled: 'NO ANSWER' }[reason],
    );
  });

  it('an attended transfer leaves no ghost and marks the call transferred', async () => {
    await sim.runScenario('attended-transfer');
    await pub.waitFor(() => calls.list().length === 0, 5000, 'all calls gone');
    const updates = pub.eventsOf('call.updated').map((u) => u.change);
    expect(updates).toContain('transferred');
    const started = new Set(pub.eventsOf('call.started').map((s) => s.call.call_id));
    const ended = new Set(pub.eventsOf('call.ended').map((s) => s.call.call_id));
    expect(ended).toEqual(started);
  });

  it('many concurrent calls all start and end, none left behind', async () => {
    await sim.runScenario('concurrent', { count: 12 });
    await pub.waitFor(
      () => pub.eventsOf('call.ended').length >= 12 && calls.list().length === 0,
      8000,
      '12 ended calls',
    );
    expect(pub.eventsOf('call.started')).toHaveLength(12);
    expect(pub.eventsOf('call.ended')).toHaveLength(12);
  });

  it('announces peer transitions as peer.status', async () => {
    await sim.runScenario('peer-unreachable', { peer: '102' });
    await pub.waitFor(
      () => pub.eventsOf('peer.status').some((e) => e.name === '102' && e.status === 'unreachable'),
      5000,
      'unreachable',
    );
    if (dialect === '16') return; // PJSIP has no Lagged state (reference §16)
    await sim.runScenario('peer-lagged', { peer: '100' });
    await pub.waitFor(
      () => pub.eventsOf('peer.status').some((e) => e.name === '100' && e.status === 'lagged'),
      5000,
      'lagged',
    );
  });

  it('after the simulator drops AMI mid-call, resync leaves no ghost call', async () => {
    const done = sim.runScenario('internal', { speed: 0.02 });
    await pub.waitFor(() => calls.list().length === 1, 5000, 'a live call');
    sim.dropConnections();
    await done;
    await pub.waitFor(
      () => calls.list().length === 0 && pub.eventsOf('call.ended').length === 1,
      8000,
      'resynced without the call',
    );
  });
});
