import { describe, expect, it } from 'vitest';
import {
  applyPeerStatus,
  comparePeerNames,
  defaultIsTrunk,
  parseSipStatus,
  peerFromEndpointList,
  peerFromPeerEntry,
} from '../../../agent/src/state/peer-model';
import { ev } from './ami-events';

describe('peer model', () => {
  it.each([
    ['OK (12 ms)', 'ok', 12],
    ['LAGGED (2500 ms)', 'lagged', 2500],
    ['UNREACHABLE', 'unreachable', null],
    ['UNKNOWN', 'unknown', null],
    ['Unmonitored', 'unmonitored', null],
  ])('parses chan_sip status %s (reference §3.1)', (text, status, latency) => {
    expect(parseSipStatus(text)).toEqual({ status, latency_ms: latency });
  });

  it('reads an Asterisk 11 PeerEntry, registered and not (reference §3.1 example)', () => {
    const online = peerFromPeerEntry(
      ev('PeerEntry', {
        ActionID: 'p1',
        Channeltype: 'SIP',
        ObjectName: '100',
        ChanObjectType: 'peer',
        IPaddress: '192.168.1.50',
        IPport: '5060',
        Dynamic: 'yes',
        AutoForcerport: 'no',
        Forcerport: 'yes',
        AutoComedia: 'no',
        Comedia: 'yes',
        VideoSupport: 'no',
        TextSupport: 'no',
        ACL: 'yes',
        Status: 'OK (12 ms)',
        RealtimeDevice: 'no',
        Description: ' ',
      }),
      defaultIsTrunk,
    );
    expect(online).toMatchObject({
      name: '100',
      trunk: false,
      ip_address: '192.168.1.50',
      ip_port: 5060,
      status: 'ok',
      latency_ms: 12,
      forcerport: true,
      description: null,
    });
    const offline = peerFromPeerEntry(
      ev('PeerEntry', {
        Channeltype: 'SIP',
        ObjectName: '101',
        IPaddress: '-none-',
        IPport: '0',
        Dynamic: 'yes',
        Status: 'UNKNOWN',
      }),
      defaultIsTrunk,
    );
    expect(offline).toMatchObject({
      ip_address: null,
      ip_port: null,
      status: 'unregistered',
      status_text: 'UNKNOWN',
    });
  });

  it('reads a PJSIP EndpointList with its contact (reference §16)', () => {
    const p = peerFromEndpointList(
      {
        kind: 'event',
        name: 'EndpointList',
        headers: {
          objectname: '100',
          devicestate: 'Not in use',
          contacts: '100/sip:100@192.168.1.60:5062;ob,',
        },
        repeated: { contacts: ['100/sip:100@192.168.1.60:5062;ob,'] },
      },
      defaultIsTrunk,
    );
    expect(p).toMatchObject({
      channel_type: 'PJSIP',
      status: 'ok',
      ip_address: '192.168.1.60',
      ip_port: 5062,
      contacts: ['100/sip:100@192.168.1.60:5062;ob'],
    });
    const gone = peerFromEndpointList(
      {
        kind: 'event',
        name: 'EndpointList',
        headers: { objectname: '101', devicestate: 'Unavailable', contacts: '' },
      },
      defaultIsTrunk,
    );
    expect(gone.status).toBe('unregistered');
  });

  it('applies PeerStatus transitions; 13 Reachable has no Time (reference §5.6 trap)', () => {
    const reg = applyPeerStatus(
      undefined,
      ev('PeerStatus', {
        ChannelType: 'SIP',
        Peer: 'SIP/100',
        PeerStatus: 'Registered',
        Address: '10.0.0.5:5060',
      }),
      defaultIsTrunk,
    )!;
    expect(reg.peer).toMatchObject({ ip_address: '10.0.0.5', ip_port: 5060 });
    const reach = applyPeerStatus(
      reg.peer,
      ev('PeerStatus', { ChannelType: 'SIP', Peer: 'SIP/100', PeerStatus: 'Reachable' }),
      defaultIsTrunk,
    )!;
    expect(reach.change).toMatchObject({ status: 'ok', previous_status: 'unknown', latency_ms: null });
    const lag = applyPeerStatus(
      reach.peer,
      ev('PeerStatus', { ChannelType: 'SIP', Peer: 'SIP/100', PeerStatus: 'Lagged', Time: '2100' }),
      defaultIsTrunk,
    )!;
    expect(lag.peer).toMatchObject({ status: 'lagged', latency_ms: 2100, status_text: 'LAGGED (2100 ms)' });
    const un = applyPeerStatus(
      lag.peer,
      ev('PeerStatus', { ChannelType: 'SIP', Peer: 'SIP/100', PeerStatus: 'Unreachable', Time: '-1' }),
      defaultIsTrunk,
    )!;
    expect(un.change).toMatchObject({ status: 'unreachable', previous_status: 'lagged', latency_ms: null });
    const gone = applyPeerStatus(
      un.peer,
      ev('PeerStatus', { ChannelType: 'SIP', Peer: 'SIP/100', PeerStatus: 'Unregistered', Cause: 'Expired' }),
      defaultIsTrunk,
    )!;
    expect(gone.change).toMatchObject({ status: 'unregistered', cause: 'Expired' });
    expect(gone.peer.ip_address).toBeNull();
  });
});

describe('comparePeerNames', () => {
  it('orders numbers by value and words without case, like a person reads them', () => {
    const names = ['trunk-b', '1000', '100', 'Trunk-A', '20', '2', 'ext10', 'ext9', '020', 'a', 'B'];
    expect([...names].sort(comparePeerNames)).toEqual([
      '2',
      '020',
      '20',
      '100',
      '1000',
      'a',
      'B',
      'ext9',
      'ext10',
      'Trunk-A',
      'trunk-b',
    ]);
  });
});
