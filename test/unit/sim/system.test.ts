// Session limits (§1.1), reload/shutdown events (§5.7), event stamps and the socket-free traffic generator.
import { afterEach, describe, expect, it } from 'vitest';
import { type AmiSimulator, startAmiSimulator } from '../../sim/server';
import { generateTraffic } from '../../sim/traffic';
import { login, RawClient } from './raw-client';

let sim: AmiSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('session limits (§1.1)', () => {
  it('authtimeout closes an unauthenticated session silently', async () => {
    sim = await startAmiSimulator({ dialect: '11', authTimeoutMs: 100 });
    const c = await RawClient.open(sim.port);
    await c.readUntil('\r\n');
    await c.waitClosed(2000);
    expect(await c.drain(0)).toBe('');
    const ok = await login(sim.port);
    await new Promise((r) => setTimeout(r, 200));
    expect(ok.closed).toBe(false);
    ok.close();
  });

  it('allowmultiplelogin=no: the second login of a user waits, gets Login Already In Use, is closed', async () => {
    sim = await startAmiSimulator({ dialect: '13', allowMultipleLogin: false, authFailDelayMs: 30 });
    const first = await login(sim.port);
    const c = await RawClient.open(sim.port);
    await c.readUntil('\r\n');
    c.action(['Action: Login', 'Username: admin', 'Secret: amp111', 'ActionID: 2']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Error\r\nActionID: 2\r\nMessage: Login Already In Use\r\n\r\n',
    );
    await c.waitClosed();
    expect(first.closed).toBe(false);
    first.close();
  });
});

describe('reload and shutdown events (§5.7)', () => {
  it('1.8/11: Reload action ⇒ Manager and CDR Reload events and ChannelReload; sip reload ⇒ CLIRELOAD', async () => {
    sim = await startAmiSimulator({ dialect: '11' });
    const c = await login(sim.port, { events: 'on' });
    c.action(['Action: Reload', 'ActionID: r']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Success\r\nActionID: r\r\nMessage: Module Reloaded\r\n\r\n',
    );
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Event: Reload\r\nPrivilege: system,all\r\nModule: Manager\r\nStatus: Enabled\r\nMessage: Manager reload Requested\r\n\r\n',
    );
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Event: Reload\r\nPrivilege: system,all\r\nModule: CDR\r\nMessage: CDR subsystem reload requested\r\n\r\n',
    );
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Event: ChannelReload\r\nPrivilege: system,all\r\nChannelType: SIP\r\n' +
        `ReloadReason: RELOAD (Channel module reload)\r\nRegistry_Count: 0\r\nPeer_Count: ${sim.peers.length}\r\n\r\n`,
    );
    c.action(['Action: Command', 'Command: sip reload']);
    await c.readUntil('--END COMMAND--\r\n\r\n');
    expect(await c.readUntil('\r\n\r\n')).toContain('ReloadReason: CLIRELOAD (');
    c.action(['Action: Reload', 'Module: chan_nope.so']);
    expect(await c.readUntil('\r\n\r\n')).toBe('Response: Error\r\nMessage: No such module\r\n\r\n');
    c.close();
  });

  it('13: one Reload event with Module and Status', async () => {
    sim = await startAmiSimulator({ dialect: '13' });
    const c = await login(sim.port, { events: 'on' });
    c.action(['Action: Command', 'Command: module reload']);
    await c.readUntil('--END COMMAND--\r\n\r\n');
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Event: Reload\r\nPrivilege: system,all\r\nModule: All\r\nStatus: 0\r\n\r\n',
    );
    c.close();
  });

  it('shutdown: Shutdown Uncleanly while a call is up, then the connection closes', async () => {
    sim = await startAmiSimulator({ dialect: '16' });
    const c = await login(sim.port, { events: 'system' });
    sim.calls.newChannel({
      peer: '100',
      callerNum: '100',
      callerName: 'Alice',
      context: 'from-internal',
      exten: '102',
    });
    sim.shutdown({ restart: true });
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Event: Shutdown\r\nPrivilege: system,all\r\nShutdown: Uncleanly\r\nRestart: True\r\n\r\n',
    );
    await c.waitClosed();
  });
});

