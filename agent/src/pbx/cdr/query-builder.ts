import type { Static } from '@sinclair/typebox';
import type { CdrQueryArgs as CdrQueryArgsSchema } from '../../../../protocol/src/schemas/cdr';
import { PbxlinkError } from '../../core/errors';
import type { SqlParam } from '../freepbx/db';
import { type CdrColumns, quoteIdent } from './columns';
import type { CdrCursor } from './cursor';

/** Validated `cdr.query` args (protocol/src/schemas/cdr.ts). */
export type CdrQueryArgs = Static<typeof CdrQueryArgsSchema>;

/** The fields a field_pattern may search (DESIGN.md cdr.query): a fixed allow-list, never the caller's text. */
export const CDR_SEARCH_FIELDS = [
  'src',
  'dst',
  'channel',
  'dstchannel',
  'accountcode',
  'did',
  'uniqueid',
] as const;

/** Parameterized SQL and its values. */
export interface BuiltQuery {
  sql: string;
  params: SqlParam[];
}

/** PbxlinkError('invalid_args') naming one argument, in the shape assertArgs uses. */
export function invalidArg(name: string, why: string): PbxlinkError {
  return new PbxlinkError('invalid_args', `invalid arguments for cdr.query: ${name}: ${why}`, {
    details: { problems: [{ path: `/${name}`, message: why }] },
  });
}

/** Checks a `YYYY-MM-DD[ HH:MM:SS]` arg is a real calendar date; returns its date part as [y, m, d]. */
function calendarDate(name: string, value: string): [number, number, number] {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?: ([0-9]{2}):([0-9]{2}):([0-9]{2}))?$/.exec(value);
  if (!m) throw invalidArg(name, "expected 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'");
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1).map((x) => x ?? '0') as string[];
  const dt = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const ok =
    dt.getUTCFullYear() === Number(y) &&
    dt.getUTCMonth() === Number(mo) - 1 &&
    dt.getUTCDate() === Number(d) &&
    Number(h) < 24 &&
    Number(mi) < 60 &&
    Number(s) < 60;
  if (!ok || Number(y) < 1) throw invalidArg(name, `${value} is not a valid date`);
  return [Number(y), Number(mo), Number(d)];
}

