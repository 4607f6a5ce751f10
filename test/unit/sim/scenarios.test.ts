// Scenario event sequences per dialect (§5.2–§5.6, §16), read off a real socket.
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, type Dialect } from '../../sim/profiles';
import type { ScenarioName } from '../../sim/scenarios';
import { SCENARIOS } from '../../sim/scenarios';
import { type AmiSimulator, startAmiSimulator } from '../../sim/server';
import { login } from './raw-client';

let sim: AmiSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

type Ev = { name: string; f: Map<string, string>; raw: string };

/** Runs a scenario at speed 0 and returns the events a logged-in client received, in order. */
async function capture(dialect: Dialect, scenario: ScenarioName, o: { cdr?: boolean; peer?: string } = {}) {
  sim = await startAmiSimulator({ dialect, cdrManager: o.cdr ?? true, speed: 0 });
  const c = await login(sim.port, { events: 'on' });
  const res = await sim.runScenario(scenario, { peer: o.peer });
  c.action(['Action: Ping', 'ActionID: end']);
  const text = await c.readUntil('ActionID: end\r\n');
  c.close();
  const evs: Ev[] = text
    .split('\r\n\r\n')
    .filter((m) => m.startsWith('Event: '))
    .map((raw) => {
      const f = new Map<string, string>();
      for (const line of raw.split('\r\n')) {
        const i = line.indexOf(': ');
        if (i > 0 && !f.has(line.slice(0, i))) f.set(line.slice(0, i), line.slice(i + 2));
      }
      return { name: f.get('Event')!, f, raw };
    });
  return { evs, res, chans: sim.channels.length };
}

const names = (evs: Ev[]) =>
  evs
    .filter((e) => !['VarSet', 'Newexten'].includes(e.name))
    .map((e) =>
      e.name === 'Dial'
        ? `Dial/${e.f.get('SubEvent')}`
        : e.name === 'Bridge'
          ? `Bridge/${e.f.get('Bridgestate')}`
          : e.name,
    );

describe('internal call sequence', () => {
  it('1.8/11: Dial Begin/End, Bridge Link/Unlink, Hangup, Cdr; no Linkedid', async () => {
    for (const d of ['1.8', '11'] as const) {
      const { evs, res, chans } = await capture(d, 'internal');
      expect(names(evs)).toEqual([
        'Newchannel',
        'Newstate',
        'Newchannel',
        'Dial/Begin',
        'Newstate',
        'Newstate',
        'Dial/End',
        'Newstate',
        'Bridge/Link',
        'Bridge/Unlink',
        'Hangup',
        'Hangup',
        'Cdr',
      ]);
      expect(evs.some((e) => e.f.has('Linkedid'))).toBe(false);
      const hang = evs.find((e) => e.name === 'Hangup')!;
      expect(hang.f.has('AccountCode')).toBe(d === '11');
      expect(hang.raw).toMatch(/Cause: 16\r\nCause-txt: Normal Clearing$/);
      expect(evs.find((e) => e.name === 'Dial')!.f.get('Dialstring')).toBe('102');
      expect(res.uniqueids).toHaveLength(2);
      expect(chans).toBe(0);
      await sim!.close();
      sim = undefined;
    }
  });

  it('13: DialBegin/DialEnd, BridgeCreate/Enter/Leave/Destroy, HangupRequest, Linkedid on every channel', async () => {
    const { evs, res } = await capture('13', 'internal');
    expect(names(evs)).toEqual([
      'Newchannel',
      'Newstate',
      'Newchannel',
      'DialBegin',
      'Newstate',
      'Newstate',
      'DialEnd',
      'Newstate',
      'BridgeCreate',
      'BridgeEnter',
      'BridgeEnter',
      'BridgeLeave',
      'BridgeLeave',
      'BridgeDestroy',
      'HangupRequest',
      'Hangup',
      'HangupRequest',
      'Hangup',
      'Cdr',
    ]);
    for (const e of evs.filter((x) => x.f.has('Uniqueid'))) expect(e.f.get('Linkedid')).toBe(res.linkedid);
    const db = evs.find((e) => e.name === 'DialBegin')!;
    expect(db.f.get('DestLinkedid')).toBe(res.linkedid);
    expect(db.f.get('DialString')).toBe('102');
    expect(evs.find((e) => e.name === 'BridgeCreate')!.f.get('BridgeVideoSourceMode')).toBe('none');
  });

  it('16: PJSIP channels and DialState RINGING', async () => {
    const { evs } = await capture('16', 'internal');
    expect(names(evs)).toContain('DialState');
    expect(evs.find((e) => e.name === 'DialState')!.f.get('DialStatus')).toBe('RINGING');
    expect(evs.find((e) => e.name === 'Newchannel')!.f.get('Channel')).toMatch(/^PJSIP\/100-[0-9a-f]{8}$/);
  });
});

