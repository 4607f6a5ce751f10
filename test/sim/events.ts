/** Event bodies per dialect (§5): channel, dial, bridge and dialplan-noise layouts (peer events: peer-events.ts). */
import type { SimChannel } from './model';
import { causeText, stateDesc } from './model';
import type { DialectProfile } from './profiles';
import type { Fields } from './wire';

/** An event before framing: name, privilege class (§1: written as `<class>,all`) and body fields. */
export interface SimEvent {
  name: string;
  cls: string;
  body: Fields;
}

const unk = (s: string) => (s === '' ? '<unknown>' : s);

/** 12+ channel snapshot block (§5.1), optional prefix such as `Dest`. Empty CIDs print `<unknown>`. */
export function channelBlock(p: DialectProfile, ch: SimChannel, prefix = ''): Fields {
  const f: Fields = [
    [`${prefix}Channel`, ch.name],
    [`${prefix}ChannelState`, String(ch.state)],
    [`${prefix}ChannelStateDesc`, stateDesc(ch.state)],
    [`${prefix}CallerIDNum`, unk(ch.callerNum)],
    [`${prefix}CallerIDName`, unk(ch.callerName)],
    [`${prefix}ConnectedLineNum`, unk(ch.connectedNum)],
    [`${prefix}ConnectedLineName`, unk(ch.connectedName)],
  ];
  if (p.language) f.push([`${prefix}Language`, ch.language]);
  f.push(
    [`${prefix}AccountCode`, ch.accountCode],
    [`${prefix}Context`, ch.context],
    [`${prefix}Exten`, ch.exten],
    [`${prefix}Priority`, String(ch.priority)],
    [`${prefix}Uniqueid`, ch.uniqueid],
  );
  if (p.linkedid) f.push([`${prefix}Linkedid`, ch.linkedid]);
  return f;
}

const legacy = (p: DialectProfile) => p.channelEvents === 'legacy';

/** Newchannel (§5.2): 1.8/11 own order with empty values as empty; 12+ the snapshot block. */
export function newchannel(p: DialectProfile, ch: SimChannel): SimEvent {
  const body: Fields = legacy(p)
    ? [
        ['Channel', ch.name],
        ['ChannelState', String(ch.state)],
        ['ChannelStateDesc', stateDesc(ch.state)],
        ['CallerIDNum', ch.callerNum],
        ['CallerIDName', ch.callerName],
        ['AccountCode', ch.accountCode],
        ['Exten', ch.exten],
        ['Context', ch.context],
        ['Uniqueid', ch.uniqueid],
      ]
    : channelBlock(p, ch);
  return { name: 'Newchannel', cls: 'call', body };
}

/** Newstate (§5.2). */
export function newstate(p: DialectProfile, ch: SimChannel): SimEvent {
  const body: Fields = legacy(p)
    ? [
        ['Channel', ch.name],
        ['ChannelState', String(ch.state)],
        ['ChannelStateDesc', stateDesc(ch.state)],
        ['CallerIDNum', ch.callerNum],
        ['CallerIDName', ch.callerName],
        ['ConnectedLineNum', ch.connectedNum],
        ['ConnectedLineName', ch.connectedName],
        ['Uniqueid', ch.uniqueid],
      ]
    : channelBlock(p, ch);
  return { name: 'Newstate', cls: 'call', body };
}

/** HangupRequest (12+, §16 captures): channel block + Cause. */
export function hangupRequest(p: DialectProfile, ch: SimChannel, cause: number): SimEvent {
  return { name: 'HangupRequest', cls: 'call', body: [...channelBlock(p, ch), ['Cause', String(cause)]] };
}

/** Hangup (§5.2): 1.8 without AccountCode, 11 with it; 12+ block + Cause + Cause-txt. */
export function hangup(p: DialectProfile, ch: SimChannel, cause: number): SimEvent {
  let body: Fields;
  if (legacy(p)) {
    body = [
      ['Channel', ch.name],
      ['Uniqueid', ch.uniqueid],
      ['CallerIDNum', unk(ch.callerNum)],
      ['CallerIDName', unk(ch.callerName)],
      ['ConnectedLineNum', unk(ch.connectedNum)],
      ['ConnectedLineName', unk(ch.connectedName)],
    ];
    if (p.hangupAccountCode) body.push(['AccountCode', ch.accountCode]);
  } else {
    body = channelBlock(p, ch);
  }
  body.push(['Cause', String(cause)], ['Cause-txt', causeText(cause)]);
  return { name: 'Hangup', cls: 'call', body };
}

/** Dialstring = resource after `TECH/` (§5.3). */
function dialString(target: string): string {
  const i = target.indexOf('/');
  return i >= 0 ? target.slice(i + 1) : target;
}

