import { describe, expect, it } from 'vitest';
import { type CallChange, CallTracker } from '../../../agent/src/state/call-tracker';
import { defaultIsTrunk } from '../../../agent/src/state/peer-model';
import { ev } from './ami-events';

function tracker() {
  let now = 1_700_000_000_000;
  const changes: CallChange[] = [];
  const t = new CallTracker(
    defaultIsTrunk,
    () => now,
    (c) => changes.push(c),
  );
  return { t, changes, advance: (ms: number) => (now += ms) };
}

// Asterisk 11 field lists: Newchannel/Newstate/Hangup (reference §5.2), Dial SubEvent (§5.3),
// Bridge Link/Unlink (§5.4). No Linkedid anywhere on 1.8/11.
const a11 = {
  newchan: (ch: string, uid: string, num: string, exten: string, context = 'from-internal', state = '0') =>
    ev('Newchannel', {
      Privilege: 'call,all',
      Channel: ch,
      ChannelState: state,
      ChannelStateDesc: state === '4' ? 'Ring' : 'Down',
      CallerIDNum: num,
      CallerIDName: '',
      AccountCode: '',
      Exten: exten,
      Context: context,
      Uniqueid: uid,
    }),
  newstate: (ch: string, uid: string, state: string, desc: string, num = '') =>
    ev('Newstate', {
      Channel: ch,
      ChannelState: state,
      ChannelStateDesc: desc,
      CallerIDNum: num,
      CallerIDName: '',
      ConnectedLineNum: '',
      ConnectedLineName: '',
      Uniqueid: uid,
    }),
  dialBegin: (ch: string, dest: string, uid: string, destUid: string, dialstring: string) =>
    ev('Dial', {
      SubEvent: 'Begin',
      Channel: ch,
      Destination: dest,
      CallerIDNum: '100',
      CallerIDName: 'Alice',
      ConnectedLineNum: '',
      ConnectedLineName: '',
      UniqueID: uid,
      DestUniqueID: destUid,
      Dialstring: dialstring,
    }),
  dialEnd: (ch: string, uid: string, status: string) =>
    ev('Dial', { SubEvent: 'End', Channel: ch, UniqueID: uid, DialStatus: status }),
  bridge: (state: string, c1: string, c2: string, u1: string, u2: string) =>
    ev('Bridge', {
      Bridgestate: state,
      Bridgetype: 'core',
      Channel1: c1,
      Channel2: c2,
      Uniqueid1: u1,
      Uniqueid2: u2,
      CallerID1: '100',
      CallerID2: '101',
    }),
  hangup: (ch: string, uid: string, cause: string, txt: string) =>
    ev('Hangup', {
      Channel: ch,
      Uniqueid: uid,
      CallerIDNum: '',
      CallerIDName: '',
      ConnectedLineNum: '',
      ConnectedLineName: '',
      AccountCode: '',
      Cause: cause,
      'Cause-txt': txt,
    }),
};

// Asterisk 13.5+/16 channel block (§5.1) with Linkedid; DialBegin/DialEnd (§5.3); BridgeEnter (§5.4).
function block(
  ch: string,
  uid: string,
  linked: string,
  state: string,
  desc: string,
  num: string,
  exten: string,
  context = 'from-internal',
) {
  return {
    Channel: ch,
    ChannelState: state,
    ChannelStateDesc: desc,
    CallerIDNum: num,
    CallerIDName: '<unknown>',
    ConnectedLineNum: '<unknown>',
    ConnectedLineName: '<unknown>',
    Language: 'en',
    AccountCode: '',
    Context: context,
    Exten: exten,
    Priority: '1',
    Uniqueid: uid,
    Linkedid: linked,
  };
}
const dest = (b: Record<string, string>) =>
  Object.fromEntries(Object.entries(b).map(([k, v]) => [`Dest${k}`, v]));

