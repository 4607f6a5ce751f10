// Realistic AMI event traffic in simulator format (reference §5, Asterisk 13 layout, CRLF), for the ami-parse bench.

/** A tiny seeded PRNG (mulberry32), so every run parses the same bytes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['Alice', 'Bob Smith', 'Carol', 'Dave', 'José Núñez', 'Reception', 'Sales', 'Support'];

function block(
  p: string,
  ch: string,
  state: number,
  num: string,
  name: string,
  uid: string,
  link: string,
): string[] {
  const desc = ['Down', 'Rsrvd', 'OffHook', 'Dialing', 'Ring', 'Ringing', 'Up'][state] ?? 'Up';
  return [
    `${p}Channel: ${ch}`,
    `${p}ChannelState: ${state}`,
    `${p}ChannelStateDesc: ${desc}`,
    `${p}CallerIDNum: ${num}`,
    `${p}CallerIDName: ${name}`,
    `${p}ConnectedLineNum: <unknown>`,
    `${p}ConnectedLineName: <unknown>`,
    `${p}Language: en`,
    `${p}AccountCode: `,
    `${p}Context: from-internal`,
    `${p}Exten: ${num}`,
    `${p}Priority: 1`,
    `${p}Uniqueid: ${uid}`,
    `${p}Linkedid: ${link}`,
  ];
}

function ev(name: string, priv: string, lines: string[]): string {
  return `Event: ${name}\r\nPrivilege: ${priv},all\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** One call's events (about 24 messages): channels, dialplan noise, dial, bridge, RTCP, hangup. */
function call(rnd: () => number, n: number): string[] {
  const a = `${100 + Math.floor(rnd() * 400)}`;
  const b = `${100 + Math.floor(rnd() * 400)}`;
  const an = NAMES[Math.floor(rnd() * NAMES.length)] ?? 'Alice';
  const hex = (n * 2).toString(16).padStart(8, '0');
  const chA = `SIP/${a}-${hex}`;
  const chB = `SIP/${b}-${(n * 2 + 1).toString(16).padStart(8, '0')}`;
  const uA = `1700000000.${n * 2}`;
  const uB = `1700000000.${n * 2 + 1}`;
  const A = (st: number) => block('', chA, st, a, an, uA, uA);
  const B = (st: number) => block('', chB, st, b, 'Bob', uB, uA);
  const D = (st: number) => block('Dest', chB, st, b, 'Bob', uB, uA);
  const bridge = [
    `BridgeUniqueid: 5c2e1f7a-${hex}-4e1d-9a1b-0c9d8e7f6a5b`,
    'BridgeType: basic',
    'BridgeTechnology: simple_bridge',
    'BridgeCreator: <unknown>',
    'BridgeName: <unknown>',
    'BridgeNumChannels: 2',
  ];
  const out = [
    ev('Newchannel', 'call', A(0)),
    ev('VarSet', 'dialplan', [...A(0), 'Variable: SIPCALLID', `Value: ${hex}abc@192.168.1.50`]),
    ev('Newexten', 'dialplan', [...A(0), 'Extension: s', 'Application: Macro', 'AppData: user-callerid,']),
    ev('VarSet', 'dialplan', [...A(0), 'Variable: AMPUSER', `Value: ${a}`]),
    ev('Newexten', 'dialplan', [
      ...A(0),
      'Extension: s',
      'Application: Set',
      'AppData: __REALCALLERIDNUM=100',
    ]),
    ev('Newstate', 'call', A(4)),
    ev('Newchannel', 'call', B(0)),
    ev('DialBegin', 'call', [...A(4), ...D(0), `DialString: ${b}`]),
    ev('Newstate', 'call', B(5)),
    ev('Newstate', 'call', B(6)),
    ev('DialEnd', 'call', [...A(4), ...D(6), 'DialStatus: ANSWER']),
    ev('Newstate', 'call', A(6)),
    ev('BridgeEnter', 'call', [...bridge, ...A(6)]),
    ev('BridgeEnter', 'call', [...bridge, ...B(6)]),
    ev('RTCPSent', 'reporting', [
      ...A(6),
      'To: 192.168.1.50:10001',
      'SSRC: 0x1a2b3c4d',
      'PT: 200(SR)',
      'ReportCount: 1',
    ]),
    ev('RTCPReceived', 'reporting', [...B(6), 'From: 192.168.1.51:10003', 'SSRC: 0x5e6f7a8b', 'PT: 201(RR)']),
    ev('BridgeLeave', 'call', [...bridge, ...A(6)]),
    ev('BridgeLeave', 'call', [...bridge, ...B(6)]),
    ev('SoftHangupRequest', 'call', [...A(6), 'Cause: 16']),
    ev('Hangup', 'call', [...A(6), 'Cause: 16', 'Cause-txt: Normal Clearing']),
    ev('Hangup', 'call', [...B(6), 'Cause: 16', 'Cause-txt: Normal Clearing']),
  ];
  if (rnd() < 0.3) {
    out.push(
      ev('PeerStatus', 'system', [
        'ChannelType: SIP',
        `Peer: SIP/${a}`,
        'PeerStatus: Registered',
        'Address: 192.168.1.50:5060',
      ]),
    );
  }
  return out;
}

/** About `bytes` of traffic as one Buffer, and the number of events in it. */
export function makeTraffic(bytes: number, seed = 1): { buf: Buffer; events: number } {
  const rnd = prng(seed);
  const parts: string[] = [];
  let size = 0;
  let events = 0;
  for (let n = 0; size < bytes; n++) {
    for (const e of call(rnd, n)) {
      parts.push(e);
      size += Buffer.byteLength(e);
      events++;
    }
  }
  return { buf: Buffer.from(parts.join(''), 'utf8'), events };
}

/** Splits a buffer into chunks of `size` bytes (views, no copy), as a socket delivers them. */
export function chunked(buf: Buffer, size = 64 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}
