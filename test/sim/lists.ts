/** List-producing actions: SIPpeers, SIPshowpeer, CoreShowChannels, PJSIPShowEndpoints (§3, §4, §16). */
import { channelDuration } from './cli-render';
import { channelBlock } from './events';
import type { PeerSpec, SimChannel } from './model';
import { peerStatusText, sortedPeers, stateDesc } from './model';
import { contactUri } from './peer-events';
import type { DialectProfile } from './profiles';
import type { SimState } from './sim-state';
import { type Fields, frame, idField, response } from './wire';

const yn = (b: boolean | undefined) => (b ? 'yes' : 'no');

/** List completion event: ActionID last (≤13.1) or right after Event (13.2+) (§3.1, §14.3). */
export function listComplete(
  p: DialectProfile,
  name: string,
  actionId: string | undefined,
  n: number,
): string {
  const tail: Fields = [
    ['EventList', 'Complete'],
    ['ListItems', String(n)],
  ];
  return frame(
    p.listCompleteActionIdFirst
      ? [['Event', name], ...idField(actionId), ...tail]
      : [['Event', name], ...tail, ...idField(actionId)],
  );
}

/** One PeerEntry (§3.1 field table; no Privilege line). */
export function peerEntry(p: DialectProfile, x: PeerSpec, actionId: string | undefined): string {
  const nat = (f: PeerSpec['forcerport']) => yn(f === 'yes' || f === 'auto-yes');
  const auto = (f: PeerSpec['forcerport']) => yn(f === 'auto-yes' || f === 'auto-no');
  const f: Fields = [
    ['Event', 'PeerEntry'],
    ...idField(actionId),
    ['Channeltype', 'SIP'],
    ['ObjectName', x.name],
    ['ChanObjectType', 'peer'],
    ['IPaddress', x.ip ?? '-none-'],
    ['IPport', String(x.ip ? (x.port ?? 0) : 0)],
    ['Dynamic', yn(x.dynamic)],
  ];
  if (p.peerEntry !== '1.8') f.push(['AutoForcerport', auto(x.forcerport)]);
  f.push(['Forcerport', nat(x.forcerport)]);
  if (p.peerEntry !== '1.8') f.push(['AutoComedia', auto(x.comedia)], ['Comedia', nat(x.comedia)]);
  f.push(
    ['VideoSupport', yn(x.videoSupport)],
    ['TextSupport', yn(x.textSupport)],
    ['ACL', yn(x.acl)],
    ['Status', peerStatusText(x)],
    ['RealtimeDevice', yn(x.realtime)],
  );
  if (p.peerEntry !== '1.8') f.push(['Description', x.description ?? '']);
  if (p.peerEntry === '13.13') f.push(['Accountcode', x.accountcode ?? '']);
  return frame(f);
}

/** SIPpeers: ack, PeerEntry per peer/friend sorted by name, PeerlistComplete (§3.1). */
export function sipPeers(s: SimState, actionId: string | undefined): string {
  const list = sortedPeers(s.peers).filter((x) => x.type !== 'user');
  let out = response('Success', actionId, { eventList: 'start', message: 'Peer status list will follow' });
  for (const x of list) out += peerEntry(s.profile, x, actionId);
  return out + listComplete(s.profile, 'PeerlistComplete', actionId, list.length);
}

