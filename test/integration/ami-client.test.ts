// The AMI client's contract suite, run against the simulator in every dialect (Asterisk 1.8, 11, 13, 16).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPbxlinkError } from '../../agent/src/core/errors';
import { AmiActions } from '../../agent/src/pbx/ami/actions';
import type { AmiMessage } from '../../agent/src/pbx/ami/types';
import { makeClient, until } from '../fixtures/ami/client-harness';
import { type AmiSimulator, startAmiSimulator } from '../sim/server';

const DIALECTS = [
  { dialect: '1.8', amiVersion: '1.1', major: 1, commandFormat: 'follows', chanSip: true, pjsip: false },
  { dialect: '11', amiVersion: '1.3', major: 11, commandFormat: 'follows', chanSip: true, pjsip: false },
  { dialect: '13', amiVersion: '2.10.6', major: 13, commandFormat: 'follows', chanSip: true, pjsip: false },
  { dialect: '16', amiVersion: '5.0.5', major: 16, commandFormat: 'output', chanSip: false, pjsip: true },
] as const;

describe.each(DIALECTS)('AMI client against the simulator, Asterisk $dialect', (d) => {
  let sim: AmiSimulator;
  let c: ReturnType<typeof makeClient>;

  beforeEach(async () => {
    sim = await startAmiSimulator({
      dialect: d.dialect,
      username: 'admin',
      secret: 'amp111-secret',
      authFailDelayMs: 50,
    });
    c = makeClient(sim.port);
  });
  afterEach(async () => {
    await c.client.stop();
    await sim.close();
  });

  it('logs in, learns the dialect from CoreSettings and the probes, then signals resynced', async () => {
    c.client.start();
    await c.client.waitReady(5000);
    expect(c.client.state).toBe('connected');
    expect(c.client.dialect).toMatchObject({
      amiVersion: d.amiVersion,
      major: d.major,
      commandFormat: d.commandFormat,
      chanSip: d.chanSip,
      pjsip: d.pjsip,
    });
    expect(c.client.dialect?.asteriskVersion.startsWith(d.dialect)).toBe(true);
    expect(c.statuses).toEqual([
      { state: 'connecting' },
      { state: 'connected' },
      { state: 'connected', resynced: true },
    ]);
    const login = sim.actionsReceived.find((a) => a.action.toLowerCase() === 'login');
    // Only the classes the agent uses: dialplan/reporting noise stays in Asterisk (§1.2).
    expect(login?.headers).toMatchObject({ username: 'admin', events: 'system,call,agent,user,cdr' });
    const msgs = c.log.lines.map((l) => l.msg);
    expect(msgs).toContain('AMI connected');
    expect(msgs).toContain('AMI resynced');
    expect(c.log.text()).not.toContain('amp111-secret');
  });

  it('bad credentials: a clear error, state stopped, no retry', async () => {
    const bad = makeClient(sim.port, { secret: 'wrong' });
    bad.client.start();
    await expect(bad.client.waitReady(5000)).rejects.toThrow('AMI login failed for user "admin"');
    expect(bad.statuses.at(-1)).toEqual({ state: 'stopped', reason: 'AMI login failed for user "admin"' });
    await new Promise((r) => setTimeout(r, 400));
    expect(sim.actionsReceived.filter((a) => a.action.toLowerCase() === 'login')).toHaveLength(1);
    await bad.client.stop();
    expect(bad.live.size).toBe(0);
  });

  it('delivers subscribed events; dialplan noise never leaves Asterisk (login event mask)', async () => {
    c.client.start();
    await c.client.waitReady(5000);
    const named: AmiMessage[] = [];
    const all: AmiMessage[] = [];
    const noise: AmiMessage[] = [];
    c.client.onEvent(['PeerStatus'], (m) => named.push(m));
    c.client.onEvent('*', (m) => all.push(m));
    const off = c.client.onEvent(['VarSet'], (m) => noise.push(m));
    sim.emitEvent([
      ['Event', 'VarSet'],
      ['Privilege', 'dialplan,all'],
      ['Variable', 'X'],
      ['Value', '1'],
    ]);
    await sim.runScenario('peer-unreachable', { speed: 0 });
    await until(() => named.length > 0, 'PeerStatus');
    expect(named[0]?.headers.peerstatus).toBe('Unreachable');
    expect(named[0]?.headers.peer).toMatch(d.chanSip ? /^SIP\// : /^PJSIP\//);
    expect(all.some((m) => m.name === 'PeerStatus')).toBe(true);
    expect(all.some((m) => m.name === 'VarSet')).toBe(false);
    // The login mask excludes the dialplan class, so Asterisk does not send VarSet at all (§1.2); the
    // client-side noise filter (unit tests) is the second line for users whose mask cannot be narrowed.
    expect(noise).toEqual([]);
    off();
  });

  it('loses no event under a burst of concurrent calls', async () => {
    c.client.start();
    await c.client.waitReady(5000);
    const hangups: AmiMessage[] = [];
    c.client.onEvent(['Hangup'], (m) => hangups.push(m));
    const r = await sim.runScenario('concurrent', { speed: 0, count: 40 });
    expect(r.uniqueids.length).toBeGreaterThanOrEqual(40);
    await until(() => hangups.length >= r.uniqueids.length, 'every Hangup');
    const ids = new Set(hangups.map((m) => m.headers.uniqueid));
    expect([...ids].sort()).toEqual([...r.uniqueids].sort());
  });

  it('collects list actions until their completion event', async () => {
    c.client.start();
    await c.client.waitReady(5000);
    const a = new AmiActions(c.client);
    const sip = await a.sipPeers();
    const pj = await a.pjsipEndpoints();
    if (d.chanSip) {
      expect(sip.map((p) => p.headers.objectname).sort()).toEqual(sim.peers.map((p) => p.name).sort());
      expect(pj).toEqual([]);
    } else {
      expect(sip).toEqual([]);
      expect(pj.map((p) => p.headers.objectname).sort()).toEqual(sim.peers.map((p) => p.name).sort());
    }
    const call = sim.runScenario('inbound-queue', { speed: 0.1 });
    await until(() => sim.channels.length > 0, 'a channel');
    const chans = await a.coreShowChannels();
    expect(chans.length).toBeGreaterThan(0);
    expect(chans[0]?.headers.channel).toBeTruthy();
    await call;
  });

  it('runs CLI commands in this dialect’s format and returns the output lines', async () => {
    c.client.start();
    await c.client.waitReady(5000);
    const version = await c.client.command('core show version');
    expect(version.join('\n')).toContain(`Asterisk ${c.client.dialect?.asteriskVersion}`);
    const unknown = await c.client.command('no such thing');
    expect(unknown.join('\n')).toMatch(/No such command/);
    const cmd = sim.actionsReceived.filter((a) => a.action.toLowerCase() === 'command');
    expect(cmd.map((a) => a.headers.command)).toEqual(['core show version', 'no such thing']);
    if (d.chanSip) {
      const peers = await c.client.command('sip show peers');
      expect(peers[0]).toMatch(/^Name\/username +Host/);
      expect(peers.at(-1)).toMatch(new RegExp(`^${sim.peers.length} sip peers \\[Monitored: `));
    }
    const channels = await c.client.command('core show channels');
    expect(channels.at(-1)).toMatch(/calls? processed$/);
  });

  it('reads and writes AstDB, handling this dialect’s DBGet and DBDel (§6.1)', async () => {
    c.client.start();
    await c.client.waitReady(5000);
    const a = new AmiActions(c.client);
    await a.dbPut('AMPUSER', '100/cidname', 'Alice Smith');
    expect(sim.astdb.get('/AMPUSER/100/cidname')).toBe('Alice Smith');
    expect(await a.dbGet('AMPUSER', '100/cidname')).toBe('Alice Smith');
    expect(await a.dbGet('AMPUSER', '999/none')).toBeUndefined();
    expect(await a.dbDel('AMPUSER', '100/cidname')).toBe(true);
    expect(sim.astdb.has('/AMPUSER/100/cidname')).toBe(false);
    expect(await a.dbDel('AMPUSER', '100/cidname')).toBe(false);
    await a.dbPut('CF', '100', '5551234');
    await a.dbPut('CF', '101', '5550000');
    expect(await a.dbDelTree('CF')).toBe(true);
    expect(await a.dbDelTree('CF')).toBe(false);
    expect([...sim.astdb.keys()].filter((k) => k.startsWith('/CF/'))).toEqual([]);
    await expect(a.dbPut('AMPUSER', 'x\r\nAction: Logoff', 'v')).rejects.toMatchObject({
      code: 'invalid_args',
    });
    sim.failNext('DBPut');
    await expect(a.dbPut('AMPUSER', '100/cidname', 'Bob')).rejects.toMatchObject({
      code: 'internal',
      message: 'AMI DBPut failed: Failed to update entry',
    });
    expect(await a.ping()).toBeGreaterThanOrEqual(0);
  });

  it('times an action out with PbxlinkError unavailable when the PBX stalls', async () => {
    c.client.start();
    await c.client.waitReady(5000);
    sim.setStalled(true);
    const err = await c.client.action('Ping', {}, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(isPbxlinkError(err) && err.code).toBe('unavailable');
    expect((err as Error).message).toMatch(/timed out after 150 ms/);
    sim.setStalled(false);
    const pong = await c.client.action('Ping');
    expect(pong.headers.ping).toBe('Pong');
  });
});
