import type { FreepbxDb, SqlParam } from '../freepbx/db';
import { type ColumnInfo, type JsonRow, jsonRowDecoder } from '../freepbx/json-rows';
import type { CdrColumns } from './columns';
import type { CdrCursor } from './cursor';
import { buildCalldateOrderedQuery, buildCdrQuery, type CdrQueryArgs } from './query-builder';

/** One CDR row as JSON text (an object keyed by column, or an array in column order), with its cursor columns. */
export type CdrRow = JsonRow;

/** The cursor columns, in the order of CdrRow.keys. */
const KEY_COLUMNS = ['calldate', 'uniqueid'] as const;

/** The keyset position of a row, its texts made when first read (a uniqueid is read only on a calldate tie). */
class RowKey implements CdrCursor {
  constructor(readonly row: CdrRow) {}
  get calldate(): string {
    return this.row.key(0);
  }
  get uniqueid(): string {
    return this.row.key(1);
  }
}

/** The keyset position of a row. */
export function cdrRowKey(row: CdrRow): CdrCursor {
  return new RowKey(row);
}

/** Whether two keyset positions are the same (two rows' keys compared as bytes, without making their texts). */
export function sameCdrKey(a: CdrCursor | undefined, b: CdrCursor): boolean {
  if (a === undefined) return false;
  if (a instanceof RowKey && b instanceof RowKey) return a.row.sameKey(0, b.row) && a.row.sameKey(1, b.row);
  return a.calldate === b.calldate && a.uniqueid === b.uniqueid;
}

/** Calls `fn` with each row of a CDR SELECT as CdrRow (JSON text straight from the row packets), awaiting it
 * when it returns a promise (the database socket pauses meanwhile). */
export function eachCdrRow(
  db: FreepbxDb,
  q: { sql: string; params: readonly SqlParam[] },
  opts: { asArrays: boolean; signal?: AbortSignal },
  fn: (row: CdrRow) => void | Promise<void>,
): Promise<void> {
  const format = opts.asArrays ? 'rows' : 'objects';
  const decoder = (fields: readonly ColumnInfo[]) => jsonRowDecoder(fields, { format, keys: KEY_COLUMNS });
  return db.eachRow(q.sql, q.params, { signal: opts.signal, rowsAsArray: opts.asArrays, decoder }, fn);
}

/** What one page's row source needs. */
export interface PageSource {
  db: FreepbxDb;
  args: CdrQueryArgs;
  cols: CdrColumns;
  table: { db: string; name: string };
  cursor: CdrCursor | undefined;
  /** Rows the caller wants at most (it reads one more than its limit to know whether more are left). */
  fetch: number;
  /** Last calldate of the page (buildBoundaryQuery); undefined when every row left fits in the page. */
  bound: string | undefined;
  asArrays: boolean;
  signal?: AbortSignal;
  /** Rows of one calldate held to be ordered by uniqueid; a bigger group falls back to the server's sort. */
  groupCap?: number;
}

/** Rows of one calldate kept in memory by default (bounded memory; far above any real PBX's calls per second). */
export const DEFAULT_GROUP_CAP = 2000;

/** Whether text[from…] (a uniqueid after its group's common prefix) holds only digits and dots: an order that is
 * the same in JS and in every collation. */
function digitsAndDotsFrom(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x2e && (c < 0x30 || c > 0x39)) return false;
  }
  return true;
}

/** Thrown inside the fast stream to switch to the server-sorted query for the rest of the page. */
class FallBack extends Error {}

/**
 * Calls `fn` with the page's rows in (calldate, uniqueid) order, at most `fetch` of them, awaiting it when it
 * returns a promise (backpressure). With a calldate index, the rows come in calldate order read along the index
 * (no server-side sort, which would also delay the first row of every page by the sort of the whole page), and
 * each calldate's rows — usually one, a few for transfers — are ordered by uniqueid here. That order must equal
 * the column collation's (the cursor compares with it in SQL): it does when the uniqueids differ only in digits and
 * dots after a common prefix (Asterisk's `[systemname-]epoch.sequence`, §8.1). A group that is not like that, or
 * larger than `groupCap`, hands the rest of the page to the server-sorted query from the last row given out.
 */