describe('benchmark aids', () => {
  it('stampEvents appends SimSentAt (epoch ms) as the last header; off by default', async () => {
    sim = await startAmiSimulator({ dialect: '13', stampEvents: true });
    const c = await login(sim.port, { events: 'on' });
    const before = Date.now();
    sim.emit({ name: 'Reload', cls: 'system', body: [['Module', 'All']] });
    const m =
      /^Event: Reload\r\nPrivilege: system,all\r\nModule: All\r\nSimSentAt: (\d+\.\d{3})\r\n\r\n$/.exec(
        await c.readUntil('\r\n\r\n'),
      );
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - before)).toBeLessThan(1000);
    c.close();
  });

  it('generateTraffic produces framed call events up to the target size, in bounded chunks', async () => {
    const chunks: string[] = [];
    const r = await generateTraffic({ dialect: '11', targetBytes: 300_000, onChunk: (c) => chunks.push(c) });
    const text = chunks.join('');
    expect(r.bytes).toBe(text.length);
    expect(r.bytes).toBeGreaterThanOrEqual(300_000);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(70_000);
    const msgs = text.split('\r\n\r\n').filter(Boolean);
    expect(msgs).toHaveLength(r.events);
    for (const m of msgs) expect(m).toMatch(/^Event: \w+\r\nPrivilege: \w+,all\r\n/);
    // Every call of the default mix has two channels and ends with its Cdr.
    expect(msgs.filter((m) => m.startsWith('Event: Cdr\r\n'))).toHaveLength(r.calls);
    expect(msgs.filter((m) => m.startsWith('Event: Newchannel\r\n'))).toHaveLength(r.calls * 2);
  });
});

describe('opt-in §15 quirks', () => {
  it('followsBlankLine, listEventLfEnd and completionWithoutActionId change exactly those bytes', async () => {
    sim = await startAmiSimulator({
      dialect: '11',
      peers: [{ name: '100', status: 'unmonitored' }],
      quirks: { followsBlankLine: true, listEventLfEnd: true, completionWithoutActionId: true },
    });
    const c = await login(sim.port);
    c.action(['Action: Command', 'Command: database get F k', 'ActionID: q']);
    expect(await c.readUntil('--END COMMAND--\r\n\r\n')).toBe(
      'Response: Follows\r\nPrivilege: Command\r\nActionID: q\r\n\r\nDatabase entry not found.\n--END COMMAND--\r\n\r\n',
    );
    c.action(['Action: SIPpeers', 'ActionID: p']);
    const text = await c.readUntil('ListItems: 1\r\n\n');
    expect(
      text.startsWith(
        'Response: Success\r\nActionID: p\r\nEventList: start\r\nMessage: Peer status list will follow\r\n\r\nEvent: PeerEntry\r\nActionID: p\r\n',
      ),
    ).toBe(true);
    expect(text).toContain(
      'RealtimeDevice: no\r\nDescription: \r\n\nEvent: PeerlistComplete\r\nEventList: Complete\r\nListItems: 1\r\n\n',
    );
    c.close();
  });
});

describe('profile overrides', () => {
  it('14.0 (banner 2.8.0, as 13.5–13.12) answers Command with Output: lines; only CoreSettings tells (§0.3)', async () => {
    sim = await startAmiSimulator({
      dialect: '13',
      profileOverrides: { amiVersion: '2.8.0', asteriskVersion: '14.0.0', commandFormat: 'output' },
    });
    const c = await RawClient.open(sim.port);
    expect(await c.readUntil('\r\n')).toBe('Asterisk Call Manager/2.8.0\r\n');
    c.action(['Action: Login', 'Username: admin', 'Secret: amp111', 'Events: off']);
    await c.readUntil('\r\n\r\n');
    c.action(['Action: CoreSettings']);
    expect(await c.readUntil('\r\n\r\n')).toContain('\r\nAMIversion: 2.8.0\r\nAsteriskVersion: 14.0.0\r\n');
    c.action(['Action: Command', 'Command: database get F k']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Success\r\nMessage: Command output follows\r\nOutput: Database entry not found.\r\n\r\n',
    );
    c.close();
  });

  it('13 with chan_pjsip loaded answers both SIPpeers and PJSIPShowEndpoints', async () => {
    sim = await startAmiSimulator({ dialect: '13', profileOverrides: { pjsip: true } });
    const c = await login(sim.port);
    c.action(['Action: PJSIPShowEndpoints']);
    expect(await c.readUntil('Event: EndpointListComplete')).toContain(
      'Event: EndpointList\r\nObjectType: endpoint\r\n',
    );
    await c.readUntil('\r\n\r\n');
    c.action(['Action: SIPpeers']);
    expect(await c.readUntil('\r\n\r\n')).toContain('Message: Peer status list will follow');
    c.close();
  });
});
