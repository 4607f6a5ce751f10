/** The simulator's PBX model: SIP/PJSIP peers and live channels, which every list and CLI view reads. */

/** Qualify status of a peer (§3.1 Status values). */
export type PeerStatusKind = 'ok' | 'lagged' | 'unreachable' | 'unknown' | 'unmonitored';

/** NAT-ish yes/no/auto settings as chan_sip 11.8+ shows them (§7.2). */
export type NatFlag = 'yes' | 'no' | 'auto-yes' | 'auto-no';

/** One configured peer/endpoint. */
export interface PeerSpec {
  name: string;
  /** chan_sip `type`; `user` peers are skipped by SIPpeers (§3.1). */
  type?: 'peer' | 'friend' | 'user';
  /** Username shown as `name/username` (§7.2); chan_sip fills it from the REGISTER contact. */
  username?: string;
  /** Registered/contact address; undefined = not registered (`-none-`, `(Unspecified)`). */
  ip?: string;
  port?: number;
  dynamic?: boolean;
  forcerport?: NatFlag;
  comedia?: NatFlag;
  acl?: boolean;
  videoSupport?: boolean;
  textSupport?: boolean;
  realtime?: boolean;
  status?: PeerStatusKind;
  /** Qualify round trip in ms, for `ok`/`lagged`. */
  latencyMs?: number;
  description?: string;
  accountcode?: string;
  context?: string;
  callerid?: { name: string; num: string };
  /** A trunk (not an extension): used by scenarios for external legs. */
  trunk?: boolean;
  /** PJSIP transport name (§16; FreePBX names them like `0.0.0.0-udp`). */
  transport?: string;
  useragent?: string;
}

/** A live channel as Asterisk's channel list holds it. */
export interface SimChannel {
  name: string;
  uniqueid: string;
  linkedid: string;
  state: number;
  callerNum: string;
  callerName: string;
  connectedNum: string;
  connectedName: string;
  accountCode: string;
  language: string;
  context: string;
  exten: string;
  priority: number;
  app: string;
  appData: string;
  /** Monotonic-ish creation time (ms since epoch), for Duration. */
  createdAt: number;
  answeredAt?: number;
  bridgeId: string;
  /** Legacy (1.8/11) bridged peer channel. */
  bridgedTo?: SimChannel;
  peer: string;
}

/** Channel state descriptions (§4.3, `ast_state2str`). */
export function stateDesc(state: number): string {
  const t = [
    'Down',
    'Rsrvd',
    'OffHook',
    'Dialing',
    'Ring',
    'Ringing',
    'Up',
    'Busy',
    'Dialing Offhook',
    'Pre-ring',
  ];
  return t[state] ?? `Unknown (${state})`;
}

/** Hangup cause texts (§5.2, `ast_cause2str`). */
export function causeText(cause: number): string {
  const t: Record<number, string> = {
    1: 'Unallocated (unassigned) number',
    3: 'No route to destination',
    16: 'Normal Clearing',
    17: 'User busy',
    18: 'No user responding',
    19: 'User alerting, no answer',
    20: 'Subscriber absent',
    21: 'Call Rejected',
    26: 'Answered elsewhere',
    27: 'Destination out of order',
    31: 'Normal, unspecified',
    34: 'Circuit/channel congestion',
    41: 'Temporary failure',
    44: 'Requested channel not available',
    66: 'Channel not implemented',
    127: 'Interworking, unspecified',
  };
  return t[cause] ?? 'Unknown';
}

/** The default peer set: two registered extensions, one offline, one unmonitored, one trunk. */
export function defaultPeers(): PeerSpec[] {
  return [
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
      context: 'from-internal',
      callerid: { name: 'Alice', num: '100' },
      useragent: 'Yealink SIP-T46S 66.86.0.15',
    },
    {
      name: '101',
      ip: undefined,
      port: 0,
      dynamic: true,
      forcerport: 'yes',
      comedia: 'yes',
      acl: true,
      status: 'unknown',
      context: 'from-internal',
      callerid: { name: 'Bob', num: '101' },
    },
    {
      name: '102',
      username: '102',
      ip: '192.168.1.52',
      port: 5062,
      dynamic: true,
      forcerport: 'no',
      comedia: 'no',
      acl: true,
      status: 'ok',
      latencyMs: 8,
      context: 'from-internal',
      callerid: { name: 'Carol', num: '102' },
    },
    {
      name: '103',
      username: '103',
      ip: '192.168.1.53',
      port: 5060,
      dynamic: true,
      forcerport: 'yes',
      comedia: 'yes',
      acl: true,
      status: 'unmonitored',
      context: 'from-internal',
      callerid: { name: 'Dave', num: '103' },
    },
    {
      name: 'mytrunk',
      ip: '203.0.113.10',
      port: 5060,
      dynamic: false,
      forcerport: 'no',
      comedia: 'no',
      acl: false,
      status: 'ok',
      latencyMs: 31,
      context: 'from-trunk',
      trunk: true,
      description: 'Provider',
    },
  ];
}

/** Peers sorted by name, as SIPpeers and `sip show peers` list them (§3.1). */
export function sortedPeers(peers: readonly PeerSpec[]): PeerSpec[] {
  return [...peers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** True when the peer counts as reachable for the `sip show peers` trailer (chan_sip peer_status). */
export function peerOnline(p: PeerSpec): boolean {
  const st = p.status ?? 'unmonitored';
  if (st === 'unmonitored') return p.ip !== undefined;
  return st === 'ok' || st === 'lagged';
}

/** `Status` text (§3.1): `OK (n ms)`, `LAGGED (n ms)`, `UNREACHABLE`, `UNKNOWN`, `Unmonitored`. */
export function peerStatusText(p: PeerSpec): string {
  switch (p.status ?? 'unmonitored') {
    case 'ok':
      return `OK (${p.latencyMs ?? 0} ms)`;
    case 'lagged':
      return `LAGGED (${p.latencyMs ?? 0} ms)`;
    case 'unreachable':
      return 'UNREACHABLE';
    case 'unknown':
      return 'UNKNOWN';
    default:
      return 'Unmonitored';
  }
}
