import { Readable } from 'node:stream';
import mysql from 'mysql2';
import { isPbxlinkError, PbxlinkError } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { ColumnInfo, RowDecoder, RowPacket } from './json-rows';

/** Connection settings of the FreePBX MySQL/MariaDB (from freepbx.conf / amportal.conf, §11). */
export interface DbOptions {
  host?: string;
  port?: number;
  socketPath?: string;
  user: string;
  password?: string;
  /** Default database; queries may still name `db`.`table` explicitly. */
  database?: string;
  /** Pool size (small: the agent shares the box with Asterisk). Default 4. */
  connectionLimit?: number;
  /** TCP connect timeout in ms. Default 5000. */
  connectTimeoutMs?: number;
  log?: Logger;
}

/** One SQL value bound to a `?` placeholder. */
export type SqlParam = string | number | boolean | null | Date | Buffer | SqlParam[];

/** The part of a connection usable inside transaction(). */
export interface DbTx {
  query<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
}

/** Options of stream(). */
export interface StreamOptions {
  /** Rows buffered before the socket is paused (mysql2 stream highWaterMark). Default 64. */
  highWaterMark?: number;
  /** Aborting destroys the stream and its connection (the server stops the query when the socket closes). */
  signal?: AbortSignal;
  /** Rows as arrays in SELECT order instead of objects (cheaper to parse and to send). */
  rowsAsArray?: boolean;
}

/** Options of eachRow(). */
export interface EachRowOptions {
  /** Aborting drops the connection (the server stops the query when the socket closes); eachRow rejects. */
  signal?: AbortSignal;
  /** Rows as arrays in SELECT order instead of objects (what mysql2 decodes when `decoder` does not). */
  rowsAsArray?: boolean;
  /** Decodes the rows itself (e.g. jsonRowDecoder: JSON text straight from the row packets), given the result's
   * columns; `fn` receives what it returns. */
  decoder?: (fields: readonly ColumnInfo[]) => RowDecoder<unknown>;
}

/** The mysql2 internals decodeRowsWith replaces: Query's state function that reads one row packet. */
interface QueryInternals {
  row: RowState;
  once(event: 'fields', fn: (fields: ColumnInfo[]) => void): unknown;
  _localStreamError?: unknown;
  doneInsert(rs: null): unknown;
}
type RowState = (this: QueryInternals, packet: RowPacket & { isEOF(): boolean }, conn: unknown) => unknown;

/**
 * Makes one mysql2 query decode its row packets with `decoder` when it covers the result's columns, handing each
 * decoded row to `deliver` (else `fallback` receives the decoder's mapping of mysql2's own rows, which arrive as
 * 'result' events). mysql2 reads a result as a state machine whose row state is `Query.prototype.row`, reached
 * through `this.row` after the column definitions: an own `row` on the query object takes its place, and hands
 * end of result (and errors) back to mysql2's. Rows go to `deliver` directly, not through an event (an
 * EventEmitter emit per row was ~9% of the CDR worker's CPU in bench cdr-query).
 */
function decodeRowsWith(
  q: QueryInternals,
  decoder: NonNullable<EachRowOptions['decoder']>,
  fallback: (map: (row: unknown) => unknown) => void,
  deliver: (row: unknown) => void,
): void {
  const builtin = (Object.getPrototypeOf(q) as QueryInternals).row;
  let fromPacket: ((p: RowPacket) => unknown) | undefined;
  q.once('fields', (fields) => {
    const d = decoder(fields);
    fromPacket = d.packet;
    if (!fromPacket) fallback(d.row);
  });
  const own: RowState = function (packet, conn) {
    if (!fromPacket || packet.isEOF()) return builtin.call(this, packet, conn);
    let row: unknown;
    try {
      row = fromPacket(packet);
    } catch (err) {
      this._localStreamError = err; // as mysql2's own row state does with a parser error
      return this.doneInsert(null);
    }
    deliver(row);
    return own;
  };
  q.row = own;
}

/** Error codes of the driver / server meaning "the database is not reachable (now)". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ENOENT', // unix socket missing
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
]);

/** The error of a query stopped by its AbortSignal. */
function abortError(signal: AbortSignal | undefined): PbxlinkError {
  return new PbxlinkError('internal', 'query aborted', { cause: signal?.reason });
}