/** SIPshowpeer (§3.2): errors, the extra CRLF after not-found, and the per-version field order. */
export function sipShowPeer(s: SimState, actionId: string | undefined, name: string | undefined): string {
  if (!name) return response('Error', actionId, { message: 'Peer: <name> missing.' });
  const x = s.peers.find((q) => q.name === name && q.type !== 'user');
  // The action always appends "\r\n" after the helper, so not-found leaves a stray empty line (§3.2).
  if (!x) return `${response('Error', actionId, { message: `Peer ${name} not found.` })}\r\n`;
  const v = s.profile.sipShowPeer;
  const cid = x.callerid ? `"${x.callerid.name}" <${x.callerid.num}>` : '"" <>';
  const f: Fields = [
    ['Response', 'Success'],
    ...idField(actionId),
    ['Channeltype', 'SIP'],
    ['ObjectName', x.name],
    ['ChanObjectType', 'peer'],
    ['SecretExist', 'Y'],
    ['RemoteSecretExist', 'N'],
    ['MD5SecretExist', 'N'],
    ['Context', x.context ?? 'default'],
  ];
  if (v === '13') f.push(['SubscribeContext', '']);
  f.push(['Language', 'en']);
  if (v !== '1.8') f.push(['ToneZone', '<Not set>']);
  if (x.accountcode) f.push(['Accountcode', x.accountcode]);
  f.push(
    ['AMAflags', 'Unknown'],
    ['CID-CallingPres', 'Presentation Allowed, Not Screened'],
    ['Callgroup', ''],
    ['Pickupgroup', ''],
  );
  if (v !== '1.8') f.push(['Named Callgroup', ''], ['Named Pickupgroup', '']);
  f.push(
    ['MOHSuggest', ''],
    ['VoiceMailbox', x.trunk ? '' : `${x.name}@device`],
    ['TransferMode', 'open'],
    ['LastMsgsSent', '0'],
    ['Maxforwards', '0'],
    ['Call-limit', '2147483647'],
    ['Busy-level', '0'],
    ['MaxCallBR', '384 kbps'],
    ['Dynamic', x.dynamic ? 'Y' : 'N'],
    ['Callerid', cid],
    ['RegExpire', x.ip && x.dynamic ? '3540 seconds' : '-1 seconds'],
    ['SIP-AuthInsecure', 'no'],
    [
      'SIP-Forcerport',
      x.forcerport === 'yes'
        ? 'Y'
        : x.forcerport === 'auto-yes'
          ? 'A'
          : x.forcerport === 'auto-no'
            ? 'a'
            : 'N',
    ],
  );
  if (v !== '1.8') f.push(['SIP-Comedia', x.comedia === 'yes' || x.comedia === 'auto-yes' ? 'Y' : 'N']);
  f.push(
    ['ACL', x.acl ? 'Y' : 'N'],
    ['SIP-CanReinvite', 'N'],
    ['SIP-DirectMedia', 'N'],
    ['SIP-PromiscRedir', 'N'],
    ['SIP-UserPhone', 'N'],
    ['SIP-VideoSupport', x.videoSupport ? 'Y' : 'N'],
    ['SIP-TextSupport', x.textSupport ? 'Y' : 'N'],
    ['SIP-T.38Support', 'N'],
    ['SIP-T.38EC', 'Unknown'],
    ['SIP-T.38MaxDtgrm', '4294967295'],
    ['SIP-Sess-Timers', 'Accept'],
    ['SIP-Sess-Refresh', 'uas'],
    ['SIP-Sess-Expires', '1800'],
    ['SIP-Sess-Min', '90'],
    ['SIP-RTP-Engine', 'asterisk'],
  );
  if (v === '13') f.push(['SIP-RTCP-Mux', 'N']);
  f.push(
    ['SIP-Encryption', 'N'],
    ['SIP-DTMFmode', 'rfc2833'],
    ['ToHost', x.trunk ? (x.ip ?? '') : ''],
    ['Address-IP', x.ip ?? '(null)'],
    ['Address-Port', String(x.ip ? (x.port ?? 0) : 0)],
    ['Default-addr-IP', '(null)'],
    ['Default-addr-port', '0'],
    ['Default-Username', x.username ?? ''],
    ['Codecs', '(ulaw|alaw|gsm)'],
  );
  if (v !== '13') f.push(['CodecOrder', 'ulaw,alaw,gsm']);
  f.push(
    ['Status', peerStatusText(x)],
    ['SIP-Useragent', x.useragent ?? ''],
    ['Reg-Contact', x.ip ? `sip:${x.username ?? x.name}@${x.ip}:${x.port ?? 5060}` : ''],
    ['QualifyFreq', '60000 ms'],
    ['Parkinglot', ''],
    ['SIP-Use-Reason-Header', 'N'],
  );
  if (v !== '1.8') f.push(['Description', x.description ?? '']);
  return frame(f);
}

