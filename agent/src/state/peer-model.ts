import type { AmiMessage } from '../pbx/ami/types';

/** Peer status as published (state/peers, peer.status). */
export type PeerStatus = 'ok' | 'lagged' | 'unreachable' | 'unknown' | 'unmonitored' | 'unregistered';

/** One SIP/PJSIP peer as a consumer sees it (wire shape of state/peers). */
export interface Peer {
  name: string;
  channel_type: 'SIP' | 'PJSIP';
  trunk: boolean;
  ip_address: string | null;
  ip_port: number | null;
  dynamic: boolean | null;
  status: PeerStatus;
  status_text: string;
  latency_ms: number | null;
  description: string | null;
  device_state: string | null;
  contacts: string[];
  forcerport: boolean | null;
  comedia: boolean | null;
  acl: boolean | null;
  video_support: boolean | null;
  text_support: boolean | null;
  realtime: boolean | null;
}

/** A peer.status event's data. */
export interface PeerStatusChange {
  name: string;
  channel_type: 'SIP' | 'PJSIP';
  status: PeerStatus;
  previous_status: PeerStatus | null;
  latency_ms: number | null;
  address: string | null;
  cause: string | null;
  raw_status: string;
}

const yesNo = (v: string | undefined): boolean | null =>
  v === undefined
    ? null
    : /^(yes|y|true|on)$/i.test(v.trim())
      ? true
      : /^(no|n|false|off)$/i.test(v.trim())
        ? false
        : null;

/** Splits chan_sip's Status text (`OK (12 ms)`, `LAGGED (2500 ms)`, `UNREACHABLE`, `UNKNOWN`,
 * `Unmonitored` — reference §3.1) into a status and a latency. */
export function parseSipStatus(text: string): { status: PeerStatus; latency_ms: number | null } {
  const t = text.trim();
  const ms = /\((\d+) ms\)/.exec(t);
  const latency = ms ? Number(ms[1]) : null;
  if (/^OK\b/i.test(t)) return { status: 'ok', latency_ms: latency };
  if (/^LAGGED\b/i.test(t)) return { status: 'lagged', latency_ms: latency };
  if (/^UNREACHABLE/i.test(t)) return { status: 'unreachable', latency_ms: null };
  if (/^Unmonitored/i.test(t)) return { status: 'unmonitored', latency_ms: null };
  return { status: 'unknown', latency_ms: null };
}

/** A peer with nothing known but its name: every optional field null (the shape all constructors start from). */
export function blankPeer(
  name: string,
  channelType: 'SIP' | 'PJSIP',
  isTrunk: (name: string) => boolean,
): Peer {
  return {
    name,
    channel_type: channelType,
    trunk: isTrunk(name),
    ip_address: null,
    ip_port: null,
    dynamic: null,
    status: 'unknown',
    status_text: 'UNKNOWN',
    latency_ms: null,
    description: null,
    device_state: null,
    contacts: [],
    forcerport: null,
    comedia: null,
    acl: null,
    video_support: null,
    text_support: null,
    realtime: null,
  };
}

/** A `PeerEntry` list event of SIPpeers (reference §3.1) → Peer. `-none-` / port 0 mean no address. */
export function peerFromPeerEntry(m: AmiMessage, isTrunk: (name: string) => boolean): Peer {
  const h = m.headers;
  const name = h.objectname ?? '';
  const ip = h.ipaddress && h.ipaddress !== '-none-' && h.ipaddress !== '(null)' ? h.ipaddress : null;
  const port = Number(h.ipport);
  const st = parseSipStatus(h.status ?? '');
  const dynamic = yesNo(h.dynamic);
  return {
    ...blankPeer(name, 'SIP', isTrunk),
    ip_address: ip,
    ip_port: ip && port > 0 ? port : null,
    dynamic,
    // A dynamic peer with no address has not registered: say so rather than UNKNOWN.
    status: dynamic && !ip && st.status !== 'unmonitored' ? 'unregistered' : st.status,
    status_text: (h.status ?? '').trim(),
    latency_ms: st.latency_ms,
    description: h.description?.trim() ? h.description.trim() : null,
    forcerport: yesNo(h.forcerport),
    comedia: yesNo(h.comedia),
    acl: yesNo(h.acl),
    video_support: yesNo(h.videosupport),
    text_support: yesNo(h.textsupport),
    realtime: yesNo(h.realtimedevice),
  };
}

/** Maps a PJSIP DeviceState (reference §16, main/devicestate.c names) to a peer status. */
export function statusFromDeviceState(state: string, hasContact: boolean): PeerStatus {
  switch (state.trim().toLowerCase()) {
    case 'unavailable':
      return hasContact ? 'unreachable' : 'unregistered';
    case 'not in use':
    case 'in use':
    case 'busy':
    case 'ringing':
    case 'ring+inuse':
    case 'on hold':
      return 'ok';
    default:
      return 'unknown';
  }
}

/** An `EndpointList` event of PJSIPShowEndpoints (reference §16) → Peer. Contacts are written
 * `<aor>/<uri>,` (trailing comma), one `Contacts:` line per AOR. */
