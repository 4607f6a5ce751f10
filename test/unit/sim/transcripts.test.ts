// The simulator's bytes against the reference transcripts (Appendix A.1, A.2, A.3), byte for byte.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerSpec } from '../../sim/model';
import { type AmiSimulator, startAmiSimulator } from '../../sim/server';
import { fromNotation, RawClient } from './raw-client';

// The two peers of Appendix A.1: 100 registered with username, 101 offline.
const A1_PEERS: PeerSpec[] = [
  {
    name: '100',
    username: '100',
    ip: '192.168.1.50',
    port: 5060,
    dynamic: true,
    forcerport: 'yes',
    comedia: 'yes',
    acl: true,
    status: 'ok',
    latencyMs: 12,
  },
  { name: '101', dynamic: true, forcerport: 'yes', comedia: 'yes', acl: true, status: 'unknown' },
];

// Appendix A.1 verbatim (server side only), in the reference notation.
const A1_SERVER = `
Asterisk Call Manager/1.3<CRLF>
Response: Success<CRLF>
ActionID: L1<CRLF>
Message: Authentication accepted<CRLF>
<CRLF>
Response: Success<CRLF>
ActionID: P1<CRLF>
Ping: Pong<CRLF>
Timestamp: 1700000000.123456<CRLF>
<CRLF>
Response: Follows<CRLF>
Privilege: Command<CRLF>
ActionID: C1<CRLF>
Name/username             Host                                    Dyn Forcerport Comedia    ACL Port     Status      Description                      <LF>
100/100                   192.168.1.50                             D  Yes        Yes         A  5060     OK (12 ms)                                   <LF>
101                       (Unspecified)                            D  Yes        Yes         A  0        UNKNOWN                                      <LF>
2 sip peers [Monitored: 1 online, 1 offline Unmonitored: 0 online, 0 offline]<LF>
--END COMMAND--<CRLF>
<CRLF>
Response: Success<CRLF>
ActionID: D1<CRLF>
Message: Result will follow<CRLF>
<CRLF>
Event: DBGetResponse<CRLF>
Family: AMPUSER<CRLF>
Key: 100/cidname<CRLF>
Val: Alice<CRLF>
ActionID: D1<CRLF>
<CRLF>
Event: DBGetComplete<CRLF>
ActionID: D1<CRLF>
<CRLF>
Response: Goodbye<CRLF>
Message: Thanks for all the fish.<CRLF>
<CRLF>
`;

const A2_DBGET = `
Response: Success<CRLF>
ActionID: D1<CRLF>
EventList: start<CRLF>
Message: Result will follow<CRLF>
<CRLF>
Event: DBGetResponse<CRLF>
Family: AMPUSER<CRLF>
Key: 100/cidname<CRLF>
Val: Alice<CRLF>
ActionID: D1<CRLF>
<CRLF>
Event: DBGetComplete<CRLF>
ActionID: D1<CRLF>
EventList: Complete<CRLF>
ListItems: 1<CRLF>
<CRLF>
`;

const CLIENT_STEPS = [
  ['Action: Login', 'Username: admin', 'Secret: elastix456', 'Events: off', 'ActionID: L1'],
  ['Action: Ping', 'ActionID: P1'],
  ['Action: Command', 'Command: sip show peers', 'ActionID: C1'],
  ['Action: DBGet', 'Family: AMPUSER', 'Key: 100/cidname', 'ActionID: D1'],
  ['Action: Logoff'],
];

let sim: AmiSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function runA1(dialect: '11' | '13'): Promise<string> {
  sim = await startAmiSimulator({
    dialect,
    secret: 'elastix456',
    peers: A1_PEERS,
    now: () => 1700000000123.456,
    astdb: { '/AMPUSER/100/cidname': 'Alice' },
  });
  const c = await RawClient.open(sim.port);
  let got = await c.readUntil('\r\n');
  // One step at a time, as the transcript shows: each answer before the next request.
  for (const step of CLIENT_STEPS) {
    c.action(step);
    got += await c.readUntil(step[0] === 'Action: DBGet' ? 'Event: DBGetComplete' : '\r\n\r\n');
    if (step[0] === 'Action: DBGet') got += await c.readUntil('\r\n\r\n');
  }
  await c.waitClosed();
  return got;
}