describe('CallTracker on Asterisk 1.8/11 (no Linkedid)', () => {
  it('follows an internal call from ring to answer to hangup, as one call', () => {
    const { t, changes, advance } = tracker();
    t.apply(a11.newchan('SIP/100-00000001', '1700000000.1', '100', '101'));
    t.apply(a11.newstate('SIP/100-00000001', '1700000000.1', '4', 'Ring', '100'));
    t.apply(a11.newchan('SIP/101-00000002', '1700000000.2', '101', 's', 'from-internal'));
    expect(changes.map((c) => c.type)).toEqual(['call.started']);
    t.apply(a11.dialBegin('SIP/100-00000001', 'SIP/101-00000002', '1700000000.1', '1700000000.2', '101'));
    t.apply(a11.newstate('SIP/101-00000002', '1700000000.2', '5', 'Ringing', '101'));
    advance(4000);
    t.apply(a11.newstate('SIP/101-00000002', '1700000000.2', '6', 'Up', '101'));
    t.apply(a11.dialEnd('SIP/100-00000001', '1700000000.1', 'ANSWER'));
    t.apply(a11.bridge('Link', 'SIP/100-00000001', 'SIP/101-00000002', '1700000000.1', '1700000000.2'));
    expect(t.list()).toHaveLength(1);
    const live = t.list()[0]!;
    expect(live.state).toBe('answered');
    expect(live.direction).toBe('internal');
    expect(live.from.number).toBe('100');
    expect(live.to.number).toBe('101');
    expect(live.ring_s).toBe(4);
    expect(live.channels.map((c) => c.channel).sort()).toEqual(['SIP/100-00000001', 'SIP/101-00000002']);
    expect(live.channels.find((c) => c.uniqueid === '1700000000.1')!.bridged_channel).toBe(
      'SIP/101-00000002',
    );
    advance(30_000);
    t.apply(a11.bridge('Unlink', 'SIP/100-00000001', 'SIP/101-00000002', '1700000000.1', '1700000000.2'));
    t.apply(a11.hangup('SIP/101-00000002', '1700000000.2', '16', 'Normal Clearing'));
    t.apply(a11.hangup('SIP/100-00000001', '1700000000.1', '16', 'Normal Clearing'));
    const ended = changes.at(-1)!;
    expect(ended.type).toBe('call.ended');
    if (ended.type !== 'call.ended') throw new Error('unreachable');
    expect(ended.end).toEqual({
      reason: 'completed',
      q850_code: 16,
      q850_text: 'Normal Clearing',
      dial_status: 'ANSWER',
      hangup_by: 'callee',
    });
    expect(ended.call.talk_s).toBe(30);
    expect(ended.call.call_id).toBe('1700000000.1');
    expect(t.size).toBe(0);
    expect(changes.filter((c) => c.type === 'call.started')).toHaveLength(1);
  });

  it('reports busy from the Dial End status and an inbound trunk call as inbound', () => {
    const { t, changes } = tracker();
    t.apply(
      a11.newchan('SIP/voiptrunk-0000000a', '1700000100.10', '5551234', '4155550100', 'from-trunk', '4'),
    );
    t.apply(a11.newchan('SIP/101-0000000b', '1700000100.11', '101', 's'));
    t.apply(
      a11.dialBegin('SIP/voiptrunk-0000000a', 'SIP/101-0000000b', '1700000100.10', '1700000100.11', '101'),
    );
    t.apply(a11.dialEnd('SIP/voiptrunk-0000000a', '1700000100.10', 'BUSY'));
    t.apply(a11.hangup('SIP/101-0000000b', '1700000100.11', '17', 'User busy'));
    t.apply(a11.hangup('SIP/voiptrunk-0000000a', '1700000100.10', '17', 'User busy'));
    const started = changes[0]!;
    expect(started.type).toBe('call.started');
    expect(started.call.direction).toBe('inbound');
    expect(started.call.to.number).toBe('4155550100');
    const ended = changes.at(-1)!;
    if (ended.type !== 'call.ended') throw new Error('expected call.ended');
    expect(ended.end.reason).toBe('busy');
    expect(ended.end.q850_code).toBe(17);
  });

  it('marks an outbound call by the trunk in the dial string', () => {
    const { t, changes } = tracker();
    t.apply(a11.newchan('SIP/100-00000001', '1.1', '100', '5551234', 'from-internal', '4'));
    t.apply(a11.newchan('SIP/voiptrunk-00000002', '1.2', '', 's'));
    t.apply(a11.dialBegin('SIP/100-00000001', 'SIP/voiptrunk-00000002', '1.1', '1.2', 'voiptrunk/5551234'));
    const upd = changes.find((c) => c.type === 'call.updated');
    expect(upd?.call.direction).toBe('outbound');
    expect(t.list()[0]!.to.number).toBe('5551234');
  });

  it('never announces a dialled leg or a Local half as a call of its own', () => {
    const { t, changes } = tracker();
    t.apply(a11.newchan('SIP/trunk-00000001', '2.1', '5551234', '4000', 'from-trunk', '4'));
    t.apply(a11.newchan('Local/101@from-queue-00000001;1', '2.2', '', '101', 'from-queue'));
    t.apply(a11.newchan('Local/101@from-queue-00000001;2', '2.3', '', '101', 'from-queue'));
    t.apply(
      ev('AgentCalled', {
        Queue: '4000',
        AgentCalled: 'Local/101@from-queue/n',
        AgentName: 'Bob',
        ChannelCalling: 'SIP/trunk-00000001',
        DestinationChannel: 'Local/101@from-queue-00000001;1',
        Uniqueid: '2.1',
      }),
    );
    t.apply(a11.newstate('Local/101@from-queue-00000001;2', '2.3', '4', 'Ring'));
    t.apply(a11.newchan('SIP/101-00000004', '2.4', '101', 's'));
    t.apply(a11.dialBegin('Local/101@from-queue-00000001;2', 'SIP/101-00000004', '2.3', '2.4', '101'));
    t.apply(a11.newstate('SIP/101-00000004', '2.4', '6', 'Up'));
    t.apply(a11.bridge('Link', 'SIP/trunk-00000001', 'Local/101@from-queue-00000001;1', '2.1', '2.2'));
    expect(changes.filter((c) => c.type === 'call.started')).toHaveLength(1);
    expect(t.list()).toHaveLength(1);
    expect(t.list()[0]!.channels).toHaveLength(4);
    expect(t.list()[0]!.state).toBe('answered');
  });
});

