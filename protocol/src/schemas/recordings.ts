import { Type } from '@sinclair/typebox';
import { IsoTime, Nullable } from './common';

/** A recording under the monitor root, `/` separators, no NUL or backslash: the seed's `/YYYY/MM/DD/file.wav`
 * (relative to the root despite its leading `/`), `YYYY/MM/DD/file.wav`, a flat or base name, or an absolute path
 * inside the root. The agent refuses anything that resolves outside the root (`..`, symlinks out). */
const RelPath = Type.String({
  minLength: 1,
  maxLength: 1024,
  pattern: '^[^\\\\\\u0000]+$',
  description:
    "e.g. '/2024/05/01/exten-101-100-20240501-101500-1714558500.12.wav' (the seed's form) or a file name",
});

/** `recordings.get` args (seed `getwavfile`): exactly one of `name` or `uniqueid`; `offset` (bytes) to resume. */
export const RecordingsGetArgs = Type.Object(
  {
    name: Type.Optional(RelPath),
    uniqueid: Type.Optional(Type.String({ minLength: 1, maxLength: 150, pattern: '^[A-Za-z0-9._-]+$' })),
    offset: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description:
          'resume from this byte (a multiple of chunk_size from an earlier transfer); chunk indexes go on from offset / chunk_size',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Transfer ids: one topic level. */
export const TransferId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

/** First `recordings.get` part: what will arrive on `topic` (`P/A/blob/<transfer_id>/+`). */
export const RecordingsGetMeta = Type.Object(
  {
    transfer_id: TransferId,
    name: Type.String({ maxLength: 1024 }),
    size: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    chunk_size: Type.Integer({ minimum: 1 }),
    chunks: Type.Integer({ minimum: 0 }),
    offset: Type.Integer({ minimum: 0 }),
    topic: Type.String({ maxLength: 512 }),
  },
  { additionalProperties: false },
);

/** `recordings.get` final (done) data. */
export const RecordingsGetResult = Type.Object(
  {
    transfer_id: TransferId,
    chunks_sent: Type.Integer({ minimum: 0 }),
    bytes_sent: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/** `recording.new` event data (reference §12 naming: `<kind>-<to>-<from>-<date>-<time>-<uniqueid>.<fmt>`). */
export const RecordingNewEvent = Type.Object(
  {
    path: Type.String({ maxLength: 1024 }),
    size: Type.Integer({ minimum: 0 }),
    format: Type.String({ maxLength: 16 }),
    duration_s: Nullable(Type.Number({ minimum: 0 })),
    uniqueid: Nullable(Type.String({ maxLength: 150 })),
    kind: Nullable(Type.String({ maxLength: 32 })),
    from: Nullable(Type.String({ maxLength: 128 })),
    to: Nullable(Type.String({ maxLength: 128 })),
    recorded_at: Nullable(Type.String({ maxLength: 40 })),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    mtime: IsoTime,
  },
  { additionalProperties: false },
);
