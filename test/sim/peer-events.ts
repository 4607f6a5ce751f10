/** Peer reachability events: chan_sip PeerStatus (§5.6) and PJSIP PeerStatus/ContactStatus (§16). */
import type { SimEvent } from './events';
import type { PeerSpec } from './model';
import type { DialectProfile } from './profiles';
import type { Fields } from './wire';

const legacy = (p: DialectProfile) => p.channelEvents === 'legacy';

/** PeerStatus for chan_sip (§5.6): 1.8/11 vs 12/13 (no Time: on Reachable/Lagged — the trap). */
export function sipPeerStatus(
  p: DialectProfile,
  peer: PeerSpec,
  status: 'Registered' | 'Unregistered' | 'Reachable' | 'Lagged' | 'Unreachable',
  ms?: number,
): SimEvent {
  const body: Fields = [
    ['ChannelType', 'SIP'],
    ['Peer', `SIP/${peer.name}`],
    ['PeerStatus', status],
  ];
  const addr = `${peer.ip ?? ''}:${peer.port ?? 0}`;
  if (legacy(p)) {
    if (status === 'Registered') body.push(['Address', addr]);
    else if (status === 'Unregistered') body.push(['Cause', 'Expired']);
    else if (status === 'Unreachable') body.push(['Time', '-1']);
    else if (p.peerStatusTime) body.push(['Time', String(ms ?? 0)]);
  } else {
    // 12/13 order: Cause, Address, Port, Time (§5.6).
    if (status === 'Unregistered') body.push(['Cause', 'Expired']);
    if (status === 'Registered') body.push(['Address', addr]);
    if (status === 'Unreachable') body.push(['Time', '-1']);
    else if ((status === 'Reachable' || status === 'Lagged') && p.peerStatusTime)
      body.push(['Time', String(ms ?? 0)]);
  }
  return { name: 'PeerStatus', cls: 'system', body };
}

/** PJSIP PeerStatus (§16): `ChannelType: PJSIP`, `Peer: PJSIP/<ext>`, Reachable|Unreachable. */
export function pjsipPeerStatus(peer: PeerSpec, status: 'Reachable' | 'Unreachable'): SimEvent {
  return {
    name: 'PeerStatus',
    cls: 'system',
    body: [
      ['ChannelType', 'PJSIP'],
      ['Peer', `PJSIP/${peer.name}`],
      ['PeerStatus', status],
    ],
  };
}

/**
 * ContactStatus (§16: carries AOR, URI, ContactStatus, RoundtripUsec). Order and the EndpointName line
 * are UNCONFIRMED (res_pjsip as remembered: URI, ContactStatus, AOR, EndpointName, RoundtripUsec).
 */
export function contactStatus(
  peer: PeerSpec,
  status: 'Created' | 'Removed' | 'Reachable' | 'Unreachable',
): SimEvent {
  const rtt = status === 'Reachable' ? String((peer.latencyMs ?? 0) * 1000) : '0';
  return {
    name: 'ContactStatus',
    cls: 'system',
    body: [
      ['URI', contactUri(peer)],
      ['ContactStatus', status],
      ['AOR', peer.name],
      ['EndpointName', peer.name],
      ['RoundtripUsec', rtt],
    ],
  };
}

/** The contact URI a registered PJSIP endpoint has. */
export function contactUri(peer: PeerSpec): string {
  return `sip:${peer.name}@${peer.ip ?? '0.0.0.0'}:${peer.port ?? 5060}`;
}