describe('outcomes', () => {
  it('cancel: 16 gives DialEnd CANCEL and caller Hangup cause 127 (§16)', async () => {
    const { evs } = await capture('16', 'cancel');
    expect(evs.find((e) => e.name === 'DialEnd')!.f.get('DialStatus')).toBe('CANCEL');
    // The caller's hangup request (the CANCEL) comes before DialEnd; its HangupRequest is not repeated.
    const caller = evs.find((e) => e.name === 'Newchannel')!.f.get('Channel');
    const reqs = evs
      .map((e, i) => [e, i] as const)
      .filter(([e]) => e.name === 'HangupRequest' && e.f.get('Channel') === caller);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]![1]).toBeLessThan(evs.findIndex((e) => e.name === 'DialEnd'));
    expect(reqs[0]![0].f.get('Cause')).toBe('127');
    const last = evs.filter((e) => e.name === 'Hangup').at(-1)!;
    expect(last.f.get('Cause')).toBe('127');
    expect(last.f.get('Cause-txt')).toBe('Interworking, unspecified');
    expect(evs.at(-1)!.f.get('Disposition')).toBe('NO ANSWER');
  });

  it('busy (11): Dial End BUSY, cause 17; Cdr BUSY with empty AnswerTime', async () => {
    const { evs } = await capture('11', 'busy');
    expect(evs.find((e) => e.f.get('SubEvent') === 'End')!.f.get('DialStatus')).toBe('BUSY');
    expect(evs.find((e) => e.name === 'Hangup')!.f.get('Cause')).toBe('17');
    const cdr = evs.at(-1)!;
    expect(cdr.name).toBe('Cdr');
    expect(cdr.raw).toContain('Disposition: BUSY');
    expect(cdr.raw).toContain('\r\nAnswerTime: \r\n');
  });

  it('no-answer (13): DialEnd NOANSWER', async () => {
    const { evs } = await capture('13', 'no-answer');
    expect(evs.find((e) => e.name === 'DialEnd')!.f.get('DialStatus')).toBe('NOANSWER');
  });

  it('Cdr field order (§5.5), and no Cdr without cdr_manager', async () => {
    const { evs } = await capture('11', 'outbound-trunk');
    const cdr = evs.at(-1)!;
    expect([...cdr.f.keys()]).toEqual([
      'Event',
      'Privilege',
      'AccountCode',
      'Source',
      'Destination',
      'DestinationContext',
      'CallerID',
      'Channel',
      'DestinationChannel',
      'LastApplication',
      'LastData',
      'StartTime',
      'AnswerTime',
      'EndTime',
      'Duration',
      'BillableSeconds',
      'Disposition',
      'AMAFlags',
      'UniqueID',
      'UserField',
    ]);
    expect(cdr.f.get('Privilege')).toBe('cdr,all');
    expect(cdr.f.get('DestinationChannel')).toMatch(/^SIP\/mytrunk-/);
    await sim!.close();
    sim = undefined;
    const off = await capture('11', 'outbound-trunk', { cdr: false });
    expect(off.evs.some((e) => e.name === 'Cdr')).toBe(false);
  });
});

