import { Type } from '@sinclair/typebox';
import { Enum, IsoTime, Nullable } from './common';

const S = (n: number) => Nullable(Type.String({ maxLength: n }));

/** One Asterisk channel of a call (seed `activecall`; reference §4, §5). */
export const Channel = Type.Object(
  {
    channel: Type.String({ maxLength: 256 }),
    uniqueid: Type.String({ maxLength: 150 }),
    linkedid: S(150),
    state: Type.String({ maxLength: 64, description: 'ChannelStateDesc' }),
    state_code: Nullable(Type.Integer({ minimum: 0 })),
    application: S(80),
    application_data: S(1024),
    caller_id_num: S(128),
    caller_id_name: S(128),
    connected_line_num: S(128),
    connected_line_name: S(128),
    context: S(80),
    exten: S(80),
    priority: Nullable(Type.Integer()),
    account_code: S(80),
    duration_s: Nullable(Type.Integer({ minimum: 0 })),
    bridged_channel: S(256),
    bridge_id: S(128),
  },
  { additionalProperties: false },
);

/** Caller or callee of a call. */
const Party = Type.Object({ number: S(128), name: S(128) }, { additionalProperties: false });

/** One live call: channels grouped by Linkedid (12+) or by the first channel's uniqueid. */
export const Call = Type.Object(
  {
    call_id: Type.String({ maxLength: 150 }),
    direction: Enum(['inbound', 'outbound', 'internal', 'unknown']),
    state: Enum(['ringing', 'answered', 'on_hold', 'transferred', 'ended']),
    from: Party,
    to: Party,
    started_at: IsoTime,
    answered_at: Nullable(IsoTime),
    ring_s: Type.Number({ minimum: 0 }),
    talk_s: Type.Number({ minimum: 0 }),
    channels: Type.Array(Channel, { maxItems: 64 }),
  },
  { additionalProperties: false },
);

/** `state.calls` data and `calls.list` result. */
export const CallsState = Type.Object(
  {
    calls: Type.Array(Call),
    count: Type.Optional(Type.Integer({ minimum: 0, description: 'live calls in all' })),
    truncated: Type.Optional(
      Type.Boolean({
        description:
          'the snapshot holds fewer than `count` calls to stay within the size limit; calls.list has all',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `calls.list` part data (a page of calls; the final reply carries the count). */
export const CallsListPart = Type.Object({ calls: Type.Array(Call) }, { additionalProperties: false });

/** `call.started` / `call.updated` event data. */
export const CallChangeEvent = Type.Object(
  { call: Call, change: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

/** `call.ended` event data: the call and why it ended (Q.850 cause, dial status). */
export const CallEndedEvent = Type.Object(
  {
    call: Call,
    end: Type.Object(
      {
        reason: Enum([
          'completed',
          'cancelled',
          'busy',
          'no_answer',
          'failed',
          'congestion',
          'unavailable',
          'transferred',
          'unknown',
        ]),
        q850_code: Nullable(Type.Integer({ minimum: 0 })),
        q850_text: S(128),
        dial_status: S(32),
        hangup_by: Nullable(Type.Union([Type.Literal('caller'), Type.Literal('callee')])),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