/** 'YYYY-MM-DD 00:00:00' of the day after [y, m, d] (calendar arithmetic only, no time zone involved). */
function nextDayStart([y, m, d]: [number, number, number]): string {
  const dt = new Date(Date.UTC(y, m - 1, d + 1));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${String(dt.getUTCFullYear()).padStart(4, '0')}-${p(dt.getUTCMonth() + 1)}-${p(dt.getUTCDate())} 00:00:00`;
}

/** Escapes LIKE wildcards so the pattern matches as a plain substring (ESCAPE '|', independent of sql_mode). */
export function escapeLike(text: string): string {
  return text.replace(/[|%_]/g, (c) => `|${c}`);
}

/** The WHERE conditions of the filters (everything but the cursor), with their values. */
export function filterConditions(args: CdrQueryArgs, cols: CdrColumns): BuiltQuery {
  const { sql, params } = filters(args, cols);
  return { sql, params };
}

/** filterConditions, and whether none but start_date/end_date applies (then FORCE INDEX: see fromTable). */
function filters(args: CdrQueryArgs, cols: CdrColumns): BuiltQuery & { onlyDates: boolean } {
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (args.start_date !== undefined) {
    calendarDate('start_date', args.start_date);
    const from = args.start_date.length === 10 ? `${args.start_date} 00:00:00` : args.start_date;
    where.push('`calldate` >= ?');
    params.push(from);
  }
  if (args.end_date !== undefined) {
    const d = calendarDate('end_date', args.end_date);
    if (args.end_date.length === 10) {
      where.push('`calldate` < ?'); // a date-only end means the whole day
      params.push(nextDayStart(d));
    } else {
      where.push('`calldate` <= ?');
      params.push(args.end_date);
    }
  }
  if (args.start_date !== undefined && args.end_date !== undefined) {
    const s = args.start_date.length === 10 ? `${args.start_date} 00:00:00` : args.start_date;
    const e = args.end_date.length === 10 ? `${args.end_date} 23:59:59` : args.end_date;
    if (s > e) throw invalidArg('end_date', 'end_date is before start_date');
  }
  const dates = where.length;
  if (args.field_pattern !== undefined && args.field_name === undefined) {
    throw invalidArg('field_pattern', 'field_pattern needs field_name');
  }
  if (args.field_name !== undefined) {
    const f = args.field_name;
    if (!(CDR_SEARCH_FIELDS as readonly string[]).includes(f)) {
      throw invalidArg('field_name', `expected one of ${CDR_SEARCH_FIELDS.join(', ')}`);
    }
    if (!cols.has(f)) throw invalidArg('field_name', `this PBX's cdr table has no ${f} column`);
    if (args.field_pattern !== undefined && args.field_pattern !== '') {
      where.push(`${quoteIdent(f)} LIKE CONCAT('%', ?, '%') ESCAPE '|'`);
      params.push(escapeLike(args.field_pattern));
    }
  }
  if (args.status !== undefined && args.status !== 'ALL') {
    where.push('`disposition` = ?');
    params.push(args.status);
  }
  if (args.recordings === 'only' || args.recordings === 'without') {
    // §12: 2.10+ tables name the file in recordingfile ('deleted' once removed); Elastix ≤2.3 uses userfield 'audio:…'.
    const has =
      cols.recordings === 'recordingfile'
        ? "(`recordingfile` <> '' AND `recordingfile` <> 'deleted')"
        : "`userfield` LIKE 'audio:%'";
    where.push(args.recordings === 'only' ? has : `NOT ${has}`);
  }
  return { sql: where.join(' AND '), params, onlyDates: where.length === dates };
}

/**
 * `FROM db.table`, with FORCE INDEX of the calldate index when the query reads along it and filters on nothing
 * but calldate (dates, cursor, page bound). MariaDB otherwise turns a range over a large share of the table (a
 * 100,000-row page of a 300,000-row table) into a full scan and a sort of every row in it, which delays the
 * first row by the whole sort and may spill to temporary files; along the index the rows come at once, and the
 * work is the range's. Other filters (a pattern, a status) are left to the optimizer: when they match few rows,
 * scanning and sorting those is cheaper than reading the whole range along the index.
 */
function fromTable(onlyDates: boolean, cols: CdrColumns, table: { db: string; name: string }): string {
  const from = `${quoteIdent(table.db)}.${quoteIdent(table.name)}`;
  return onlyDates && cols.calldateIndex !== undefined
    ? `${from} FORCE INDEX (${quoteIdent(cols.calldateIndex)})`
    : from;
}

/** Filters plus the keyset position after `cursor`, plus an optional calldate bound (see buildBoundaryQuery). */
function pageWhere(
  args: CdrQueryArgs,
  cols: CdrColumns,
  cursor: CdrCursor | undefined,
  bound?: string,
): BuiltQuery & { onlyDates: boolean } {
  const f = filters(args, cols);
  const where = f.sql ? [f.sql] : [];
  const params = [...f.params];
  const desc = args.order === 'desc';
  const op = desc ? '<' : '>';
  if (cursor) {
    // (calldate, uniqueid) > (?, ?) written portably; the leading calldate bound lets the calldate index range-scan.
    where.push(
      `\`calldate\` ${op}= ? AND (\`calldate\` ${op} ? OR (\`calldate\` = ? AND \`uniqueid\` ${op} ?))`,
    );
    params.push(cursor.calldate, cursor.calldate, cursor.calldate, cursor.uniqueid);
  }
  if (bound !== undefined) {
    where.push(`\`calldate\` ${desc ? '>=' : '<='} ?`);
    params.push(bound);
  }
  return { sql: where.length ? ` WHERE ${where.join(' AND ')}` : '', params, onlyDates: f.onlyDates };
}