/** Maps a driver error to a PbxlinkError: connection faults → unavailable (retryable), a full pool queue → busy, others → internal. */
export function toDbError(e: unknown): PbxlinkError {
  if (isPbxlinkError(e)) return e;
  const err = e as { code?: string; errno?: number; fatal?: boolean; message?: string };
  const code = err?.code ?? 'UNKNOWN';
  const text = err?.message ?? String(e);
  if (/queue limit reached/i.test(text)) {
    return new PbxlinkError('busy', 'database pool queue is full; retry later', {
      cause: e,
      retryable: true,
    });
  }
  if (err?.fatal || UNREACHABLE.has(code)) {
    return new PbxlinkError('unavailable', `database unreachable: ${code}: ${text}`, {
      cause: e,
      retryable: true,
      details: { code },
    });
  }
  return new PbxlinkError('internal', `database error: ${code}: ${text}`, { cause: e, details: { code } });
}

/**
 * The agent's pool to the FreePBX databases (`asterisk`, `asteriskcdrdb`): lazy (connects on first use),
 * small, errors mapped to PbxlinkError. Broken connections are dropped, never reused, so the pool
 * recovers by itself when the server comes back. Dates come back as the DB's own strings (dateStrings).
 */
export class FreepbxDb {
  private pool: mysql.Pool | undefined;
  private closed = false;

  constructor(private readonly opts: DbOptions) {}

  /** The connection settings (without the logger), e.g. for a worker process that opens its own pool. */
  get settings(): Omit<DbOptions, 'log'> {
    const { log: _log, ...rest } = this.opts;
    return rest;
  }

  private getPool(): mysql.Pool {
    if (this.closed) throw new PbxlinkError('unavailable', 'database pool closed', { retryable: false });
    if (!this.pool) {
      this.pool = mysql.createPool({
        host: this.opts.socketPath ? undefined : (this.opts.host ?? '127.0.0.1'),
        port: this.opts.port ?? 3306,
        socketPath: this.opts.socketPath,
        user: this.opts.user,
        password: this.opts.password ?? '',
        database: this.opts.database,
        connectionLimit: this.opts.connectionLimit ?? 4,
        maxIdle: this.opts.connectionLimit ?? 4,
        idleTimeout: 60_000,
        connectTimeout: this.opts.connectTimeoutMs ?? 5000,
        enableKeepAlive: true,
        dateStrings: true, // calldate exactly as stored, never shifted by a time zone (§8.1: local time)
        supportBigNumbers: true,
        charset: 'utf8mb4',
        waitForConnections: true,
        queueLimit: 100,
      });
    }
    return this.pool;
  }

  private connection(): Promise<mysql.PoolConnection> {
    return new Promise((resolve, reject) => {
      let pool: mysql.Pool;
      try {
        pool = this.getPool();
      } catch (e) {
        reject(e);
        return;
      }
      pool.getConnection((err, conn) => (err ? reject(toDbError(err)) : resolve(conn)));
    });
  }

  private static run<T>(conn: mysql.PoolConnection, sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return new Promise((resolve, reject) => {
      conn.query(sql, params as unknown[] | undefined, (err, rows) => {
        if (err) reject(err);
        else resolve(rows as T[]);
      });
    });
  }

