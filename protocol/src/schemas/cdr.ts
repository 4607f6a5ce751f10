import { Type } from '@sinclair/typebox';
import { Enum, Nullable, SqlDateTime } from './common';

const Str = (n: number) => Type.String({ maxLength: n });

/** One CDR row with the `asteriskcdrdb.cdr` column names (reference §8.1); later-version columns optional. */
export const CdrRecord = Type.Object(
  {
    calldate: SqlDateTime,
    clid: Str(80),
    src: Str(80),
    dst: Str(80),
    dcontext: Str(80),
    channel: Str(80),
    dstchannel: Str(80),
    lastapp: Str(80),
    lastdata: Str(255),
    duration: Type.Integer({ minimum: 0 }),
    billsec: Type.Integer({ minimum: 0 }),
    disposition: Str(45),
    amaflags: Type.Integer(),
    accountcode: Str(64),
    uniqueid: Str(150),
    userfield: Str(255),
    did: Type.Optional(Str(80)),
    recordingfile: Type.Optional(Str(255)),
    cnum: Type.Optional(Str(80)),
    cnam: Type.Optional(Str(80)),
    outbound_cnum: Type.Optional(Str(80)),
    outbound_cnam: Type.Optional(Str(80)),
    dst_cnam: Type.Optional(Str(80)),
    linkedid: Type.Optional(Str(150)),
    peeraccount: Type.Optional(Str(80)),
    sequence: Type.Optional(Type.Integer()),
    answer: Type.Optional(Nullable(SqlDateTime)),
    end: Type.Optional(Nullable(SqlDateTime)),
  },
  { additionalProperties: Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Null()]) },
);

/** Largest `limit` a cdr.query accepts (rows per page; the reply streams them in parts). */
export const CDR_QUERY_MAX_LIMIT = 100_000;

/** A date (`YYYY-MM-DD`) or date-time (`YYYY-MM-DD HH:MM:SS`), PBX local time like `calldate`. */
const CdrDate = Type.String({
  pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])( ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])?$',
  maxLength: 19,
});

/** `cdr.query` args (seed `cdrreport`). */
export const CdrQueryArgs = Type.Object(
  {
    start_date: Type.Optional(CdrDate),
    end_date: Type.Optional(CdrDate),
    field_name: Type.Optional(
      Enum(['src', 'dst', 'channel', 'dstchannel', 'accountcode', 'did', 'uniqueid']),
    ),
    field_pattern: Type.Optional(
      Type.String({ minLength: 1, maxLength: 80, description: 'substring to find in field_name' }),
    ),
    status: Type.Optional(Enum(['ALL', 'ANSWERED', 'BUSY', 'FAILED', 'NO ANSWER'])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: CDR_QUERY_MAX_LIMIT, default: 1000 })),
    recordings: Type.Optional(Enum(['all', 'only', 'without'])),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z0-9_=-]+$' })),
    order: Type.Optional(Enum(['asc', 'desc'])),
    format: Type.Optional(Enum(['objects', 'rows'])),
    compress: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** One `cdr.query` part: rows as objects, or with `format: "rows"` arrays plus `columns`; with `compress` the rows are gzip+base64 text. */
export const CdrQueryPart = Type.Object(
  {
    rows: Type.Union([
      Type.Array(CdrRecord),
      Type.Array(Type.Array(Type.Union([Type.String(), Type.Number(), Type.Null()]))),
      Type.String({ description: 'gzip+base64 of the JSON rows array when encoding is set' }),
    ]),
    columns: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 })),
    encoding: Type.Optional(Type.Literal('gzip+base64')),
  },
  { additionalProperties: false },
);

/** `cdr.query` final (done) data: rows sent and the cursor of the next page (null when nothing is left). */
export const CdrQueryResult = Type.Object(
  { count: Type.Integer({ minimum: 0 }), next_cursor: Nullable(Type.String({ maxLength: 512 })) },
  { additionalProperties: false },
);