describe('CallTracker on Asterisk 13/16 (Linkedid)', () => {
  it('reports a caller who hangs up while it rings as cancelled, not as cause 127', () => {
    const { t, changes } = tracker();
    const a = block('PJSIP/100-00000001', '1700000200.1', '1700000200.1', '4', 'Ring', '100', '101');
    const b = block('PJSIP/101-00000002', '1700000200.2', '1700000200.1', '0', 'Down', '101', 's');
    t.apply(ev('Newchannel', a));
    t.apply(ev('Newchannel', b));
    t.apply(ev('DialBegin', { ...a, ...dest(b), DialString: '101' }));
    t.apply(
      ev('DialState', {
        ...a,
        ...dest({ ...b, ChannelState: '5', ChannelStateDesc: 'Ringing' }),
        DialStatus: 'RINGING',
      }),
    );
    t.apply(ev('DialEnd', { ...a, ...dest(b), DialStatus: 'CANCEL' }));
    t.apply(ev('Hangup', { ...b, Cause: '127', 'Cause-txt': 'Interworking, unspecified' }));
    t.apply(ev('Hangup', { ...a, Cause: '127', 'Cause-txt': 'Interworking, unspecified' }));
    const ended = changes.at(-1)!;
    if (ended.type !== 'call.ended') throw new Error('expected call.ended');
    expect(ended.end.reason).toBe('cancelled');
    expect(ended.end.q850_code).toBe(16);
    expect(ended.end.dial_status).toBe('CANCEL');
    expect(ended.call.call_id).toBe('1700000200.1');
    expect(ended.call.answered_at).toBeNull();
  });

  it('turns an attended transfer into one continuing call and one ended as transferred', () => {
    const { t, changes } = tracker();
    const alice = block('SIP/100-00000001', '3.1', '3.1', '6', 'Up', '100', '101');
    const bob1 = block('SIP/101-00000002', '3.2', '3.1', '6', 'Up', '101', 's');
    const bob2 = block('SIP/101-00000003', '3.3', '3.3', '6', 'Up', '101', '102');
    const carol = block('SIP/102-00000004', '3.4', '3.3', '6', 'Up', '102', 's');
    const bridge = (id: string, n: string) => ({
      BridgeUniqueid: id,
      BridgeType: 'basic',
      BridgeTechnology: 'simple_bridge',
      BridgeCreator: '<unknown>',
      BridgeName: '<unknown>',
      BridgeNumChannels: n,
    });
    t.apply(ev('Newchannel', alice));
    t.apply(ev('Newchannel', bob1));
    t.apply(ev('DialBegin', { ...alice, ...dest(bob1), DialString: '101' }));
    t.apply(ev('DialEnd', { ...alice, ...dest(bob1), DialStatus: 'ANSWER' }));
    t.apply(ev('BridgeEnter', { ...bridge('b-1', '1'), ...alice }));
    t.apply(ev('BridgeEnter', { ...bridge('b-1', '2'), ...bob1 }));
    t.apply(ev('Hold', { ...alice }));
    expect(t.list()[0]!.state).toBe('on_hold');
    t.apply(ev('Newchannel', bob2));
    t.apply(ev('Newchannel', carol));
    t.apply(ev('DialBegin', { ...bob2, ...dest(carol), DialString: '102' }));
    t.apply(ev('DialEnd', { ...bob2, ...dest(carol), DialStatus: 'ANSWER' }));
    t.apply(ev('BridgeEnter', { ...bridge('b-2', '1'), ...bob2 }));
    t.apply(ev('BridgeEnter', { ...bridge('b-2', '2'), ...carol }));
    expect(t.list()).toHaveLength(2);
    t.apply(ev('Unhold', { ...alice }));
    t.apply(ev('BridgeLeave', { ...bridge('b-1', '1'), ...bob1 }));
    t.apply(ev('BridgeLeave', { ...bridge('b-2', '1'), ...carol }));
    t.apply(ev('BridgeEnter', { ...bridge('b-1', '2'), ...carol, SwapUniqueid: '3.2' }));
    t.apply(ev('Hangup', { ...bob1, Cause: '16', 'Cause-txt': 'Normal Clearing' }));
    t.apply(ev('Hangup', { ...bob2, Cause: '16', 'Cause-txt': 'Normal Clearing' }));
    const calls = t.list();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.call_id).toBe('3.1');
    expect(calls[0]!.state).toBe('transferred');
    expect(calls[0]!.channels.map((c) => c.channel).sort()).toEqual(['SIP/100-00000001', 'SIP/102-00000004']);
    const endedB = changes.find((c) => c.type === 'call.ended');
    if (endedB?.type !== 'call.ended') throw new Error('expected the second call to end');
    expect(endedB.call.call_id).toBe('3.3');
    expect(endedB.end.reason).toBe('transferred');
  });

  it('resync rebuilds calls from CoreShowChannels and ends calls that vanished', () => {
    const { t, changes } = tracker();
    const a = block('SIP/100-00000001', '4.1', '4.1', '6', 'Up', '100', '101');
    t.apply(ev('Newchannel', a));
    expect(t.size).toBe(1);
    changes.length = 0;
    // After the reconnect Asterisk lists a different call (13.5+ CoreShowChannel, §4.2).
    t.resync([
      ev('CoreShowChannel', {
        ...block('SIP/200-00000009', '4.9', '4.9', '6', 'Up', '200', '201'),
        Application: 'Dial',
        ApplicationData: 'SIP/201',
        Duration: '00:01:05',
        BridgeId: 'x',
      }),
      ev('CoreShowChannel', {
        ...block('SIP/201-0000000a', '4.10', '4.9', '6', 'Up', '201', 's'),
        Application: 'AppDial',
        ApplicationData: '(Outgoing Line)',
        Duration: '00:01:04',
        BridgeId: 'x',
      }),
    ]);
    expect(changes.map((c) => `${c.type}:${c.call.call_id}`).sort()).toEqual([
      'call.ended:4.1',
      'call.started:4.9',
    ]);
    const live = t.list();
    expect(live).toHaveLength(1);
    expect(live[0]!.state).toBe('answered');
    expect(live[0]!.channels[0]!.application).toBe('Dial');
    expect(live[0]!.channels[0]!.duration_s).toBe(65);
  });
});
