// Login rules, errors, event mask and connection faults of the simulator, per dialect, on raw sockets (§1, §16).
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../sim/profiles';
import { type AmiSimulator, startAmiSimulator } from '../../sim/server';
import { login, RawClient } from './raw-client';

let sim: AmiSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const BANNERS = { '1.8': '1.1', '11': '1.3', '13': '2.10.6', '16': '5.0.5' } as const;
const VERSIONS = { '1.8': '1.8.32.3', '11': '11.25.3', '13': '13.38.3', '16': '16.30.0' } as const;

describe.each(DIALECTS)('session rules, dialect %s', (dialect) => {
  it('greets with the banner and refuses actions before login, keeping the connection', async () => {
    sim = await startAmiSimulator({ dialect });
    const c = await RawClient.open(sim.port);
    expect(await c.readUntil('\r\n')).toBe(`Asterisk Call Manager/${BANNERS[dialect]}\r\n`);
    c.action(['Action: Ping', 'ActionID: x1']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Error\r\nActionID: x1\r\nMessage: Permission denied\r\n\r\n',
    );
    c.action(['ActionID: x2']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Error\r\nActionID: x2\r\nMessage: Missing action in request\r\n\r\n',
    );
    expect(c.closed).toBe(false);
    c.close();
  });

  it('bad secret: waits the configured delay, answers Authentication failed, closes', async () => {
    sim = await startAmiSimulator({ dialect, authFailDelayMs: 80 });
    const c = await RawClient.open(sim.port);
    await c.readUntil('\r\n');
    const t0 = Date.now();
    c.action(['Action: Login', 'Username: admin', 'Secret: wrong', 'ActionID: L1']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Error\r\nActionID: L1\r\nMessage: Authentication failed\r\n\r\n',
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
    await c.waitClosed();
  });

  it('login with events on pushes FullyBooted (16: Uptime and LastReload before Status)', async () => {
    sim = await startAmiSimulator({ dialect });
    const c = await RawClient.open(sim.port);
    await c.readUntil('\r\n');
    c.action(['Action: Login', 'Username: admin', 'Secret: amp111']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Success\r\nMessage: Authentication accepted\r\n\r\n',
    );
    const fb = await c.readUntil('\r\n\r\n');
    if (dialect === '16') {
      expect(fb).toMatch(
        /^Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: \d+\r\nLastReload: \d+\r\nStatus: Fully Booted\r\n\r\n$/,
      );
    } else {
      expect(fb).toBe('Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n');
    }
    c.action(['Action: Login', 'Username: admin', 'Secret: amp111']);
    expect(await c.readUntil('\r\n\r\n')).toBe('Response: Success\r\nMessage: Already authenticated\r\n\r\n');
    c.close();
  });

  it('Events: off suppresses FullyBooted and later events; Action Events toggles; bad mask is an error', async () => {
    sim = await startAmiSimulator({ dialect });
    const c = await login(sim.port, { events: 'off' });
    sim.emit({ name: 'Reload', cls: 'system', body: [['Module', 'All']] });
    c.action(['Action: Events', 'EventMask: on', 'ActionID: e1']);
    expect(await c.readUntil('\r\n\r\n')).toBe('Response: Success\r\nActionID: e1\r\nEvents: On\r\n\r\n');
    sim.emit({ name: 'Reload', cls: 'system', body: [['Module', 'All']] });
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Event: Reload\r\nPrivilege: system,all\r\nModule: All\r\n\r\n',
    );
    c.action(['Action: Events', 'EventMask: cdr']);
    expect(await c.readUntil('\r\n\r\n')).toBe('Response: Success\r\nEvents: On\r\n\r\n');
    sim.emit({ name: 'Reload', cls: 'system', body: [['Module', 'All']] });
    c.action(['Action: Events', 'EventMask: nonsense']);
    expect(await c.readUntil('\r\n\r\n')).toBe('Response: Error\r\nMessage: Invalid event mask\r\n\r\n');
    c.action(['Action: Events', 'EventMask: off']);
    expect(await c.readUntil('\r\n\r\n')).toBe('Response: Success\r\nEvents: Off\r\n\r\n');
    c.close();
  });

  it('unknown action text, Ping with Timestamp, CoreSettings version, Logoff closes', async () => {
    sim = await startAmiSimulator({ dialect });
    const c = await login(sim.port);
    c.action(['Action: Frobnicate', 'ActionID: u']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Error\r\nActionID: u\r\nMessage: Invalid/unknown command: Frobnicate. Use Action: ListCommands to show available commands.\r\n\r\n',
    );
    c.action(['Action: Ping']);
    expect(await c.readUntil('\r\n\r\n')).toMatch(
      /^Response: Success\r\nPing: Pong\r\nTimestamp: \d{10}\.\d{6}\r\n\r\n$/,
    );
    c.action(['action: coresettings', 'actionid: cs']);
    const cs = await c.readUntil('\r\n\r\n');
    expect(cs).toContain(`\r\nAMIversion: ${BANNERS[dialect]}\r\nAsteriskVersion: ${VERSIONS[dialect]}\r\n`);
    expect(cs.startsWith('Response: Success\r\nActionID: cs\r\n')).toBe(true);
    expect(cs).not.toContain('Message:');
    c.action(['Action: Logoff', 'ActionID: bye']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Goodbye\r\nActionID: bye\r\nMessage: Thanks for all the fish.\r\n\r\n',
    );
    await c.waitClosed();
  });
});