export function peerFromEndpointList(m: AmiMessage, isTrunk: (name: string) => boolean): Peer {
  const h = m.headers;
  const name = h.objectname ?? '';
  const contactLines = m.repeated?.contacts ?? (h.contacts !== undefined ? [h.contacts] : []);
  const contacts = contactLines
    .flatMap((l) => l.split(','))
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  const addr = contacts.length > 0 ? hostPortFromUri(contacts[0]!) : null;
  const deviceState = h.devicestate ?? 'Unknown';
  return {
    ...blankPeer(name, 'PJSIP', isTrunk),
    ip_address: addr?.host ?? null,
    ip_port: addr?.port ?? null,
    status: statusFromDeviceState(deviceState, contacts.length > 0),
    status_text: deviceState,
    device_state: deviceState,
    contacts,
  };
}

/** Host and port of a contact such as `100/sip:100@192.168.1.50:5060;ob`. */
export function hostPortFromUri(contact: string): { host: string; port: number | null } | null {
  const m = /@(\[[^\]]+\]|[^:;>/]+)(?::(\d+))?/.exec(contact);
  if (!m) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : null };
}

/** Name of the peer in `Peer: SIP/100` or `Peer: PJSIP/100`. */
export function peerNameOf(peerHeader: string): { tech: 'SIP' | 'PJSIP'; name: string } {
  const slash = peerHeader.indexOf('/');
  const tech = peerHeader.slice(0, slash).toUpperCase() === 'PJSIP' ? 'PJSIP' : 'SIP';
  return { tech, name: slash >= 0 ? peerHeader.slice(slash + 1) : peerHeader };
}

/**
 * Applies a `PeerStatus` event (reference §5.6, §16) to a peer, returning the updated peer and the
 * change to announce. 12/13 Reachable/Lagged carry no `Time:` (trap in §5.6): the latency stays null.
 */
export function applyPeerStatus(
  prev: Peer | undefined,
  m: AmiMessage,
  isTrunk: (name: string) => boolean,
): { peer: Peer; change: PeerStatusChange } | undefined {
  const h = m.headers;
  if (!h.peer) return undefined;
  const { tech, name } = peerNameOf(h.peer);
  const raw = h.peerstatus ?? '';
  const base: Peer = prev ?? blankPeer(name, tech, isTrunk);
  const peer: Peer = { ...base };
  const time = h.time !== undefined && h.time !== '' ? Number(h.time) : null;
  let address: string | null = null;
  switch (raw.toLowerCase()) {
    case 'registered': {
      address = h.address ?? null;
      const hp = address ? splitAddress(address) : null;
      peer.ip_address = hp?.host ?? peer.ip_address;
      peer.ip_port = hp?.port ?? peer.ip_port;
      if (peer.status === 'unregistered' || peer.status === 'unreachable') peer.status = 'unknown';
      if (peer.status === 'unknown') peer.status_text = 'UNKNOWN';
      break;
    }
    case 'unregistered':
      peer.ip_address = null;
      peer.ip_port = null;
      peer.status = 'unregistered';
      peer.status_text = 'UNREACHABLE';
      peer.latency_ms = null;
      break;
    case 'reachable':
      peer.status = 'ok';
      peer.latency_ms = time !== null && time >= 0 ? time : null;
      peer.status_text = peer.latency_ms !== null ? `OK (${peer.latency_ms} ms)` : 'OK';
      break;
    case 'lagged':
      peer.status = 'lagged';
      peer.latency_ms = time !== null && time >= 0 ? time : null;
      peer.status_text = peer.latency_ms !== null ? `LAGGED (${peer.latency_ms} ms)` : 'LAGGED';
      break;
    case 'unreachable':
      peer.status = 'unreachable';
      peer.latency_ms = null;
      peer.status_text = 'UNREACHABLE';
      break;
    case 'rejected':
      address = h.address ? (h.port ? `${h.address}:${h.port}` : h.address) : null;
      break;
    default:
      return undefined;
  }
  return {
    peer,
    change: {
      name,
      channel_type: tech,
      status: peer.status,
      previous_status: prev?.status ?? null,
      latency_ms: peer.latency_ms,
      address,
      cause: h.cause ?? null,
      raw_status: raw,
    },
  };
}

function splitAddress(a: string): { host: string; port: number | null } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(a.trim());
  return m ? { host: m[1]!, port: m[2] ? Number(m[2]) : null } : { host: a, port: null };
}

/** Default trunk test: FreePBX extensions are numeric, trunks are named. The agent may inject a
 * better one built from the FreePBX `sip` table (`tr-peer-*` rows). */
export const defaultIsTrunk = (name: string): boolean => !/^\d+$/.test(name);

/**
 * Orders peer names as people read them: runs of digits by their value (`2` < `10` < `100`), the rest
 * case-insensitively, ties by code unit. Replaces `localeCompare(…, { numeric: true })`, whose ICU collator
 * maps ~2–4 MB of locale data into the agent for its whole life (measured on Node 20).
 */
export function comparePeerNames(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const xd = x.charCodeAt(0) >= 48 && x.charCodeAt(0) <= 57;
    const yd = y.charCodeAt(0) >= 48 && y.charCodeAt(0) <= 57;
    if (xd && yd) {
      const xs = x.replace(/^0+(?=\d)/, '');
      const ys = y.replace(/^0+(?=\d)/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
      continue;
    }
    if (xd !== yd) return xd ? -1 : 1;
    const xl = x.toLowerCase();
    const yl = y.toLowerCase();
    if (xl !== yl) return xl < yl ? -1 : 1;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