  /** Runs one parameterized statement and returns its rows (or the OkPacket for writes, as a 1-element array). */
  async query<T = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    // A connection the server closed while idle fails on first use; it is dropped and the statement
    // retried once on a fresh connection (only when the failure happened before the server ran it).
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connection();
      try {
        const rows = await FreepbxDb.run<T>(conn, sql, params);
        conn.release();
        return Array.isArray(rows) ? rows : [rows as T];
      } catch (e) {
        const err = e as { fatal?: boolean; code?: string };
        if (err.fatal) conn.destroy();
        else conn.release();
        const stale = err.fatal && (err.code === 'PROTOCOL_CONNECTION_LOST' || err.code === 'EPIPE');
        if (!stale || attempt >= 1 || /^\s*(insert|update|delete|replace|alter|create|drop)/i.test(sql)) {
          throw toDbError(e);
        }
        this.opts.log?.debug({ code: err.code }, 'db connection went stale; retrying once');
      }
    }
  }

  /**
   * Streams the rows of a SELECT from a server-side (unbuffered) result: eachRow behind a Readable, the
   * connection paused while the consumer does not read, so memory stays bounded whatever the row count. Errors
   * arrive as PbxlinkError; destroying the stream early drops its connection.
   */
  stream(sql: string, params?: readonly SqlParam[], opts: StreamOptions = {}): Readable {
    let wake: (() => void) | undefined;
    const stop = new AbortController();
    const out = new Readable({
      objectMode: true,
      highWaterMark: opts.highWaterMark ?? 64,
      read: () => {
        const w = wake;
        wake = undefined;
        w?.();
      },
    });
    out.on('close', () => stop.abort(new Error('stream closed'))); // the consumer stopped reading
    const caller = opts.signal;
    const onAbort = () => stop.abort(caller?.reason);
    if (caller?.aborted) onAbort();
    else caller?.addEventListener('abort', onAbort, { once: true });
    this.eachRow(sql, params, { signal: stop.signal, rowsAsArray: opts.rowsAsArray }, (row) => {
      if (!out.push(row)) return new Promise<void>((resolve) => (wake = resolve));
    })
      .then(
        () => out.push(null),
        (e: unknown) => out.destroy(e as Error),
      )
      .finally(() => caller?.removeEventListener('abort', onAbort));
    return out;
  }

  /**
   * Calls `fn` with every row of a SELECT as it comes off the socket (server-side, unbuffered result), without a
   * stream in between: when `fn` returns a promise the connection is paused (mysql2 holds the packets already
   * read) until it settles — backpressure with bounded memory, no promise per row. Resolves after the last row's
   * `fn` settled; rejects with what `fn` threw (as is) or with the driver's error as PbxlinkError. A query that did
   * not run to its end (fn threw, abort, error) drops its connection instead of returning it to the pool.
   */
  async eachRow<R>(
    sql: string,
    params: readonly SqlParam[] | undefined,
    opts: EachRowOptions,
    fn: (row: R) => void | Promise<void>,
  ): Promise<void> {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const conn = await this.connection();
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown, fromDriver = false) => {
        if (settled) return;
        settled = true;
        conn.removeListener('error', onConnError);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err === undefined) {
          conn.release();
          resolve();
          return;
        }
        conn.destroy(); // an unfinished result or a broken socket: never give it back to the pool
        reject(fromDriver ? toDbError(err) : err);
      };
      // mysql2 reports a connection lost mid-result on the connection, not on the query
      const onConnError = (e: unknown) => finish(e, true);
      const onAbort = () => finish(abortError(opts.signal));
      conn.once('error', onConnError);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.signal?.aborted) {
        onAbort();
        return;
      }
      let map: ((row: unknown) => unknown) | undefined;
      const onRow = (row: unknown) => {
        if (settled) return;
        let pending: void | Promise<void>;
        try {
          pending = fn(row as R);
        } catch (e) {
          finish(e);
          return;
        }
        if (pending) {
          conn.pause();
          pending.then(
            () => {
              if (!settled) conn.resume();
            },
            (e: unknown) => finish(e),
          );
        }
      };
      const q = conn.query({ sql, values: params as unknown[] | undefined, rowsAsArray: opts.rowsAsArray });
      if (opts.decoder) {
        decodeRowsWith(q as unknown as QueryInternals, opts.decoder, (m) => (map = m), onRow);
      }
      // mysql2's own rows (no decoder, or one that does not cover the columns)
      q.on('result', (row: unknown) => onRow(map ? map(row) : row));
      q.on('error', (e: unknown) => finish(e, true));
      q.on('end', () => finish());
    });
  }

  /** Runs `fn` inside BEGIN … COMMIT on one connection; ROLLBACK (and rethrow) when it throws. */
  async transaction<T>(fn: (tx: DbTx) => Promise<T>): Promise<T> {
    const conn = await this.connection();
    const tx: DbTx = {
      query: async <R>(sql: string, params?: readonly SqlParam[]) => {
        try {
          return await FreepbxDb.run<R>(conn, sql, params);
        } catch (e) {
          throw toDbError(e);
        }
      },
    };
    try {
      await FreepbxDb.run(conn, 'START TRANSACTION');
      const result = await fn(tx);
      await FreepbxDb.run(conn, 'COMMIT');
      conn.release();
      return result;
    } catch (e) {
      try {
        await FreepbxDb.run(conn, 'ROLLBACK');
        conn.release();
      } catch {
        conn.destroy();
      }
      throw toDbError(e);
    }
  }

  /** Health check: a round trip to the server; throws PbxlinkError('unavailable') when it is down. */
  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  /** Closes every connection; further calls fail with unavailable. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await new Promise<void>((resolve) => pool.end(() => resolve()));
  }
}
