import { type TSchema, Type } from '@sinclair/typebox';
import { ERROR_CODES } from '../errors';
import { AgentId, BootId, Enum, IsoTime } from './common';

/** Snapshot/event envelope `{"v":1,"agent","boot_id","seq","ts","type","data"}` (DESIGN.md "Topics"), with `data` typed by `data`. */
export const EnvelopeOf = <T extends TSchema>(type: string, data: T) =>
  Type.Object(
    {
      v: Type.Literal(1),
      agent: AgentId,
      boot_id: BootId,
      seq: Type.Integer({ minimum: 0 }),
      ts: IsoTime,
      type: Type.Literal(type),
      data,
    },
    { additionalProperties: false },
  );

/** Any envelope (data unchecked): what a consumer checks before looking at `type`. */
export const EnvelopeSchema = Type.Object(
  {
    v: Type.Literal(1),
    agent: AgentId,
    boot_id: BootId,
    seq: Type.Integer({ minimum: 0 }),
    ts: IsoTime,
    type: Type.String({ minLength: 1, maxLength: 64 }),
    data: Type.Unknown(),
  },
  { additionalProperties: false },
);

/** One wire error code. */
export const ErrorCodeSchema = Enum(ERROR_CODES);

/** Command reply id: the command's jti. */
const ReplyId = Type.String({ minLength: 1, maxLength: 128 });

/** Single successful reply `{"v":1,"id","ok":true,"data"}`. */
export const ReplyOkOf = <T extends TSchema>(data: T) =>
  Type.Object(
    { v: Type.Literal(1), id: ReplyId, ok: Type.Literal(true), data },
    { additionalProperties: false },
  );

/** One part of a long result `{"v":1,"id","ok":true,"part":n,"data"}` (n from 1). */
export const ReplyPartOf = <T extends TSchema>(data: T) =>
  Type.Object(
    { v: Type.Literal(1), id: ReplyId, ok: Type.Literal(true), part: Type.Integer({ minimum: 1 }), data },
    { additionalProperties: false },
  );

/** Final reply after parts `{"v":1,"id","ok":true,"done":true,"data"}`. */
export const ReplyDoneOf = <T extends TSchema>(data: T) =>
  Type.Object(
    { v: Type.Literal(1), id: ReplyId, ok: Type.Literal(true), done: Type.Literal(true), data },
    { additionalProperties: false },
  );

/** Error body `{code, message, details}`: details is always sent (`{}` when the error has nothing more to say). */
export const ErrorBody = Type.Object(
  {
    code: ErrorCodeSchema,
    message: Type.String({ maxLength: 2000 }),
    details: Type.Unknown({
      description: 'what the error is about, e.g. {problems} for invalid_args; {} when nothing more',
    }),
  },
  { additionalProperties: false },
);

/** Error reply `{"v":1,"id","ok":false,"error":{code,message,details}}`. */
export const ReplyErrorSchema = Type.Object(
  { v: Type.Literal(1), id: ReplyId, ok: Type.Literal(false), error: ErrorBody },
  { additionalProperties: false },
);

/** Any reply, data unchecked. */
export const ReplySchema = Type.Union([
  ReplyOkOf(Type.Unknown()),
  ReplyPartOf(Type.Unknown()),
  ReplyDoneOf(Type.Unknown()),
  ReplyErrorSchema,
]);

/** One `invalid_args` problem: JSON pointer of the argument and what is wrong. */
export const ArgProblem = Type.Object(
  { path: Type.String(), message: Type.String() },
  { additionalProperties: false },
);