export async function eachPageRow(
  src: PageSource,
  fn: (row: CdrRow, key: CdrCursor) => void | Promise<void>,
): Promise<void> {
  const opts = { signal: src.signal, asArrays: src.asArrays };
  const sorted = (cursor: CdrCursor | undefined, fetch: number) => {
    const q = buildCdrQuery(src.args, src.cols, src.table, cursor, fetch, src.bound);
    return eachCdrRow(src.db, q, opts, (row) => fn(row, cdrRowKey(row)));
  };
  if (!src.cols.calldateIndexed) return sorted(src.cursor, src.fetch);

  const cap = src.groupCap ?? DEFAULT_GROUP_CAP;
  const desc = src.args.order === 'desc';
  let given = 0;
  let lastKey = src.cursor;
  /** The rows of one calldate held until the next calldate shows (their keys are made when given out). */
  const group: CdrRow[] = [];
  /** Gives out rows[from…]; returns a promise only when `fn` had to wait (no pause of the reading otherwise). */
  const giveGroup = (rows: CdrRow[], from = 0): void | Promise<void> => {
    for (let i = from; i < rows.length && given < src.fetch; i++) {
      given++;
      lastKey = cdrRowKey(rows[i] as CdrRow);
      const p = fn(rows[i] as CdrRow, lastKey);
      if (p) return p.then(() => giveGroup(rows, i + 1));
    }
  };
  /** Orders the held group by uniqueid and gives it out; returns a promise only when `fn` had to wait. */
  const flush = (): void | Promise<void> => {
    const n = group.length;
    if (n === 1) {
      // the usual case: one row per calldate; the array is reused (no allocation per row but its key)
      const row = group.pop() as CdrRow;
      if (given >= src.fetch) return;
      given++;
      lastKey = cdrRowKey(row);
      return fn(row, lastKey);
    }
    if (n === 0 || given >= src.fetch) {
      group.length = 0;
      return;
    }
    const order = uniqueidOrder(group.map(cdrRowKey), desc);
    if (!order) throw new FallBack();
    const sortedRows = order.map((i) => group[i] as CdrRow);
    group.length = 0;
    return giveGroup(sortedRows);
  };
  const q = buildCalldateOrderedQuery(src.args, src.cols, src.table, src.cursor, src.bound);
  try {
    await eachCdrRow(src.db, q, opts, (row) => {
      if (group.length > 0 && !row.sameKey(0, group[0] as CdrRow)) {
        const p = flush();
        group.push(row);
        return p;
      }
      if (given >= src.fetch) return; // read to the end (the rest of the bound calldate): the connection stays reusable
      group.push(row);
      if (group.length > cap) throw new FallBack();
    });
    await flush();
  } catch (e) {
    if (!(e instanceof FallBack)) throw e;
    // the fast stream was destroyed (its connection dropped); the rest of the page comes sorted by the server
    if (given < src.fetch) await sorted(lastKey, src.fetch - given);
  }
}

/**
 * Indexes of `keys` (one calldate) in uniqueid order, or undefined when JS order might differ from the
 * collation's: the uniqueids must differ only in digits and dots after their common prefix.
 */
export function uniqueidOrder(keys: readonly CdrCursor[], desc: boolean): number[] | undefined {
  if (keys.length === 2) {
    // the usual tie (a transfer or a second leg): compare the two without the general machinery
    const x = (keys[0] as CdrCursor).uniqueid;
    const y = (keys[1] as CdrCursor).uniqueid;
    let i = 0;
    while (i < x.length && i < y.length && x.charCodeAt(i) === y.charCodeAt(i)) i++;
    if (!digitsAndDotsFrom(x, i) || !digitsAndDotsFrom(y, i)) return undefined;
    return (desc ? x < y : x > y) ? [1, 0] : [0, 1];
  }
  const ids = keys.map((k) => k.uniqueid);
  let prefix = ids[0]?.length ?? 0;
  const first = ids[0] ?? '';
  for (const id of ids) {
    let i = 0;
    while (i < prefix && i < id.length && id.charCodeAt(i) === first.charCodeAt(i)) i++;
    prefix = i;
  }
  for (const id of ids) if (!digitsAndDotsFrom(id, prefix)) return undefined;
  const order = ids.map((_, i) => i);
  order.sort((a, b) => {
    const x = ids[a] as string;
    const y = ids[b] as string;
    const c = x < y ? -1 : x > y ? 1 : 0;
    return desc ? -c : c;
  });
  return order;
}
