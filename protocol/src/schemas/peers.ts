import { Type } from '@sinclair/typebox';
import { Enum, Nullable } from './common';

/** SIP channel driver of a peer. */
export const ChannelType = Type.Union([Type.Literal('SIP'), Type.Literal('PJSIP')]);

/** Normalized peer status (reference §3, §5.6, §16). */
export const PeerStatusValue = Enum([
  'ok',
  'lagged',
  'unreachable',
  'unknown',
  'unmonitored',
  'unregistered',
]);

/** One SIP/PJSIP peer (seed `sippeers`). chan_sip yes/no flags become booleans (null when not reported). */
export const Peer = Type.Object(
  {
    name: Type.String({ maxLength: 128 }),
    channel_type: ChannelType,
    trunk: Type.Boolean(),
    ip_address: Nullable(Type.String({ maxLength: 64 })),
    ip_port: Nullable(Type.Integer({ minimum: 0, maximum: 65535 })),
    dynamic: Nullable(Type.Boolean()),
    status: PeerStatusValue,
    status_text: Type.String({ maxLength: 128, description: 'as Asterisk printed it, e.g. "OK (12 ms)"' }),
    latency_ms: Nullable(Type.Number({ minimum: 0 })),
    description: Nullable(Type.String({ maxLength: 256 })),
    device_state: Nullable(Type.String({ maxLength: 64 })),
    contacts: Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 64 })),
    forcerport: Nullable(Type.Boolean()),
    comedia: Nullable(Type.Boolean()),
    acl: Nullable(Type.Boolean()),
    video_support: Nullable(Type.Boolean()),
    text_support: Nullable(Type.Boolean()),
    realtime: Nullable(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** `state.peers` data and `peers.list` result. */
export const PeersState = Type.Object(
  {
    peers: Type.Array(Peer),
    count: Type.Optional(Type.Integer({ minimum: 0, description: 'peers in all' })),
    truncated: Type.Optional(
      Type.Boolean({
        description:
          'the snapshot holds fewer than `count` peers to stay within the size limit; peers.list has all',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `peers.list` part data (a page of peers; the final reply carries the count). */
export const PeersListPart = Type.Object({ peers: Type.Array(Peer) }, { additionalProperties: false });

/** Final data of a list command streamed in parts. */
export const ListCount = Type.Object(
  { count: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

/** `peer.status` event data (AMI PeerStatus, reference §5.6). */
export const PeerStatusEvent = Type.Object(
  {
    name: Type.String({ maxLength: 128 }),
    channel_type: ChannelType,
    status: PeerStatusValue,
    previous_status: Nullable(PeerStatusValue),
    latency_ms: Nullable(Type.Number({ minimum: 0 })),
    address: Nullable(Type.String({ maxLength: 128 })),
    cause: Nullable(Type.String({ maxLength: 256 })),
    raw_status: Type.String({
      maxLength: 64,
      description: 'Registered/Unregistered/Reachable/Lagged/Unreachable/Rejected',
    }),
  },
  { additionalProperties: false },
);