describe('session details', () => {
  it('accepts bare-LF actions, first header occurrence wins, Action skips empty', async () => {
    sim = await startAmiSimulator({ dialect: '11' });
    const c = await RawClient.open(sim.port);
    await c.readUntil('\r\n');
    c.send('Action:\nAction: Login\nUsername: admin\nSecret: amp111\nSecret: other\nEvents: off\n\n');
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Success\r\nMessage: Authentication accepted\r\n\r\n',
    );
    expect(sim.actionsReceived.map((a) => a.action)).toEqual(['Login']);
    c.close();
  });

  it('MD5 challenge login', async () => {
    sim = await startAmiSimulator({ dialect: '13', secret: 's3cret' });
    const c = await RawClient.open(sim.port);
    await c.readUntil('\r\n');
    c.action(['Action: Challenge', 'AuthType: MD5', 'ActionID: ch']);
    const r = await c.readUntil('\r\n\r\n');
    const m = /^Response: Success\r\nActionID: ch\r\nChallenge: (\d+)\r\n\r\n$/.exec(r);
    expect(m).not.toBeNull();
    const key = createHash('md5').update(`${m![1]}s3cret`).digest('hex');
    c.action(['Action: Login', 'AuthType: MD5', 'Username: admin', `Key: ${key}`, 'Events: off']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Success\r\nMessage: Authentication accepted\r\n\r\n',
    );
    c.close();
  });

  it('timestampevents=yes puts Timestamp right after Privilege', async () => {
    sim = await startAmiSimulator({ dialect: '11', timestampEvents: true });
    const c = await login(sim.port, { events: 'on' });
    sim.emit({ name: 'Reload', cls: 'system', body: [['Module', 'All']] });
    expect(await c.readUntil('\r\n\r\n')).toMatch(
      /^Event: Reload\r\nPrivilege: system,all\r\nTimestamp: \d+\.\d{6}\r\nModule: All\r\n\r\n$/,
    );
    c.close();
  });

  it('failNext answers Error for the next n actions of a kind, then recovers; drop mode closes', async () => {
    sim = await startAmiSimulator({ dialect: '11' });
    const c = await login(sim.port);
    sim.failNext('DBPut', 1);
    const put = (v: string) => c.action(['Action: DBPut', 'Family: F', 'Key: k', `Val: ${v}`]);
    put('a');
    expect(await c.readUntil('\r\n\r\n')).toBe('Response: Error\r\nMessage: Failed to update entry\r\n\r\n');
    put('b');
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Success\r\nMessage: Updated database successfully\r\n\r\n',
    );
    expect(sim.astdb.get('/F/k')).toBe('b');
    sim.failNext('dbput', 1, { mode: 'drop' });
    put('c');
    await c.waitClosed();
    expect(sim.astdb.get('/F/k')).toBe('b');
  });

  it('stall holds answers and greetings until released; garbage and drops reach the client', async () => {
    sim = await startAmiSimulator({ dialect: '13' });
    const c = await login(sim.port);
    sim.setStalled(true);
    c.action(['Action: Ping', 'ActionID: s1']);
    const late = await RawClient.open(sim.port);
    expect(await c.drain(100)).toBe('');
    expect(await late.drain(0)).toBe('');
    sim.setStalled(false);
    expect(await c.readUntil('\r\n\r\n')).toContain('ActionID: s1\r\nPing: Pong');
    expect(await late.readUntil('\r\n')).toBe('Asterisk Call Manager/2.10.6\r\n');
    sim.sendGarbage(Buffer.from([0xff, 0xfe, 0x00, 0x41]));
    expect(await c.readBytes(4)).toBe('\xff\xfe\x00A');
    expect(sim.connections()).toBe(2);
    sim.dropConnections();
    await c.waitClosed();
    await late.waitClosed();
  });
});