describe('Appendix A transcripts', () => {
  it('A.1: Asterisk 11 login, Ping, Command sip show peers, DBGet, Logoff — byte for byte, then close', async () => {
    expect(await runA1('11')).toBe(fromNotation(A1_SERVER));
  });

  it('A.2: Asterisk 13 differs only in DBGet (EventList start/Complete, ListItems)', async () => {
    const got = await runA1('13');
    const a1 = fromNotation(A1_SERVER);
    const a1Db = a1.slice(a1.indexOf('Response: Success\r\nActionID: D1'), a1.indexOf('Response: Goodbye'));
    const expected = a1
      .replace('Asterisk Call Manager/1.3', 'Asterisk Call Manager/2.10.6')
      .replace(a1Db, fromNotation(A2_DBGET));
    expect(got).toBe(expected);
  });

  it('A.3: Asterisk 16 answers Command with Output: lines (sip show peers is unknown without chan_sip)', async () => {
    sim = await startAmiSimulator({ dialect: '16' });
    const c = await RawClient.open(sim.port);
    expect(await c.readUntil('\r\n')).toBe('Asterisk Call Manager/5.0.5\r\n');
    c.action(['Action: Login', 'Username: admin', 'Secret: amp111', 'Events: off']);
    await c.readUntil('\r\n\r\n');
    c.action(['Action: Command', 'Command: core show version', 'ActionID: C1']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Success\r\nActionID: C1\r\nMessage: Command output follows\r\n' +
        'Output: Asterisk 16.30.0 built by mockbuild @ pbx.example.com on a x86_64 running Linux on 2020-01-01 00:00:00 UTC\r\n\r\n',
    );
    c.action(['Action: Command', 'Command: sip show peers', 'ActionID: C2']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Error\r\nActionID: C2\r\nMessage: Command output follows\r\n' +
        "Output: No such command 'sip show peers' (type 'core show help sip' for other possible commands)\r\n\r\n",
    );
    c.close();
  });

  it('A.3: the 14+ Output: format of the same sip show peers text, byte for byte (13 profile + 14 Command format)', async () => {
    sim = await startAmiSimulator({
      dialect: '13',
      peers: A1_PEERS,
      profileOverrides: { commandFormat: 'output' },
    });
    const c = await RawClient.open(sim.port);
    await c.readUntil('\r\n');
    c.action(['Action: Login', 'Username: admin', 'Secret: amp111', 'Events: off']);
    await c.readUntil('\r\n\r\n');
    c.action(['Action: Command', 'Command: sip show peers', 'ActionID: C1']);
    // The CLI text of Appendix A.1 (verbatim fixture), one Output: header per line, final LF dropped (§2.2).
    const cliText = readFileSync(
      join(import.meta.dirname, '../../fixtures/cli/11/sip-show-peers-a1.txt'),
      'latin1',
    );
    const lines = cliText.slice(0, -1).split('\n');
    expect(lines).toHaveLength(4);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      `Response: Success\r\nActionID: C1\r\nMessage: Command output follows\r\n${lines.map((l) => `Output: ${l}\r\n`).join('')}\r\n`,
    );
    c.close();
  });

  it('A.4: FreePBX writing one AstDB key via database put over Command (no ActionID)', async () => {
    sim = await startAmiSimulator({ dialect: '11' });
    const c = await RawClient.open(sim.port);
    await c.readUntil('\r\n');
    c.action(['Action: Login', 'Username: admin', 'Secret: amp111', 'Events: off']);
    await c.readUntil('\r\n\r\n');
    c.action(['Action: Command', 'Command: database put AMPUSER 100/cidname "Alice Smith"']);
    expect(await c.readUntil('\r\n\r\n')).toBe(
      'Response: Follows\r\nPrivilege: Command\r\nUpdated database successfully\n--END COMMAND--\r\n\r\n',
    );
    expect(sim.astdb.get('/AMPUSER/100/cidname')).toBe('Alice Smith');
    c.close();
  });
});
