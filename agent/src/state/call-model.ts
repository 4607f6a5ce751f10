/** Wire shapes of calls (state/calls, call.* events) and the pure helpers that derive them. */

export type CallDirection = 'inbound' | 'outbound' | 'internal' | 'unknown';
export type CallState = 'ringing' | 'answered' | 'on_hold' | 'transferred' | 'ended';
export type EndReason =
  | 'completed'
  | 'cancelled'
  | 'busy'
  | 'no_answer'
  | 'failed'
  | 'congestion'
  | 'unavailable'
  | 'transferred'
  | 'unknown';

/** One channel of a call, with the seed's activecall fields. */
export interface ChannelView {
  channel: string;
  uniqueid: string;
  linkedid: string | null;
  state: string;
  state_code: number | null;
  application: string | null;
  application_data: string | null;
  caller_id_num: string | null;
  caller_id_name: string | null;
  connected_line_num: string | null;
  connected_line_name: string | null;
  context: string | null;
  exten: string | null;
  priority: number | null;
  account_code: string | null;
  duration_s: number | null;
  bridged_channel: string | null;
  bridge_id: string | null;
}

export interface Party {
  number: string | null;
  name: string | null;
}

/** A call as a consumer sees it, independent of the Asterisk version. */
export interface CallView {
  call_id: string;
  direction: CallDirection;
  state: CallState;
  from: Party;
  to: Party;
  started_at: string;
  answered_at: string | null;
  ring_s: number;
  talk_s: number;
  channels: ChannelView[];
}

export interface CallEnd {
  reason: EndReason;
  q850_code: number | null;
  q850_text: string | null;
  dial_status: string | null;
  hangup_by: 'caller' | 'callee' | null;
}

/** Channel state names by number (reference §4.3, `ast_state2str`). */
export const CHANNEL_STATES: Record<number, string> = {
  0: 'Down',
  1: 'Rsrvd',
  2: 'OffHook',
  3: 'Dialing',
  4: 'Ring',
  5: 'Ringing',
  6: 'Up',
  7: 'Busy',
  8: 'Dialing Offhook',
  9: 'Pre-ring',
};

