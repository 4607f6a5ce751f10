// List layouts per dialect (§3, §4, §16): exact PeerEntry field order, completion layout, channel lists mid-call.
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerSpec } from '../../sim/model';
import { type AmiSimulator, startAmiSimulator } from '../../sim/server';
import { login, type RawClient } from './raw-client';

let sim: AmiSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const ONE_PEER: PeerSpec[] = [
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
];

async function list(c: RawClient, complete: string): Promise<string> {
  const head = await c.readUntil(`Event: ${complete}\r\n`);
  return head + (await c.readUntil('\r\n\r\n'));
}

const ACK =
  'Response: Success\r\nActionID: p1\r\nEventList: start\r\nMessage: Peer status list will follow\r\n\r\n';
const ENTRY_18 =
  'Event: PeerEntry\r\nActionID: p1\r\nChanneltype: SIP\r\nObjectName: 100\r\nChanObjectType: peer\r\n' +
  'IPaddress: 192.168.1.50\r\nIPport: 5060\r\nDynamic: yes\r\nForcerport: yes\r\nVideoSupport: no\r\nTextSupport: no\r\n' +
  'ACL: yes\r\nStatus: OK (12 ms)\r\nRealtimeDevice: no\r\n\r\n';
const ENTRY_11 =
  'Event: PeerEntry\r\nActionID: p1\r\nChanneltype: SIP\r\nObjectName: 100\r\nChanObjectType: peer\r\n' +
  'IPaddress: 192.168.1.50\r\nIPport: 5060\r\nDynamic: yes\r\nAutoForcerport: no\r\nForcerport: yes\r\nAutoComedia: no\r\n' +
  'Comedia: yes\r\nVideoSupport: no\r\nTextSupport: no\r\nACL: yes\r\nStatus: OK (12 ms)\r\nRealtimeDevice: no\r\nDescription: \r\n\r\n';
const ENTRY_13 = ENTRY_11.replace('Description: \r\n\r\n', 'Description: \r\nAccountcode: \r\n\r\n');

describe('SIPpeers (§3.1)', () => {
  it.each([
    [
      '1.8',
      ENTRY_18,
      'Event: PeerlistComplete\r\nEventList: Complete\r\nListItems: 1\r\nActionID: p1\r\n\r\n',
    ],
    [
      '11',
      ENTRY_11,
      'Event: PeerlistComplete\r\nEventList: Complete\r\nListItems: 1\r\nActionID: p1\r\n\r\n',
    ],
    [
      '13',
      ENTRY_13,
      'Event: PeerlistComplete\r\nActionID: p1\r\nEventList: Complete\r\nListItems: 1\r\n\r\n',
    ],
  ] as const)('dialect %s: exact bytes', async (dialect, entry, complete) => {
    sim = await startAmiSimulator({ dialect, peers: ONE_PEER });
    const c = await login(sim.port);
    c.action(['Action: SIPpeers', 'ActionID: p1']);
    expect(await list(c, 'PeerlistComplete')).toBe(ACK + entry + complete);
    c.close();
  });

  it('16 (PJSIP only): SIPpeers and SIPshowpeer are unknown commands (§16)', async () => {
    sim = await startAmiSimulator({ dialect: '16' });
    const c = await login(sim.port);
    for (const a of ['SIPpeers', 'SIPshowpeer']) {
      c.action([`Action: ${a}`, 'Peer: 100']);
      expect(await c.readUntil('\r\n\r\n')).toBe(
        `Response: Error\r\nMessage: Invalid/unknown command: ${a}. Use Action: ListCommands to show available commands.\r\n\r\n`,
      );
    }
    c.close();
  });

  it('without ActionID the list events carry none; user-type peers are skipped, names sorted', async () => {
    sim = await startAmiSimulator({
      dialect: '11',
      peers: [
        { name: 'b', status: 'unmonitored' },
        { name: 'a', status: 'unmonitored' },
        { name: 'u', type: 'user' },
      ],
    });
    const c = await login(sim.port);
    c.action(['Action: SIPpeers']);
    const text = await list(c, 'PeerlistComplete');
    expect(text).not.toContain('ActionID');
    expect([...text.matchAll(/ObjectName: (\w+)/g)].map((m) => m[1])).toEqual(['a', 'b']);
    expect(text).toContain('IPaddress: -none-\r\nIPport: 0\r\n');
    expect(text).toContain('Status: Unmonitored\r\n');
    expect(text.endsWith('ListItems: 2\r\n\r\n')).toBe(true);
    c.close();
  });
});

