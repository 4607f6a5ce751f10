import { gunzipSync } from 'node:zlib';
import type { Static } from '@sinclair/typebox';
import { PbxlinkError } from '../errors';
import type { CdrQueryArgs as CdrQueryArgsSchema } from '../schemas/cdr';
import type { PbxlinkClient } from './client';
import type { SendOptions } from './send';

/** One CDR row keyed by column name (the PBX's own names: calldate, src, dst, disposition, …). */
export type CdrRowObject = Record<string, string | number | null>;

/** `cdr.query` args as sent on the wire (DESIGN.md "Commands"), the type of protocol/src/schemas/cdr.ts. */
export type CdrQueryArgs = Static<typeof CdrQueryArgsSchema>;

/** Largest decompressed size accepted for one gzip part (a part is ≤ 96 KB compressed; bounds a gzip bomb). */
export const MAX_CDR_PART_INFLATED = 32 * 1024 * 1024;

function bad(why: string): PbxlinkError {
  return new PbxlinkError('internal', `malformed cdr.query part: ${why}`);
}

function isScalar(v: unknown): v is string | number | null {
  return v === null || typeof v === 'string' || typeof v === 'number';
}

/**
 * The rows of one `cdr.query` part as objects, whatever its wire form: `rows` as objects, `rows` as arrays with
 * `columns` (format "rows"), either of them gzip+base64 (`encoding`). Throws PbxlinkError('internal') on a
 * malformed part.
 */
export function decodeCdrPart(data: unknown): CdrRowObject[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('data is not an object');
  const d = data as { rows?: unknown; columns?: unknown; encoding?: unknown };
  let rows: unknown = d.rows;
  if (d.encoding !== undefined) {
    if (d.encoding !== 'gzip+base64') throw bad(`unknown encoding ${JSON.stringify(d.encoding)}`);
    if (typeof rows !== 'string') throw bad('encoded rows are not a string');
    let text: string;
    try {
      text = gunzipSync(Buffer.from(rows, 'base64'), { maxOutputLength: MAX_CDR_PART_INFLATED }).toString(
        'utf8',
      );
      rows = JSON.parse(text);
    } catch (e) {
      throw bad(`cannot decode gzip+base64 rows: ${(e as Error).message}`);
    }
  }
  if (!Array.isArray(rows)) throw bad('rows is not an array');
  if (d.columns === undefined) {
    for (const r of rows) {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) throw bad('a row is not an object');
    }
    return rows as CdrRowObject[];
  }
  const cols = d.columns;
  if (!Array.isArray(cols) || !cols.every((c) => typeof c === 'string'))
    throw bad('columns is not a string array');
  const names = cols as string[];
  return rows.map((r) => {
    if (!Array.isArray(r) || r.length !== names.length) throw bad('a row does not match the columns');
    const o: CdrRowObject = {};
    for (let i = 0; i < names.length; i++) {
      const v = r[i];
      o[names[i] as string] = isScalar(v) ? v : JSON.stringify(v);
    }
    return o;
  });
}

/** What a cdr.query walk yields: the rows of a part as they arrive, and the end of each page. */
export type CdrQueryEvent =
  | { type: 'rows'; page: number; rows: CdrRowObject[] }
  | { type: 'page'; page: number; count: number; next_cursor: string | null; cursor: string | undefined };

/** Options of queryCdr: how to sign and wait, and whether to follow `next_cursor` to the end. */
export type CdrWalkOptions = Omit<SendOptions, 'prefix'> & {
  /** Follow next_cursor, one command per page, until it is null. */
  all?: boolean;
  /** Checked between parts: when it returns true the walk stops (the current command's replies are dropped). */
  stopped?: () => boolean;
};

function finalData(data: unknown): { count: number; next_cursor: string | null } {
  const d = data as { count?: unknown; next_cursor?: unknown } | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d.count !== 'number' ||
    !(d.next_cursor === null || typeof d.next_cursor === 'string')
  ) {
    throw bad('the done reply lacks count/next_cursor');
  }
  return { count: d.count, next_cursor: d.next_cursor };
}

/**
 * Sends `cdr.query` to `agent` and yields its rows part by part (decoded to objects), then the page's
 * `{count, next_cursor}`; with `all`, sends the next page with `cursor: next_cursor` until it is null.
 * Error replies are thrown as CommandFailedError, a silent agent as ReplyTimeoutError (client/replies.ts).
 */
export async function* queryCdr(
  client: PbxlinkClient,
  agent: string,
  args: CdrQueryArgs,
  opts: CdrWalkOptions,
): AsyncGenerator<CdrQueryEvent> {
  const { all, stopped, ...send } = opts;
  let cursor = args.cursor;
  for (let page = 1; ; page++) {
    const pageArgs: CdrQueryArgs = { ...args };
    if (cursor === undefined) delete pageArgs.cursor;
    else pageArgs.cursor = cursor;
    const replies = await client.sendCommand(agent, 'cdr.query', { ...pageArgs }, send);
    let result: { count: number; next_cursor: string | null } | undefined;
    let received = 0;
    try {
      for await (const r of replies) {
        if (stopped?.()) return;
        if ('done' in r) {
          result = finalData(r.data);
          break;
        }
        if ('part' in r) {
          const rows = decodeCdrPart(r.data);
          received += rows.length;
          yield { type: 'rows', page, rows };
          continue;
        }
        // A single (non-part) reply is the whole answer: treat its data as the final result.
        result = finalData(r.data);
        break;
      }
    } finally {
      await replies.close();
    }
    if (result === undefined) return; // stopped by the caller
    if (received !== result.count) {
      throw new PbxlinkError(
        'unavailable',
        `cdr.query page ${page}: received ${received} rows but the agent sent ${result.count} (parts lost on the way)`,
      );
    }
    yield { type: 'page', page, cursor, ...result };
    if (!all || result.next_cursor === null) return;
    if (result.next_cursor === cursor) throw bad('next_cursor did not move; stopping to avoid a loop');
    cursor = result.next_cursor;
  }
}
