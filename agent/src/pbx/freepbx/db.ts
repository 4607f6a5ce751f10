import { Readable } from 'node:stream';
import mysql from 'mysql2';
import { isPbxlinkError, PbxlinkError } from '../../core/errors';
import type { Logger } from '../../core/log';

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
   * Streams the rows of a SELECT from a server-side (unbuffered) result: the socket is paused while the
   * consumer does not read, so memory stays bounded whatever the row count. Errors arrive as PbxlinkError.
   */
  stream(sql: string, params?: readonly SqlParam[], opts: StreamOptions = {}): Readable {
    let conn: mysql.PoolConnection | undefined;
    let src: Readable | undefined;
    const out = new Readable({
      objectMode: true,
      highWaterMark: opts.highWaterMark ?? 64,
      read: () => src?.resume(),
    });
    let finished = false;
    let detach = () => {};
    const finish = (ok: boolean) => {
      if (finished) return;
      finished = true;
      detach();
      opts.signal?.removeEventListener('abort', onAbort);
      if (conn) {
        if (ok) conn.release();
        else conn.destroy(); // an unfinished result or a broken socket: never give it back to the pool
      }
    };
    const onAbort = () => {
      finish(false);
      out.destroy(new PbxlinkError('internal', 'query aborted', { cause: opts.signal?.reason }));
    };
    out.on('close', () => finish(false)); // consumer destroyed us early: drop the half-read connection
    if (opts.signal?.aborted) {
      queueMicrotask(onAbort);
      return out;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    this.connection().then(
      (c) => {
        conn = c;
        if (finished) {
          finish(false);
          return;
        }
        // mysql2 reports a lost connection during a streamed (callback-less) query only on the connection,
        // never on the query stream: listen there too, or the reader would wait forever.
        const onConnError = (e: unknown) => {
          finish(false);
          out.destroy(toDbError(e));
        };
        c.once('error', onConnError);
        detach = () => c.removeListener('error', onConnError);
        src = c
          .query({ sql, values: params as unknown[] | undefined, rowsAsArray: opts.rowsAsArray })
          .stream({ highWaterMark: opts.highWaterMark ?? 64 });
        src.on('data', (row) => {
          if (!out.push(row)) src?.pause();
        });
        src.on('end', () => {
          finish(true);
          out.push(null);
        });
        src.on('error', (e) => {
          finish(false);
          out.destroy(toDbError(e));
        });
      },
      (e) => {
        finished = true;
        out.destroy(toDbError(e));
      },
    );
    return out;
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