describe('SIPshowpeer (§3.2)', () => {
  it('not found has the extra CRLF; missing Peer; found has no Message and per-version fields', async () => {
    sim = await startAmiSimulator({ dialect: '11', peers: ONE_PEER });
    const c = await login(sim.port);
    c.action(['Action: SIPshowpeer', 'Peer: 999', 'ActionID: s']);
    expect(
      await c.readBytes('Response: Error\r\nActionID: s\r\nMessage: Peer 999 not found.\r\n\r\n\r\n'.length),
    ).toBe('Response: Error\r\nActionID: s\r\nMessage: Peer 999 not found.\r\n\r\n\r\n');
    c.action(['Action: SIPshowpeer']);
    expect(await c.readUntil('\r\n\r\n')).toBe('Response: Error\r\nMessage: Peer: <name> missing.\r\n\r\n');
    c.action(['Action: SIPshowpeer', 'Peer: 100']);
    const found = await c.readUntil('\r\n\r\n');
    expect(
      found.startsWith(
        'Response: Success\r\nChanneltype: SIP\r\nObjectName: 100\r\nChanObjectType: peer\r\n',
      ),
    ).toBe(true);
    expect(found).not.toContain('Message:');
    expect(found).toContain('ToneZone: ');
    expect(found).toContain('\r\nStatus: OK (12 ms)\r\n');
    expect(found).toContain('\r\nAddress-IP: 192.168.1.50\r\nAddress-Port: 5060\r\n');
    c.close();
  });

  it('1.8 lacks ToneZone/SIP-Comedia/Description; 13 adds SubscribeContext and drops CodecOrder', async () => {
    for (const [dialect, has, lacks] of [
      ['1.8', ['CodecOrder'], ['ToneZone', 'SIP-Comedia', 'Description', 'SubscribeContext']],
      ['13', ['SubscribeContext', 'SIP-RTCP-Mux', 'Description'], ['CodecOrder']],
    ] as const) {
      sim = await startAmiSimulator({ dialect, peers: ONE_PEER });
      const c = await login(sim.port);
      c.action(['Action: SIPshowpeer', 'Peer: 100']);
      const found = await c.readUntil('\r\n\r\n');
      for (const h of has) expect(found).toContain(`\r\n${h}: `);
      for (const h of lacks) expect(found).not.toContain(`\r\n${h}: `);
      c.close();
      await sim.close();
      sim = undefined;
    }
  });
});

describe('PJSIPShowEndpoints (§16)', () => {
  it('16: exact layout for a registered and an unregistered endpoint', async () => {
    sim = await startAmiSimulator({
      dialect: '16',
      peers: [{ name: '100', ip: '192.168.1.50', port: 5060, status: 'ok', latencyMs: 12 }, { name: '101' }],
    });
    const c = await login(sim.port);
    c.action(['Action: PJSIPShowEndpoints', 'ActionID: e']);
    expect(await list(c, 'EndpointListComplete')).toBe(
      'Response: Success\r\nActionID: e\r\nEventList: start\r\n' +
        'Message: A listing of Endpoints follows, presented as EndpointList events\r\n\r\n' +
        'Event: EndpointList\r\nActionID: e\r\nObjectType: endpoint\r\nObjectName: 100\r\nTransport: 0.0.0.0-udp\r\n' +
        'Aor: 100\r\nAuths: 100-auth\r\nOutboundAuths: \r\nContacts: 100/sip:100@192.168.1.50:5060,\r\n' +
        'DeviceState: Not in use\r\nActiveChannels: \r\n\r\n' +
        'Event: EndpointList\r\nActionID: e\r\nObjectType: endpoint\r\nObjectName: 101\r\nTransport: 0.0.0.0-udp\r\n' +
        'Aor: 101\r\nAuths: 101-auth\r\nOutboundAuths: \r\nContacts: \r\nDeviceState: Unavailable\r\nActiveChannels: \r\n\r\n' +
        'Event: EndpointListComplete\r\nActionID: e\r\nEventList: Complete\r\nListItems: 2\r\n\r\n',
    );
    c.close();
  });

  it('11 (no chan_pjsip): unknown command', async () => {
    sim = await startAmiSimulator({ dialect: '11' });
    const c = await login(sim.port);
    c.action(['Action: PJSIPShowEndpoints']);
    expect(await c.readUntil('\r\n\r\n')).toContain('Message: Invalid/unknown command: PJSIPShowEndpoints.');
    c.close();
  });
});

