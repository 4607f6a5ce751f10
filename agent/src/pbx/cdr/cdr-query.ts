import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/log';
import type { FreepbxDb } from '../freepbx/db';
import { type CdrColumns, loadCdrColumns, quoteIdent } from './columns';
import { type CdrCursor, decodeCursor, encodeCursor } from './cursor';
import { type CdrRow, eachCdrRow, eachPageRow, sameCdrKey } from './ordered-rows';
import { CdrPartWriter, type PartSink } from './part-writer';
import {
  buildBoundaryQuery,
  buildGroupQuery,
  CDR_SEARCH_FIELDS,
  type CdrQueryArgs,
  filterConditions,
  invalidArg,
} from './query-builder';

/** Rows per page when the caller gives no limit. */
export const DEFAULT_CDR_LIMIT = 1000;

/** Where the CDRs are and how many rows one query may return (config cdr_max_rows). */
export interface CdrQueryDeps {
  db: FreepbxDb;
  cdrDb: string;
  cdrTable: string;
  maxRows: number;
  log?: Logger;
  /** Parts that may await their PUBACK at once (default 4). */
  partWindow?: number;
  /** To measure the time spent awaiting PUBACKs (logged at debug with each query). */
  clock?: Clock;
}

/** Final data of a cdr.query: rows sent, and the cursor of the next page (null when nothing is left). */
export interface CdrQueryResult {
  count: number;
  next_cursor: string | null;
}

/** What a query needs from the command context. */
export type CdrQuerySink = PartSink & { readonly signal?: AbortSignal };

type Row = CdrRow;

/** MariaDB errors of comparing text in charsets that cannot be converted to one another. */
const COLLATION_MIX = new Set(['ER_CANT_AGGREGATE_2COLLATIONS', 'ER_CANT_AGGREGATE_3COLLATIONS']);

/** Every searchable column, to check args before the table's real columns are known. */
const ALL_FIELDS: CdrColumns = {
  names: [],
  has: () => true,
  recordings: 'recordingfile',
  calldateIndexed: false,
};

/**
 * cdr.query: keyset-paginated, streamed from the server (bounded memory), sent in parts within the size
 * limit. Pages never end inside a group of rows sharing (calldate, uniqueid) — Asterisk writes several CDRs
 * with one uniqueid (transfers, forks) — so a cursor walk returns every row exactly once.
 */
export class CdrQuery {
  private cols: Promise<CdrColumns> | undefined;

  constructor(private readonly deps: CdrQueryDeps) {
    quoteIdent(deps.cdrDb);
    quoteIdent(deps.cdrTable);
  }

  /** The table's real columns, discovered once (again after a failure). */
  columns(): Promise<CdrColumns> {
    this.cols ??= loadCdrColumns(this.deps.db, this.deps.cdrDb, this.deps.cdrTable).catch((e) => {
      this.cols = undefined;
      throw e;
    });
    return this.cols;
  }

  /** Runs one page: sends its rows as parts through `sink`, returns `{count, next_cursor}`. */
  async run(args: CdrQueryArgs, sink: CdrQuerySink): Promise<CdrQueryResult> {
    try {
      return await this.page(args, sink);
    } catch (e) {
      // A field_pattern holding characters the column's charset lacks (an emoji against FreePBX's latin1 table)
      // cannot be compared: MariaDB refuses the statement before any row ("Illegal mix of collations"). No
      // stored value can contain such text, so the page is empty.
      const code = (e as { details?: { code?: unknown } }).details?.code;
      if (args.field_pattern !== undefined && typeof code === 'string' && COLLATION_MIX.has(code)) {
        return { count: 0, next_cursor: null };
      }
      throw e;
    }
  }