/** Dial begin: 1.8/11 `Dial` SubEvent Begin; 12+ `DialBegin` with the `Dest` block (§5.3). */
export function dialBegin(
  p: DialectProfile,
  caller: SimChannel,
  callee: SimChannel,
  target: string,
): SimEvent {
  if (legacy(p)) {
    return {
      name: 'Dial',
      cls: 'call',
      body: [
        ['SubEvent', 'Begin'],
        ['Channel', caller.name],
        ['Destination', callee.name],
        ['CallerIDNum', unk(caller.callerNum)],
        ['CallerIDName', unk(caller.callerName)],
        ['ConnectedLineNum', unk(caller.connectedNum)],
        ['ConnectedLineName', unk(caller.connectedName)],
        ['UniqueID', caller.uniqueid],
        ['DestUniqueID', callee.uniqueid],
        ['Dialstring', dialString(target)],
      ],
    };
  }
  return {
    name: 'DialBegin',
    cls: 'call',
    body: [
      ...channelBlock(p, caller),
      ...channelBlock(p, callee, 'Dest'),
      ['DialString', dialString(target) || 'unknown'],
    ],
  };
}

/** DialState (14+ only, §5.3/§16): progress such as RINGING. */
export function dialState(
  p: DialectProfile,
  caller: SimChannel,
  callee: SimChannel,
  status: string,
): SimEvent {
  return {
    name: 'DialState',
    cls: 'call',
    body: [...channelBlock(p, caller), ...channelBlock(p, callee, 'Dest'), ['DialStatus', status]],
  };
}

/** Dial end: 1.8/11 `Dial` SubEvent End; 12+ `DialEnd` (§5.3). */
export function dialEnd(p: DialectProfile, caller: SimChannel, callee: SimChannel, status: string): SimEvent {
  if (legacy(p)) {
    return {
      name: 'Dial',
      cls: 'call',
      body: [
        ['SubEvent', 'End'],
        ['Channel', caller.name],
        ['UniqueID', caller.uniqueid],
        ['DialStatus', status],
      ],
    };
  }
  return {
    name: 'DialEnd',
    cls: 'call',
    body: [...channelBlock(p, caller), ...channelBlock(p, callee, 'Dest'), ['DialStatus', status]],
  };
}

/** A 12+ bridge (§5.4). */
export interface SimBridge {
  id: string;
  type: string;
  technology: string;
  members: SimChannel[];
}

/** 12+ bridge block (§5.4); BridgeVideoSourceMode from 13.13. */
export function bridgeBlock(p: DialectProfile, b: SimBridge): Fields {
  const f: Fields = [
    ['BridgeUniqueid', b.id],
    ['BridgeType', b.type],
    ['BridgeTechnology', b.technology],
    ['BridgeCreator', '<unknown>'],
    ['BridgeName', '<unknown>'],
    ['BridgeNumChannels', String(b.members.length)],
  ];
  if (p.bridgeVideoSourceMode) f.push(['BridgeVideoSourceMode', 'none']);
  return f;
}

/** BridgeCreate / BridgeDestroy / BridgeEnter / BridgeLeave (12+, §5.4). */
export function bridgeEvent(p: DialectProfile, name: string, b: SimBridge, ch?: SimChannel): SimEvent {
  return { name, cls: 'call', body: [...bridgeBlock(p, b), ...(ch ? channelBlock(p, ch) : [])] };
}

/** 1.8/11 `Bridge` Link/Unlink (§5.4). */
export function legacyBridge(state: 'Link' | 'Unlink', a: SimChannel, b: SimChannel): SimEvent {
  return {
    name: 'Bridge',
    cls: 'call',
    body: [
      ['Bridgestate', state],
      ['Bridgetype', 'core'],
      ['Channel1', a.name],
      ['Channel2', b.name],
      ['Uniqueid1', a.uniqueid],
      ['Uniqueid2', b.uniqueid],
      ['CallerID1', a.callerNum],
      ['CallerID2', b.callerNum],
    ],
  };
}

/**
 * VarSet / Newexten noise — UNCONFIRMED layouts (not in the reference): 1.8/11 Channel, Variable, Value,
 * Uniqueid / Channel, Context, Extension, Priority, Application, AppData, Uniqueid; 12+ channel block then
 * Variable/Value or Extension/Application/AppData. Privilege `dialplan,all`.
 */
export function varSet(p: DialectProfile, ch: SimChannel, variable: string, value: string): SimEvent {
  const body: Fields = legacy(p)
    ? [
        ['Channel', ch.name],
        ['Variable', variable],
        ['Value', value],
        ['Uniqueid', ch.uniqueid],
      ]
    : [...channelBlock(p, ch), ['Variable', variable], ['Value', value]];
  return { name: 'VarSet', cls: 'dialplan', body };
}

/** Newexten noise (see varSet for the UNCONFIRMED note). */
export function newexten(p: DialectProfile, ch: SimChannel): SimEvent {
  const body: Fields = legacy(p)
    ? [
        ['Channel', ch.name],
        ['Context', ch.context],
        ['Extension', ch.exten],
        ['Priority', String(ch.priority)],
        ['Application', ch.app],
        ['AppData', ch.appData],
        ['Uniqueid', ch.uniqueid],
      ]
    : [...channelBlock(p, ch), ['Extension', ch.exten], ['Application', ch.app], ['AppData', ch.appData]];
  return { name: 'Newexten', cls: 'dialplan', body };
}