/** Q.850 cause texts as Asterisk prints them (reference §5.2, `ast_cause2str`). */
export const Q850_TEXT: Record<number, string> = {
  0: 'Unknown',
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

/** Technology and peer of a channel name: `SIP/100-0000000a` → SIP, 100; `Local/100@ctx-0001;2` → Local. */
export function channelPeer(channel: string): { tech: string; peer: string } {
  const slash = channel.indexOf('/');
  if (slash < 0) return { tech: channel, peer: '' };
  const tech = channel.slice(0, slash);
  const rest = channel.slice(slash + 1);
  // SIP/PJSIP/IAX2 names end in -<hex counter> (reference §4.3); DAHDI/1-1 similar.
  const dash = rest.lastIndexOf('-');
  return { tech, peer: dash > 0 ? rest.slice(0, dash) : rest };
}

/** `Local/100@from-queue-00000001;2` → `Local/100@from-queue-00000001` (both halves share it). */
export function localBase(channel: string): string | null {
  return channel.startsWith('Local/') && /;[12]$/.test(channel) ? channel.slice(0, -2) : null;
}

/** `HH:MM:SS` (CoreShowChannel Duration) → seconds; empty or malformed → null. */
export function parseHms(text: string | undefined): number | null {
  if (!text) return null;
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(text.trim());
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

/** Caller-id values: 12+ prints `<unknown>` for empty (reference §4.2, §5.1), 1.8/11 prints empty. */
export function cid(v: string | undefined): string | null {
  if (v === undefined) return null;
  const t = v.trim();
  return t === '' || t === '<unknown>' ? null : t;
}

/** Contexts through which FreePBX routes calls from trunks. */
const INBOUND_CONTEXTS = /^(from-trunk|from-pstn|from-did|ext-did|from-sip-external|from-dahdi|from-zaptel)/;

/** True when a channel name or context shows a call coming from a trunk. */
export function looksInbound(
  channel: string,
  context: string | null,
  isTrunk: (peer: string) => boolean,
): boolean {
  const { tech, peer } = channelPeer(channel);
  if (tech === 'DAHDI' || tech === 'Zap') return true;
  if ((tech === 'SIP' || tech === 'PJSIP' || tech === 'IAX2') && peer && isTrunk(peer)) return true;
  return context !== null && INBOUND_CONTEXTS.test(context);
}

/** True when a dialled channel or dial string reaches a trunk (`SIP/mytrunk/5551234` → `mytrunk/5551234`, §5.3). */
export function looksOutbound(
  destChannel: string | null,
  dialString: string | null,
  isTrunk: (peer: string) => boolean,
): boolean {
  if (destChannel) {
    const { tech, peer } = channelPeer(destChannel);
    if (tech === 'DAHDI' || tech === 'Zap') return true;
    if ((tech === 'SIP' || tech === 'PJSIP' || tech === 'IAX2') && peer && isTrunk(peer)) return true;
  }
  if (dialString?.includes('/')) {
    const trunk = dialString.slice(0, dialString.indexOf('/'));
    if (trunk && isTrunk(trunk)) return true;
  }
  return false;
}

/** The number part of a dial string: `mytrunk/5551234` → 5551234, `101` → 101. */
export function dialNumber(dialString: string | null): string | null {
  if (!dialString) return null;
  const last = dialString.split('/').pop() ?? '';
  const num = last.split(/[@,&]/)[0] ?? '';
  return num === '' ? null : num;
}

/**
 * Why a call ended, in terms a consumer can act on. A caller who hangs up while it rings gets
 * `cancelled` from DialEnd `DialStatus: CANCEL`, not Asterisk's misleading cause 127 "Interworking"
 * (TechCause 487) seen on PJSIP (reference §16; documented by the asterisk-mqtt bridge).
 */
export function endOf(c: {
  answered: boolean;
  pbxAnswered: boolean;
  dialStatus: string | null;
  cause: number | null;
  causeText: string | null;
  hangupBy: 'caller' | 'callee' | null;
}): CallEnd {
  const status = c.dialStatus?.toUpperCase() ?? null;
  let reason: EndReason;
  if (c.answered || status === 'ANSWER') reason = 'completed';
  else if (status === 'CANCEL') reason = 'cancelled';
  else if (status === 'BUSY') reason = 'busy';
  else if (status === 'NOANSWER') reason = 'no_answer';
  else if (status === 'CONGESTION') reason = 'congestion';
  else if (status === 'CHANUNAVAIL') reason = 'unavailable';
  else if (c.cause === 17) reason = 'busy';
  else if (c.cause === 18 || c.cause === 19) reason = 'no_answer';
  else if (c.cause === 34 || c.cause === 41 || c.cause === 42 || c.cause === 44) reason = 'congestion';
  else if (c.cause === 20 || c.cause === 27) reason = 'unavailable';
  else if (c.pbxAnswered) reason = 'completed';
  else if (
    c.hangupBy === 'caller' &&
    (c.cause === 16 || c.cause === 127 || c.cause === 0 || c.cause === null)
  )
    reason = 'cancelled';
  else if (c.cause === 16 || c.cause === 31) reason = 'completed';
  else reason = 'failed';

  let code = c.cause;
  let text = c.cause === null ? null : (Q850_TEXT[c.cause] ?? c.causeText);
  if (reason === 'cancelled' && code === 127) {
    // The caller cleared the call normally; 127 is Asterisk's mapping of SIP 487 (Request Terminated).
    code = 16;
    text = Q850_TEXT[16]!;
  }
  return { reason, q850_code: code, q850_text: text, dial_status: status, hangup_by: c.hangupBy };
}
