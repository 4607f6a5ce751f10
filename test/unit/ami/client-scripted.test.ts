// Client behaviour on byte sequences the simulator does not produce: a scripted TCP server on 127.0.0.1 answers
// each action with reference bytes (§0.3 ambiguous banner, §15 completion events without ActionID).
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AmiActions } from '../../../agent/src/pbx/ami/actions';
import { majorFromBanner, majorFromVersion, makeDialect } from '../../../agent/src/pbx/ami/dialect';
import { encodeAction } from '../../../agent/src/pbx/ami/encode';
import { makeClient } from '../../fixtures/ami/client-harness';
import { msg } from '../../fixtures/ami/transcripts';

type Reply = (a: Record<string, string>, id: string) => string;

/** A server that greets with `banner` and answers actions via `script[action]` (default: Success). */
async function scripted(
  banner: string,
  script: Record<string, Reply>,
): Promise<{ server: Server; port: number; got: Record<string, string>[] }> {
  const got: Record<string, string>[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.write(`Asterisk Call Manager/${banner}\r\n`);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let i = buf.indexOf('\r\n\r\n');
      while (i >= 0) {
        const a: Record<string, string> = {};
        for (const l of buf.slice(0, i).split('\r\n')) {
          const c = l.indexOf(': ');
          if (c > 0) a[l.slice(0, c).toLowerCase()] = l.slice(c + 2);
        }
        buf = buf.slice(i + 4);
        got.push(a);
        const id = a.actionid ?? '';
        const reply = script[a.action ?? ''];
        s.write(reply ? reply(a, id) : msg('Response: Success', `ActionID: ${id}`, 'Message: ok'));
        i = buf.indexOf('\r\n\r\n');
      }
    });
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0, got };
}

const unknown = (a: Record<string, string>, id: string) =>
  msg(
    'Response: Error',
    `ActionID: ${id}`,
    `Message: Invalid/unknown command: ${a.action}. Use Action: ListCommands to show available commands.`,
  );
const core = (v: string) => (_a: Record<string, string>, id: string) =>
  msg('Response: Success', `ActionID: ${id}`, 'AMIversion: 2.8.0', `AsteriskVersion: ${v}`);

const noPeers = (_a: Record<string, string>, id: string) =>
  msg('Response: Success', `ActionID: ${id}`, 'EventList: start', 'Message: Peer status list will follow') +
  msg('Event: PeerlistComplete', `ActionID: ${id}`, 'EventList: Complete', 'ListItems: 0');

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('dialect detection', () => {
  it.each([
    ['11.25.3', 11],
    ['1.8.32.3', 1],
    ['certified/13.8-cert4', 13],
    ['GIT-16-abc123', 16],
  ])('AsteriskVersion %s → major %i', (v, major) => expect(majorFromVersion(v)).toBe(major));

  it.each([
    ['1.1', 1],
    ['1.3', 11],
    ['2.10.6', 13],
    ['2.8.0', 13],
    ['3.2.0', 14],
    ['5.0.5', 16],
  ])('banner %s → major %i when CoreSettings fails (§0.3)', (b, major) =>
    expect(majorFromBanner(b)).toBe(major),
  );

  it('the Command format flips at 14, not 13 (§14 trap 1)', () => {
    const d = (v: string) =>
      makeDialect({ amiVersion: '2.8.0', asteriskVersion: v, chanSip: true, pjsip: true }).commandFormat;
    expect([d('13.38.3'), d('14.0.1'), d('16.30.0')]).toEqual(['follows', 'output', 'output']);
  });

  it.each([
    ['13.7.0', 'follows'],
    ['14.0.1', 'output'],
  ])('banner 2.8.0 is ambiguous: CoreSettings %s decides %s (§0.3)', async (version, format) => {
    const s = await scripted('2.8.0', {
      CoreSettings: core(version),
      SIPpeers: noPeers,
      PJSIPShowEndpoints: unknown,
    });
    server = s.server;
    const c = makeClient(s.port);
    c.client.start();
    await c.client.waitReady(3000);
    expect(c.client.dialect).toMatchObject({
      amiVersion: '2.8.0',
      asteriskVersion: version,
      commandFormat: format,
      chanSip: true,
      pjsip: false,
    });
    await c.client.stop();
  });
});