describe('CoreShowChannels mid-call (§4) agrees with the CLI (§7.1)', () => {
  async function midCall(dialect: '11' | '13') {
    sim = await startAmiSimulator({ dialect, speed: 1 });
    const c = await login(sim.port);
    const k = sim.calls;
    const a = k.newChannel({
      peer: '100',
      callerNum: '100',
      callerName: '',
      context: 'from-internal',
      exten: '102',
    });
    const b = k.newChannel({
      peer: '102',
      callerNum: '102',
      callerName: 'Carol',
      context: 'from-internal',
      exten: '',
      linkedTo: a,
    });
    k.connect(a, b);
    k.setState(b, 6);
    k.setState(a, 6);
    k.exec(a, 'macro-dial-one', 's', 52, 'Dial', 'SIP/102,,HhtrIb(func-apply-sipheaders^s^1)');
    k.bridge(a, b);
    c.action(['Action: CoreShowChannels', 'ActionID: x']);
    const text = await list(c, 'CoreShowChannelsComplete');
    c.action(['Action: Command', 'Command: core show channels concise']);
    const concise = await c.readUntil('--END COMMAND--\r\n\r\n');
    c.close();
    return { text, concise, a, b };
  }

  it('11: UniqueID/Extension/CallerIDnum, empty CIDs, BridgedChannel, ActionID last', async () => {
    const { text, concise, a, b } = await midCall('11');
    expect(text).toContain(
      `Event: CoreShowChannel\r\nActionID: x\r\nChannel: ${a.name}\r\nUniqueID: ${a.uniqueid}\r\n` +
        'Context: macro-dial-one\r\nExtension: s\r\nPriority: 52\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n' +
        'Application: Dial\r\nApplicationData: SIP/102,,HhtrIb(func-apply-sipheaders^s^1)\r\nCallerIDnum: 100\r\n' +
        `CallerIDname: \r\nConnectedLineNum: 102\r\nConnectedLineName: Carol\r\nDuration: 00:00:00\r\nAccountCode: \r\n` +
        `BridgedChannel: ${b.name}\r\nBridgedUniqueID: ${b.uniqueid}\r\n\r\n`,
    );
    expect(
      text.endsWith(
        'Event: CoreShowChannelsComplete\r\nEventList: Complete\r\nListItems: 2\r\nActionID: x\r\n\r\n',
      ),
    ).toBe(true);
    expect(text).not.toContain('Linkedid');
    const rows = concise.split('\n').filter((l) => l.includes('!'));
    expect(rows).toHaveLength(2);
    expect(rows[0]!.split('!')).toEqual([
      a.name,
      'macro-dial-one',
      's',
      '52',
      'Up',
      'Dial',
      'SIP/102,,HhtrIb(func-apply-sipheaders^s^1)',
      '100',
      '',
      '',
      '3',
      '0',
      b.name,
      a.uniqueid,
    ]);
  });

  it('13: block spelling, <unknown> CIDs, Language, Linkedid, BridgeId, ActionID first', async () => {
    const { text, concise, a } = await midCall('13');
    expect(text).toContain(
      `Event: CoreShowChannel\r\nActionID: x\r\nChannel: ${a.name}\r\nChannelState: 6\r\n` +
        'ChannelStateDesc: Up\r\nCallerIDNum: 100\r\nCallerIDName: <unknown>\r\nConnectedLineNum: 102\r\n' +
        'ConnectedLineName: Carol\r\nLanguage: en\r\nAccountCode: \r\nContext: macro-dial-one\r\nExten: s\r\nPriority: 52\r\n' +
        `Uniqueid: ${a.uniqueid}\r\nLinkedid: ${a.uniqueid}\r\nApplication: Dial\r\n`,
    );
    expect(text).toMatch(/Duration: 00:00:00\r\nBridgeId: [0-9a-f-]{36}\r\n\r\n/);
    expect(
      text.endsWith(
        'Event: CoreShowChannelsComplete\r\nActionID: x\r\nEventList: Complete\r\nListItems: 2\r\n\r\n',
      ),
    ).toBe(true);
    expect(
      concise
        .split('\n')
        .filter((l) => l.includes('!'))[0]!
        .split('!')[12],
    ).toMatch(/^[0-9a-f-]{36}$/);
  });
});

it('16 with no endpoints: Error whose Message ends in a bare LF (UNCONFIRMED source reading)', async () => {
  sim = await startAmiSimulator({ dialect: '16', peers: [] });
  const c = await login(sim.port);
  c.action(['Action: PJSIPShowEndpoints', 'ActionID: z']);
  expect(await c.readUntil('\r\n\r\n')).toBe(
    'Response: Error\r\nActionID: z\r\nMessage: No endpoints found\n\r\n\r\n',
  );
  c.close();
});
