import { Type } from '@sinclair/typebox';
import { Applied, Enum, IsoTime, KeyId, Nullable } from './common';
import { ErrorCodeSchema } from './envelope';

/** `config.changed` event data: which record changed and which field names (never secret values). */
export const ConfigChangedEvent = Type.Object(
  {
    kind: Enum(['extension', 'trunk', 'followme']),
    action: Enum(['create', 'update', 'delete']),
    id: Type.String({ maxLength: 64 }),
    fields: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 200 }),
    by: KeyId,
    applied: Applied,
  },
  { additionalProperties: false },
);

/** `audit` event data: one hash-chained audit record per command or refused message (secrets masked in args). */
export const AuditEvent = Type.Object(
  {
    at: IsoTime,
    kid: Nullable(Type.String({ maxLength: 128 })),
    cmd: Nullable(Type.String({ maxLength: 64 })),
    jti: Nullable(Type.String({ maxLength: 128 })),
    args: Type.Unknown(),
    outcome: Type.Union([Type.Literal('ok'), Type.Literal('refused'), ErrorCodeSchema]),
    message: Type.Optional(Type.String({ maxLength: 2000 })),
    duration_ms: Type.Number({ minimum: 0 }),
    prev_hash: Type.String({ maxLength: 128 }),
    hash: Type.String({ maxLength: 128 }),
  },
  { additionalProperties: false },
);
