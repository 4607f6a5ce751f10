/**
 * Queue and transfer events used by scenarios as realistic context. UNCONFIRMED layouts: the reference
 * (§5) does not list app_queue or transfer events; these follow app_queue.c / manager_channels.c as
 * remembered (1.8/11 hand-written `Join`/`Leave`/`AgentCalled`/`AgentConnect`/`AgentComplete`/`Transfer`;
 * 12+ `QueueCallerJoin`/`QueueCallerLeave`/Agent* with channel blocks, `AttendedTransfer`). Clients should
 * not depend on their field order.
 */
import { channelBlock, type SimEvent } from './events';
import type { SimChannel } from './model';
import type { DialectProfile } from './profiles';
import type { Fields } from './wire';

const legacy = (p: DialectProfile) => p.channelEvents === 'legacy';

/** Caller joins a queue. */
export function queueJoin(p: DialectProfile, ch: SimChannel, queue: string, position: number): SimEvent {
  if (legacy(p)) {
    return {
      name: 'Join',
      cls: 'call',
      body: [
        ['Channel', ch.name],
        ['CallerIDNum', ch.callerNum],
        ['CallerIDName', ch.callerName],
        ['ConnectedLineNum', ch.connectedNum || 'unknown'],
        ['ConnectedLineName', ch.connectedName || 'unknown'],
        ['Queue', queue],
        ['Position', String(position)],
        ['Count', String(position)],
        ['Uniqueid', ch.uniqueid],
      ],
    };
  }
  return {
    name: 'QueueCallerJoin',
    cls: 'agent',
    body: [
      ...channelBlock(p, ch),
      ['Queue', queue],
      ['Position', String(position)],
      ['Count', String(position)],
    ],
  };
}

/** Caller leaves a queue (answered or abandoned). */
export function queueLeave(p: DialectProfile, ch: SimChannel, queue: string): SimEvent {
  if (legacy(p)) {
    return {
      name: 'Leave',
      cls: 'call',
      body: [
        ['Channel', ch.name],
        ['Queue', queue],
        ['Count', '0'],
        ['Position', '1'],
        ['Uniqueid', ch.uniqueid],
      ],
    };
  }
  return {
    name: 'QueueCallerLeave',
    cls: 'agent',
    body: [...channelBlock(p, ch), ['Queue', queue], ['Count', '0'], ['Position', '1']],
  };
}

/** AgentCalled / AgentConnect / AgentComplete. */
export function agentEvent(
  p: DialectProfile,
  name: 'AgentCalled' | 'AgentConnect' | 'AgentComplete',
  caller: SimChannel,
  agent: SimChannel,
  queue: string,
  extra: Fields = [],
): SimEvent {
  const iface = `${agent.name.split('-')[0]}`;
  if (legacy(p)) {
    const body: Fields =
      name === 'AgentCalled'
        ? [
            ['Queue', queue],
            ['AgentCalled', iface],
            ['AgentName', iface],
            ['ChannelCalling', caller.name],
            ['DestinationChannel', agent.name],
            ['CallerIDNum', caller.callerNum],
            ['CallerIDName', caller.callerName],
            ['Context', caller.context],
            ['Extension', caller.exten],
            ['Priority', String(caller.priority)],
            ['Uniqueid', caller.uniqueid],
          ]
        : [
            ['Queue', queue],
            ['Uniqueid', caller.uniqueid],
            ['Channel', agent.name],
            ['Member', iface],
            ['MemberName', iface],
            ...extra,
          ];
    return { name, cls: 'agent', body };
  }
  return {
    name,
    cls: 'agent',
    body: [
      ...channelBlock(p, caller),
      ...channelBlock(p, agent, 'Dest'),
      ['Queue', queue],
      ['Interface', iface],
      ['MemberName', iface],
      ...extra,
    ],
  };
}

/** Attended transfer completed by `transferer` (1.8/11 `Transfer`; 12+ `AttendedTransfer`). */
export function attendedTransfer(
  p: DialectProfile,
  transferer: SimChannel,
  second: SimChannel,
  target: SimChannel,
  bridgeId: string,
): SimEvent {
  if (legacy(p)) {
    return {
      name: 'Transfer',
      cls: 'call',
      body: [
        ['TransferMethod', 'SIP'],
        ['TransferType', 'Attended'],
        ['Channel', transferer.name],
        ['Uniqueid', transferer.uniqueid],
        ['SIP-Callid', `${transferer.uniqueid}@pbx`],
        ['TargetChannel', target.name],
        ['TargetUniqueid', target.uniqueid],
      ],
    };
  }
  return {
    name: 'AttendedTransfer',
    cls: 'call',
    body: [
      ['Result', 'Success'],
      ...channelBlock(p, transferer, 'OrigTransferer'),
      ...channelBlock(p, second, 'SecondTransferer'),
      ['DestType', 'Bridge'],
      ['DestBridgeUniqueid', bridgeId],
    ],
  };
}
