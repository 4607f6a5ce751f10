// Reconnect, keep-alive and leak checks of the AMI client, run against the simulator in every dialect.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPbxlinkError } from '../../agent/src/core/errors';
import type { AmiMessage } from '../../agent/src/pbx/ami/types';
import { makeClient, tcpSockets, until } from '../fixtures/ami/client-harness';
import { type AmiSimulator, startAmiSimulator } from '../sim/server';

const OPTS = { username: 'admin', secret: 'amp111-secret' };

describe.each(['1.8', '11', '13', '16'] as const)('AMI client reconnects, Asterisk %s', (dialect) => {
  let sim: AmiSimulator;
  let baseline: number;

  beforeEach(async () => {
    sim = await startAmiSimulator({ dialect, ...OPTS });
    baseline = tcpSockets();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('simulator killed and restarted mid-stream: pending actions fail, the client reconnects, resyncs, leaks nothing', async () => {
    const c = makeClient(sim.port);
    const events: AmiMessage[] = [];
    c.client.onEvent(['PeerStatus', 'Hangup'], (m) => events.push(m));
    c.client.start();
    await c.client.waitReady(5000);
    // Mid-stream: a call is running and an action is in flight when the PBX dies.
    const call = sim.runScenario('concurrent', { speed: 0.05, count: 5 }).catch(() => undefined);
    sim.setStalled(true);
    const inFlight = c.client.action('CoreSettings', {}, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    const port = sim.port;
    await sim.close();
    const err = await inFlight;
    expect(isPbxlinkError(err) && err.code).toBe('unavailable');
    expect((err as Error).message).toBe('AMI connection lost');
    await until(() => c.statuses.some((s) => s.state === 'disconnected'), 'disconnected');
    await expect(c.client.action('Ping')).rejects.toMatchObject({ code: 'unavailable' });
    await call;

    sim = await startAmiSimulator({ dialect, ...OPTS, port });
    await until(() => c.resyncs() === 2, 'second resynced');
    expect(c.client.state).toBe('connected');
    expect(c.log.lines.map((l) => l.msg)).toContain('AMI connection lost');
    events.length = 0;
    await sim.runScenario('peer-register', { speed: 0 });
    await until(() => events.some((m) => m.name === 'PeerStatus'), 'PeerStatus after reconnect');
    expect((await c.client.action('Ping')).headers.ping).toBe('Pong');

    await c.client.stop();
    expect(c.client.state).toBe('stopped');
    expect(c.live.size).toBe(0);
    await until(() => tcpSockets() === baseline, 'sockets closed');
  });

  it('dropped connection: reconnects with backoff and signals resynced again', async () => {
    const c = makeClient(sim.port);
    c.client.start();
    await c.client.waitReady(5000);
    sim.dropConnections();
    await until(() => c.resyncs() === 2, 'resynced after drop');
    const states = c.statuses.map((s) => s.state);
    expect(states.slice(3)).toEqual(['disconnected', 'connecting', 'connected', 'connected']);
    await c.client.stop();
    expect(c.live.size).toBe(0);
    await until(() => tcpSockets() === baseline, 'sockets closed');
  });

  it('a missed Pong forces a reconnect', async () => {
    const c = makeClient(sim.port, { pingIntervalMs: 100, pingTimeoutMs: 100 });
    c.client.start();
    await c.client.waitReady(5000);
    sim.setStalled(true);
    await until(() => c.statuses.some((s) => s.state === 'disconnected'), 'disconnect on missed Pong');
    expect(c.log.lines.map((l) => l.msg)).toContain('AMI Ping unanswered; reconnecting');
    sim.setStalled(false);
    await until(() => c.resyncs() >= 2, 'resynced after stall');
    await c.client.stop();
    expect(c.live.size).toBe(0);
  });

  it('a peer that never ends a message hits the cap: error, reconnect, memory bounded', async () => {
    const c = makeClient(sim.port, { maxMessageBytes: 64 * 1024 });
    c.client.start();
    await c.client.waitReady(5000);
    sim.sendGarbage(`Event: Endless\r\nValue: ${'z'.repeat(512 * 1024)}`);
    await until(() => c.resyncs() === 2, 'resynced after garbage');
    expect(c.log.lines.map((l) => l.msg)).toContain('AMI stream error; reconnecting');
    await c.client.stop();
    expect(c.live.size).toBe(0);
  });

  it('stop() while waiting to reconnect clears the backoff timer', async () => {
    const c = makeClient(sim.port, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    c.client.start();
    await c.client.waitReady(5000);
    await sim.close();
    await until(() => c.statuses.some((s) => s.state === 'disconnected'), 'disconnected');
    expect(c.live.size).toBe(1);
    await c.client.stop();
    expect(c.live.size).toBe(0);
    expect(c.statuses.at(-1)).toEqual({ state: 'stopped' });
    await until(() => tcpSockets() === baseline, 'sockets closed');
  });
});