describe('PeerStatus (§5.6, §16)', () => {
  it('11 Reachable/Lagged carry Time; 13 do not (the trap); Unreachable has Time: -1 in both', async () => {
    let r = await capture('11', 'peer-lagged', { peer: '100' });
    expect(r.evs[0]!.raw).toBe(
      'Event: PeerStatus\r\nPrivilege: system,all\r\nChannelType: SIP\r\nPeer: SIP/100\r\nPeerStatus: Lagged\r\nTime: 2500',
    );
    await sim!.close();
    r = await capture('13', 'peer-lagged', { peer: '100' });
    expect(r.evs[0]!.raw).toBe(
      'Event: PeerStatus\r\nPrivilege: system,all\r\nChannelType: SIP\r\nPeer: SIP/100\r\nPeerStatus: Lagged',
    );
    await sim!.close();
    r = await capture('13', 'peer-unreachable', { peer: '100' });
    expect(r.evs[0]!.raw).toMatch(/PeerStatus: Unreachable\r\nTime: -1$/);
    await sim!.close();
    r = await capture('1.8', 'peer-register', { peer: '101' });
    expect(r.evs.map((e) => e.f.get('PeerStatus'))).toEqual(['Registered', 'Reachable']);
    expect(r.evs[0]!.f.get('Address')).toMatch(/^\d+\.\d+\.\d+\.\d+:\d+$/);
    expect(sim!.peers.find((p) => p.name === '101')!.status).toBe('ok');
    await sim!.close();
    r = await capture('11', 'peer-unregister', { peer: '100' });
    expect(r.evs[0]!.raw).toMatch(/PeerStatus: Unregistered\r\nCause: Expired$/);
  });

  it('16: ContactStatus + PJSIP PeerStatus', async () => {
    const r = await capture('16', 'peer-unregister', { peer: '100' });
    expect(r.evs.map((e) => e.name)).toEqual(['ContactStatus', 'PeerStatus']);
    expect(r.evs[0]!.f.get('ContactStatus')).toBe('Removed');
    expect(r.evs[1]!.raw).toBe(
      'Event: PeerStatus\r\nPrivilege: system,all\r\nChannelType: PJSIP\r\nPeer: PJSIP/100\r\nPeerStatus: Unreachable',
    );
  });
});

describe.each(DIALECTS)('every scenario runs to completion, dialect %s', (dialect) => {
  it('leaves no channels behind and hangs up every channel it created', async () => {
    for (const s of SCENARIOS) {
      const { evs, res, chans } = await capture(dialect, s);
      expect(chans).toBe(0);
      const hung = new Set(evs.filter((e) => e.name === 'Hangup').map((e) => e.f.get('Uniqueid')));
      for (const u of res.uniqueids) expect(hung.has(u)).toBe(true);
      const created = evs.filter((e) => e.name === 'Newchannel').length;
      expect(created).toBe(res.uniqueids.length);
      await sim!.close();
      sim = undefined;
    }
  });
});

it('mid-call the model matches CoreShowChannels and core show channels (internal, 13)', async () => {
  sim = await startAmiSimulator({ dialect: '13', speed: 0.05 });
  const c = await login(sim.port);
  const run = sim.runScenario('internal');
  await new Promise((r) => setTimeout(r, 150)); // answered at ~85 ms, talking until ~285 ms at this speed
  c.action(['Action: Command', 'Command: core show channels']);
  const text = await c.readUntil('--END COMMAND--\r\n\r\n');
  expect(text).toContain('2 active channels\n1 active call\n0 calls processed\n');
  for (const ch of sim.channels) expect(text).toContain(ch.name);
  await run;
  c.action(['Action: Command', 'Command: core show channels']);
  expect(await c.readUntil('--END COMMAND--\r\n\r\n')).toContain(
    '0 active channels\n0 active calls\n1 call processed\n',
  );
  c.close();
});