/** One CoreShowChannel item: 1.8/11 own spelling and empty CIDs (§4.1) vs 12+ block + extras (§4.2). */
export function coreShowChannel(s: SimState, ch: SimChannel, actionId: string | undefined): string {
  const p = s.profile;
  const dur = channelDuration(ch, s.now());
  if (p.channelEvents === 'legacy') {
    return frame([
      ['Event', 'CoreShowChannel'],
      ...idField(actionId),
      ['Channel', ch.name],
      ['UniqueID', ch.uniqueid],
      ['Context', ch.context],
      ['Extension', ch.exten],
      ['Priority', String(ch.priority)],
      ['ChannelState', String(ch.state)],
      ['ChannelStateDesc', stateDesc(ch.state)],
      ['Application', ch.app],
      ['ApplicationData', ch.appData],
      ['CallerIDnum', ch.callerNum],
      ['CallerIDname', ch.callerName],
      ['ConnectedLineNum', ch.connectedNum],
      ['ConnectedLineName', ch.connectedName],
      ['Duration', dur],
      ['AccountCode', ch.accountCode],
      ['BridgedChannel', ch.bridgedTo?.name ?? ''],
      ['BridgedUniqueID', ch.bridgedTo?.uniqueid ?? ''],
    ]);
  }
  return frame([
    ['Event', 'CoreShowChannel'],
    ...idField(actionId),
    ...channelBlock(p, ch),
    ['Application', ch.app],
    ['ApplicationData', ch.appData],
    ['Duration', dur],
    ['BridgeId', ch.bridgeId],
  ]);
}

/** CoreShowChannels: ack, items, CoreShowChannelsComplete (§4). */
export function coreShowChannels(s: SimState, actionId: string | undefined): string {
  let out = response('Success', actionId, { eventList: 'start', message: 'Channels will follow' });
  for (const ch of s.channels) out += coreShowChannel(s, ch, actionId);
  return out + listComplete(s.profile, 'CoreShowChannelsComplete', actionId, s.channels.length);
}

/** Device state of a PJSIP endpoint, derived from registration and live channels (§16 state names). */
export function deviceState(s: SimState, x: PeerSpec): string {
  if (!x.ip || x.status === 'unreachable') return 'Unavailable';
  const chans = s.channels.filter((c) => c.peer === x.name);
  if (chans.length === 0) return 'Not in use';
  if (chans.some((c) => c.state === 5)) return 'Ringing';
  return 'In use';
}

/** PJSIPShowEndpoints (§16): ack, EndpointList per endpoint, EndpointListComplete. */
export function pjsipShowEndpoints(s: SimState, actionId: string | undefined): string {
  const list = sortedPeers(s.peers);
  // No endpoints: Error "No endpoints found\n" — the message text carries its own LF before the CRLF.
  // UNCONFIRMED (res_pjsip ami_show_endpoints as remembered; not in the reference).
  if (list.length === 0) return response('Error', actionId, { message: 'No endpoints found\n' });
  let out = response('Success', actionId, {
    eventList: 'start',
    message: 'A listing of Endpoints follows, presented as EndpointList events',
  });
  for (const x of list) {
    const active = s.channels
      .filter((c) => c.peer === x.name)
      .map((c) => c.name)
      .join(',');
    out += frame([
      ['Event', 'EndpointList'],
      ...idField(actionId),
      ['ObjectType', 'endpoint'],
      ['ObjectName', x.name],
      ['Transport', x.transport ?? '0.0.0.0-udp'],
      ['Aor', x.name],
      ['Auths', x.trunk ? '' : `${x.name}-auth`],
      ['OutboundAuths', x.trunk ? `${x.name}-auth` : ''],
      ['Contacts', x.ip ? `${x.name}/${contactUri(x)},` : ''],
      ['DeviceState', deviceState(s, x)],
      ['ActiveChannels', active],
    ]);
  }
  return (
    out +
    frame([
      ['Event', 'EndpointListComplete'],
      ...idField(actionId),
      ['EventList', 'Complete'],
      ['ListItems', String(list.length)],
    ])
  );
}