describe('list completion variants (§3.1, §15)', () => {
  it('a completion event without ActionID, or with nothing but Event:, closes the list', async () => {
    const s = await scripted('1.3', {
      CoreSettings: core('11.25.3'),
      PJSIPShowEndpoints: unknown,
      SIPpeers: (_a, id) =>
        msg(
          'Response: Success',
          `ActionID: ${id}`,
          'EventList: start',
          'Message: Peer status list will follow',
        ) +
        msg('Event: PeerEntry', `ActionID: ${id}`, 'ObjectName: 100', 'Status: OK (5 ms)') +
        msg('Event: PeerlistComplete', 'EventList: Complete', 'ListItems: 1'),
      CoreShowChannels: (_a, id) =>
        msg('Response: Success', `ActionID: ${id}`, 'EventList: start', 'Message: Channels will follow') +
        msg('Event: CoreShowChannelsComplete'),
      DBGet: (_a, id) =>
        // 1.8/11: no EventList at all, ActionID after Val (§6.1).
        msg('Response: Success', `ActionID: ${id}`, 'Message: Result will follow') +
        msg('Event: DBGetResponse', 'Family: AMPUSER', 'Key: 100/cidname', 'Val: Alice', `ActionID: ${id}`) +
        msg('Event: DBGetComplete', `ActionID: ${id}`),
    });
    server = s.server;
    const c = makeClient(s.port);
    c.client.start();
    await c.client.waitReady(3000);
    const a = new AmiActions(c.client);
    expect((await a.sipPeers()).map((p) => p.headers.objectname)).toEqual(['100']);
    expect(await a.coreShowChannels()).toEqual([]);
    expect(await a.dbGet('AMPUSER', '100/cidname')).toBe('Alice');
    // ActionIDs are unique on the connection.
    const ids = s.got.map((x) => x.actionid);
    expect(new Set(ids).size).toBe(ids.length);
    await c.client.stop();
  });
});

describe('encodeAction', () => {
  it('writes CRLF lines ending in an empty line, and neutralises CR/LF in values', () => {
    expect(encodeAction('DBPut', '1.2', { Family: 'A', Val: 'x\r\nAction: Logoff' })).toBe(
      'Action: DBPut\r\nActionID: 1.2\r\nFamily: A\r\nVal: x  Action: Logoff\r\n\r\n',
    );
  });
});

describe('lifecycle', () => {
  it('actions before start reject with unavailable; stop is idempotent; start after stop connects again', async () => {
    const s = await scripted('1.3', {
      CoreSettings: core('11.25.3'),
      SIPpeers: noPeers,
      PJSIPShowEndpoints: unknown,
    });
    server = s.server;
    const c = makeClient(s.port);
    await expect(c.client.action('Ping')).rejects.toMatchObject({
      code: 'unavailable',
      message: 'AMI not connected (action Ping)',
    });
    await c.client.stop();
    await c.client.stop();
    c.client.start();
    await c.client.waitReady(3000);
    await c.client.stop();
    expect(c.client.state).toBe('stopped');
    c.client.start();
    await c.client.waitReady(3000);
    expect(c.resyncs()).toBe(2);
    await c.client.stop();
    expect(c.live.size).toBe(0);
  });

  it('a server that never greets hits the connect timeout and is retried', async () => {
    const silent = createServer(() => {});
    server = silent;
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const addr = silent.address();
    const c = makeClient(typeof addr === 'object' && addr ? addr.port : 0, { connectTimeoutMs: 100 });
    c.client.start();
    await new Promise((r) => setTimeout(r, 500));
    const connecting = c.statuses.filter((x) => x.state === 'connecting').length;
    expect(connecting).toBeGreaterThanOrEqual(2);
    await c.client.stop();
    expect(c.live.size).toBe(0);
    silent.close();
  });
});