it('runLoad starts the requested number of calls and completes them', async () => {
  sim = await startAmiSimulator({ dialect: '11' });
  const seen: string[] = [];
  sim.onEventWritten = (name) => seen.push(name);
  const r = await sim.runLoad({ scenario: ['internal', 'inbound-queue'], ratePerSec: 200, durationMs: 100 });
  expect(r.started).toBeGreaterThanOrEqual(15);
  expect(r.completed).toBe(r.started);
  expect(r.failed).toBe(0);
  expect(seen.filter((n) => n === 'Newchannel').length).toBe(r.started * 2);
  expect(sim.channels).toHaveLength(0);
});

describe('event field order per dialect (§5.1, §5.2, §5.3)', () => {
  const keys = (e: Ev) => [...e.f.keys()].slice(2); // without Event and Privilege
  const block13 = [
    'Channel',
    'ChannelState',
    'ChannelStateDesc',
    'CallerIDNum',
    'CallerIDName',
    'ConnectedLineNum',
    'ConnectedLineName',
    'Language',
    'AccountCode',
    'Context',
    'Exten',
    'Priority',
    'Uniqueid',
    'Linkedid',
  ];
  it.each([
    [
      '1.8',
      {
        Newchannel: [
          'Channel',
          'ChannelState',
          'ChannelStateDesc',
          'CallerIDNum',
          'CallerIDName',
          'AccountCode',
          'Exten',
          'Context',
          'Uniqueid',
        ],
        Newstate: [
          'Channel',
          'ChannelState',
          'ChannelStateDesc',
          'CallerIDNum',
          'CallerIDName',
          'ConnectedLineNum',
          'ConnectedLineName',
          'Uniqueid',
        ],
        Hangup: [
          'Channel',
          'Uniqueid',
          'CallerIDNum',
          'CallerIDName',
          'ConnectedLineNum',
          'ConnectedLineName',
          'Cause',
          'Cause-txt',
        ],
        Dial: [
          'SubEvent',
          'Channel',
          'Destination',
          'CallerIDNum',
          'CallerIDName',
          'ConnectedLineNum',
          'ConnectedLineName',
          'UniqueID',
          'DestUniqueID',
          'Dialstring',
        ],
      },
    ],
    [
      '11',
      {
        Hangup: [
          'Channel',
          'Uniqueid',
          'CallerIDNum',
          'CallerIDName',
          'ConnectedLineNum',
          'ConnectedLineName',
          'AccountCode',
          'Cause',
          'Cause-txt',
        ],
      },
    ],
    [
      '13',
      {
        Newchannel: block13,
        Hangup: [...block13, 'Cause', 'Cause-txt'],
        DialBegin: [...block13, ...block13.map((k) => `Dest${k}`), 'DialString'],
        DialEnd: [...block13, ...block13.map((k) => `Dest${k}`), 'DialStatus'],
      },
    ],
  ] as const)('dialect %s', async (dialect, want) => {
    const { evs } = await capture(dialect, 'internal');
    for (const [name, fields] of Object.entries(want))
      expect(keys(evs.find((e) => e.name === name)!)).toEqual(fields);
  });

  it('16 peer-register: ContactStatus Created, then Reachable with RoundtripUsec, then PJSIP PeerStatus', async () => {
    const r = await capture('16', 'peer-register', { peer: '101' });
    expect(r.evs.map((e) => `${e.name}:${e.f.get('ContactStatus') ?? e.f.get('PeerStatus')}`)).toEqual([
      'ContactStatus:Created',
      'ContactStatus:Reachable',
      'PeerStatus:Reachable',
    ]);
    expect(keys(r.evs[1]!)).toEqual(['URI', 'ContactStatus', 'AOR', 'EndpointName', 'RoundtripUsec']);
    expect(r.evs[1]!.f.get('RoundtripUsec')).toBe('15000');
  });
});