  private async page(args: CdrQueryArgs, sink: CdrQuerySink): Promise<CdrQueryResult> {
    const limit = args.limit ?? DEFAULT_CDR_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw invalidArg('limit', 'must be an integer of at least 1');
    if (limit > this.deps.maxRows) {
      throw invalidArg(
        'limit',
        `at most ${this.deps.maxRows} rows per query (cdr_max_rows); page with next_cursor`,
      );
    }
    if (
      args.field_name !== undefined &&
      !(CDR_SEARCH_FIELDS as readonly string[]).includes(args.field_name)
    ) {
      throw invalidArg('field_name', `expected one of ${CDR_SEARCH_FIELDS.join(', ')}`);
    }
    filterConditions(args, ALL_FIELDS); // dates, pattern: invalid_args before touching the database
    const cursor = args.cursor === undefined ? undefined : decodeCursor(args.cursor);
    const cols = await this.columns();
    const table = { db: this.deps.cdrDb, name: this.deps.cdrTable };
    let bound: string | undefined;
    if (cols.calldateIndexed) {
      const b = buildBoundaryQuery(args, cols, table, cursor, limit);
      const [row] = await this.deps.db.query<{ calldate: string }>(b.sql, b.params);
      bound = row?.calldate;
    }
    const asArrays = args.format === 'rows';
    const clock = this.deps.clock;
    const writer = new CdrPartWriter(
      sink,
      { format: asArrays ? 'rows' : 'objects', compress: args.compress === true, columns: cols.names },
      this.deps.partWindow,
      clock ? () => clock.monotonic() : undefined,
    );

    let sent = 0;
    let fetched = 0;
    let pending: Row[] = [];
    let pendingKey: CdrCursor | undefined;
    let lastSentKey: CdrCursor | undefined;
    let extraKey: CdrCursor | undefined;
    const sendPending = (): void | Promise<void> => {
      const rows = pending;
      const n = rows.length;
      if (n === 0) return;
      sent += n;
      lastSentKey = pendingKey;
      if (n === 1) {
        // the usual group of one row: the array is reused (nothing allocated per row)
        return writer.add(rows.pop() as Row);
      }
      pending = [];
      for (let i = 0; i < rows.length; i++) {
        const p = writer.add(rows[i] as Row);
        if (p) return p.then(() => sendRest(rows, i + 1));
      }
    };
    const sendRest = async (rows: Row[], from: number) => {
      for (let i = from; i < rows.length; i++) await writer.add(rows[i] as Row);
    };
    try {
      const source = { db: this.deps.db, args, cols, table, cursor, fetch: limit + 1, bound, asArrays };
      await eachPageRow({ ...source, signal: sink.signal }, (row, key) => {
        fetched++;
        if (fetched > limit) {
          extraKey = key; // keep reading to the end (one row), so the connection goes back to the pool clean
          return;
        }
        if (sameCdrKey(pendingKey, key)) {
          pending.push(row);
          return;
        }
        const p = sendPending();
        pendingKey = key;
        pending.push(row);
        return p;
      });
      let next: CdrCursor | undefined;
      if (extraKey === undefined) {
        await sendPending();
        // A page ending at its calldate bound holds more than `limit` rows — unless rows were deleted between the
        // boundary query and this one (a retention job): rows may remain after the bound, so the walk goes on
        // from the last row sent (or from the bound when none was left); the page that finds none ends it.
        if (bound !== undefined) next = lastSentKey ?? cursor ?? { calldate: bound, uniqueid: '' };
      } else if (!sameCdrKey(pendingKey, extraKey)) {
        await sendPending();
        next = lastSentKey;
      } else if (sent > 0) {
        next = lastSentKey; // the last group continues past the limit: it starts the next page whole
      } else if (pendingKey) {
        // this page is one (calldate, uniqueid) group bigger than limit: send the whole group
        const g = buildGroupQuery(args, cols, table, pendingKey, this.deps.maxRows);
        pending = [];
        await eachCdrRow(this.deps.db, g, { signal: sink.signal, asArrays }, (row) => {
          sent++;
          return writer.add(row);
        });
        next = pendingKey;
      }
      await writer.flush();
      this.deps.log?.debug(
        {
          rows: sent,
          parts: writer.parts,
          bytes: writer.sentBytes,
          ack_wait_ms: Math.round(writer.ackWaitMs),
        },
        'cdr.query done',
      );
      return { count: sent, next_cursor: next ? encodeCursor(next) : null };
    } catch (e) {
      if ((e as { code?: string }).code === 'internal') this.cols = undefined; // e.g. the table changed shape
      throw e;
    }
  }
}
