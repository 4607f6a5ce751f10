import { Value } from '@sinclair/typebox/value';
import { type ErrorCode, isPbxlinkError, PbxlinkError } from './errors';
import { EnvelopeSchema, ReplySchema } from './schemas/envelope';

/**
 * Default largest MQTT message the agent sends (DESIGN.md "Size": 96 KB unless the broker says less), read as
 * 96,000 bytes: within the limit whether a broker or a consumer counts a KB as 1,000 or 1,024 bytes.
 */
export const MAX_MESSAGE_BYTES = 96_000;

/** Room a reply's own fields take around its `data` at most (`{"v":1,"id":<128-char jti>,"ok":true,"part":<n>,"data":…}`), rounded up. */
export const REPLY_OVERHEAD_BYTES = 256;

/** Snapshot/event envelope `{"v":1,"agent","boot_id","seq","ts","type","data"}`. */
export interface Envelope<T = unknown> {
  v: 1;
  agent: string;
  boot_id: string;
  seq: number;
  ts: string;
  type: string;
  data: T;
}

/** Single successful reply. */
export interface ReplyOk<T = unknown> {
  v: 1;
  id: string;
  ok: true;
  data: T;
}
/** One part of a long result (n from 1). */
export interface ReplyPart<T = unknown> {
  v: 1;
  id: string;
  ok: true;
  part: number;
  data: T;
}
/** Final reply after parts. */
export interface ReplyDone<T = unknown> {
  v: 1;
  id: string;
  ok: true;
  done: true;
  data: T;
}
/** Error reply. */
export interface ReplyError {
  v: 1;
  id: string;
  ok: false;
  error: { code: ErrorCode; message: string; details: unknown };
}
/** Any reply. */
export type Reply<T = unknown> = ReplyOk<T> | ReplyPart<T> | ReplyDone<T> | ReplyError;

/** Envelope `type` of state snapshot `name` (`state.peers`). */
export function stateType(name: string): string {
  return `state.${name}`;
}

/** Builds an envelope; `ts` defaults to now, given as Date or ISO string. */
export function makeEnvelope<T>(fields: {
  agent: string;
  boot_id: string;
  seq: number;
  type: string;
  data: T;
  ts?: Date | string;
}): Envelope<T> {
  const ts =
    fields.ts === undefined
      ? new Date().toISOString()
      : typeof fields.ts === 'string'
        ? fields.ts
        : fields.ts.toISOString();
  return {
    v: 1,
    agent: fields.agent,
    boot_id: fields.boot_id,
    seq: fields.seq,
    ts,
    type: fields.type,
    data: fields.data,
  };
}

/** `{"v":1,"id","ok":true,"data"}`. */
export function okReply<T>(id: string, data: T): ReplyOk<T> {
  return { v: 1, id, ok: true, data };
}

/** `{"v":1,"id","ok":true,"part":n,"data"}` (n ≥ 1). */
export function partReply<T>(id: string, part: number, data: T): ReplyPart<T> {
  return { v: 1, id, ok: true, part, data };
}

/** `{"v":1,"id","ok":true,"done":true,"data"}`. */
export function doneReply<T>(id: string, data: T): ReplyDone<T> {
  return { v: 1, id, ok: true, done: true, data };
}

/**
 * `{"v":1,"id","ok":false,"error":{code,message,details}}` (DESIGN.md "Commands"): `details` is always there, an
 * empty object when the error has nothing more to say, so a consumer may read `error.details.x` without a check.
 */
export function errorReply(id: string, code: ErrorCode, message: string, details?: unknown): ReplyError {
  return { v: 1, id, ok: false, error: { code, message, details: details ?? {} } };
}

/** Error reply for a thrown value: PbxlinkError keeps its code, message and details; anything else is `internal` (its text is not leaked). */
export function errorReplyFrom(id: string, err: unknown): ReplyError {
  if (isPbxlinkError(err)) return errorReply(id, err.code, err.message, err.details);
  return errorReply(id, 'internal', 'internal error; see the agent log');
}

/** Parses an envelope from JSON text or bytes; null when it is not one. */
export function parseEnvelope(payload: string | Uint8Array): Envelope | null {
  const v = parseJson(payload);
  return Value.Check(EnvelopeSchema, v) ? (v as Envelope) : null;
}

/** Parses a reply from JSON text or bytes; null when it is not one. */
export function parseReply(payload: string | Uint8Array): Reply | null {
  const v = parseJson(payload);
  return Value.Check(ReplySchema, v) ? (v as Reply) : null;
}

function parseJson(payload: string | Uint8Array): unknown {
  try {
    return JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** UTF-8 byte length of `value` as JSON. */
export function jsonByteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/**
 * Packs items into batches whose wrapped JSON stays within `maxBytes`, one item at a time (bounded memory).
 * `wrap([])` must hold the items as one JSON array, e.g. `(rows) => partReply(id, 999999, { rows })`.
 */
export class PartPacker<T> {
  private batch: T[] = [];
  private bytes: number;
  private readonly base: number;

  private readonly maxBytes: number;

  constructor(wrap: (items: T[]) => unknown, maxBytes: number = MAX_MESSAGE_BYTES) {
    this.maxBytes = maxBytes;
    this.base = jsonByteLength(wrap([]));
    this.bytes = this.base;
  }

  /** Adds an item; returns the previous batch when this item no longer fits with it. Throws PbxlinkError(internal) for an item that cannot fit alone. */
  add(item: T): T[] | null {
    const size = jsonByteLength(item);
    if (this.base + size > this.maxBytes) {
      throw new PbxlinkError(
        'internal',
        `one item of ${size} bytes exceeds the ${this.maxBytes}-byte message limit`,
      );
    }
    const extra = size + (this.batch.length > 0 ? 1 : 0);
    if (this.bytes + extra <= this.maxBytes) {
      this.batch.push(item);
      this.bytes += extra;
      return null;
    }
    const full = this.batch;
    this.batch = [item];
    this.bytes = this.base + size;
    return full;
  }

  /** Returns what is left (possibly empty) and starts over. */
  flush(): T[] {
    const rest = this.batch;
    this.batch = [];
    this.bytes = this.base;
    return rest;
  }
}

/** Splits `items` into batches so that `wrap(batch)` serializes within `maxBytes` each (see PartPacker). */
export function splitIntoParts<T>(
  items: Iterable<T>,
  wrap: (items: T[]) => unknown,
  maxBytes: number = MAX_MESSAGE_BYTES,
): T[][] {
  const packer = new PartPacker(wrap, maxBytes);
  const out: T[][] = [];
  for (const item of items) {
    const full = packer.add(item);
    if (full) out.push(full);
  }
  const rest = packer.flush();
  if (rest.length > 0) out.push(rest);
  return out;
}