/** The full SELECT of one page: filters, keyset position after `cursor`, order, `fetch` rows. */
export function buildCdrQuery(
  args: CdrQueryArgs,
  cols: CdrColumns,
  table: { db: string; name: string },
  cursor: CdrCursor | undefined,
  fetch: number,
  bound?: string,
): BuiltQuery {
  const w = pageWhere(args, cols, cursor, bound);
  const dir = args.order === 'desc' ? 'DESC' : 'ASC';
  const sql =
    `SELECT ${cols.names.map(quoteIdent).join(', ')} FROM ${quoteIdent(table.db)}.${quoteIdent(table.name)}${w.sql}` +
    ` ORDER BY \`calldate\` ${dir}, \`uniqueid\` ${dir} LIMIT ?`;
  return { sql, params: [...w.params, fetch] };
}

/**
 * The page's rows in calldate order alone (no LIMIT: the page ends at `bound`, or holds every row left), so the
 * server reads them along the calldate index without sorting (§8.1: KEY calldate, no index on uniqueid); the
 * caller orders each calldate's rows by uniqueid itself (see ordered-rows.ts).
 */
export function buildCalldateOrderedQuery(
  args: CdrQueryArgs,
  cols: CdrColumns,
  table: { db: string; name: string },
  cursor: CdrCursor | undefined,
  bound?: string,
): BuiltQuery {
  const w = pageWhere(args, cols, cursor, bound);
  const dir = args.order === 'desc' ? 'DESC' : 'ASC';
  const sql = `SELECT ${cols.names.map(quoteIdent).join(', ')} FROM ${fromTable(w.onlyDates, cols, table)}${w.sql} ORDER BY \`calldate\` ${dir}`;
  return { sql, params: w.params };
}

/**
 * A calldate at or after the page's last one: that of row number `offset` among the rows *strictly after* the
 * cursor's calldate, in calldate order alone. ORDER BY calldate, uniqueid cannot use the plain calldate index
 * (§8.1) for its order, so the server would sort every remaining row for each page; bounding the page by this
 * calldate (read along the index, no sort) keeps the sort to one page. Leaving the cursor's uniqueid out lets an
 * unfiltered query read the index alone (no row per offset): the rows at the cursor's calldate still to send are
 * skipped by the count, so the bound lands at most those few rows later than the exact one (the page query stops
 * at its limit anyway).
 */
export function buildBoundaryQuery(
  args: CdrQueryArgs,
  cols: CdrColumns,
  table: { db: string; name: string },
  cursor: CdrCursor | undefined,
  offset: number,
): BuiltQuery {
  const f = filters(args, cols);
  const where = f.sql ? [f.sql] : [];
  const params: SqlParam[] = [...f.params];
  const desc = args.order === 'desc';
  if (cursor) {
    where.push(`\`calldate\` ${desc ? '<' : '>'} ?`);
    params.push(cursor.calldate);
  }
  const dir = desc ? 'DESC' : 'ASC';
  return {
    sql: `SELECT \`calldate\` FROM ${fromTable(f.onlyDates, cols, table)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY \`calldate\` ${dir} LIMIT 1 OFFSET ?`,
    params: [...params, offset],
  };
}

/** SELECT of every row of one keyset group (same calldate and uniqueid) that matches the filters. */
export function buildGroupQuery(
  args: CdrQueryArgs,
  cols: CdrColumns,
  table: { db: string; name: string },
  key: CdrCursor,
  fetch: number,
): BuiltQuery {
  const f = filterConditions(args, cols);
  const where = [...(f.sql ? [f.sql] : []), '`calldate` = ?', '`uniqueid` = ?'];
  return {
    sql: `SELECT ${cols.names.map(quoteIdent).join(', ')} FROM ${quoteIdent(table.db)}.${quoteIdent(table.name)} WHERE ${where.join(' AND ')} LIMIT ?`,
    params: [...f.params, key.calldate, key.uniqueid, fetch],
  };
}
