import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from './ports';

/** Where the shared test MariaDB listens (root, empty password). */
export const MARIADB_HOST = '127.0.0.1';
export const MARIADB_PORT = 3306;
/** Connection URL of the shared test server. */
export const MARIADB_URL = `mysql://root@${MARIADB_HOST}:${MARIADB_PORT}`;

/** The schema fixtures (test/fixtures/sql), each annotated with its source in the reference facts §8. */
export const SQL_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sql');

/** CDR table variants: Elastix compat dump (16 cols, no keys), FreePBX 2.11 (23), 13 fresh (23), cdr 14.0.5.11 (26). */
export type CdrVariant = 'elastix-2.2' | 'freepbx-2.11' | 'freepbx-13' | 'freepbx-14';
/** FreePBX `asterisk` config database variants. */
export type ConfigVariant = 'freepbx-2.11' | 'freepbx-13';

/** Options of createTestDatabases. */
export interface TestDatabaseOptions {
  cdr?: CdrVariant;
  config?: ConfigVariant;
  /** Load asterisk-seed.sql into the config database (extensions 100 and 106, follow-me 106). */
  seed?: boolean;
  /** Server port (default 3306; a private server from startPrivateMariadb passes its own). */
  port?: number;
}

/** A pair of uniquely named databases on the test server; drop() removes both. */
export interface TestDatabases {
  cdrDb: string;
  configDb: string;
  url: string;
  host: string;
  port: number;
  /** A connection for assertions (multipleStatements on); closed by drop(). */
  conn: mysql.Connection;
  drop(): Promise<void>;
}

/** Opens a root connection, failing with a message that says what is missing when the server is down. */
export async function connectRoot(port = MARIADB_PORT, database?: string): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({
      host: MARIADB_HOST,
      port,
      user: 'root',
      password: '',
      database,
      multipleStatements: true,
      dateStrings: true,
      connectTimeout: 5000,
    });
  } catch (e) {
    throw new Error(
      `MariaDB is not reachable at ${MARIADB_HOST}:${port} as root with an empty password ` +
        `(integration tests need a running MariaDB there): ${(e as Error).message}`,
    );
  }
}

/** Runs one fixture file (test/fixtures/sql/NAME) inside `db`. */
export async function loadSqlFixture(conn: mysql.Connection, db: string, name: string): Promise<void> {
  const sql = await readFile(join(SQL_FIXTURES, name), 'utf8');
  await conn.query(`USE \`${db}\``);
  await conn.query(sql);
}

/** A database name unique to this process and call (test files run in parallel). */
export function uniqueDbName(prefix = 'pbxt'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/**
 * Creates a CDR database and a FreePBX config database with the real schemas (§8), unique names per call.
 * Defaults: cdr 'freepbx-2.11', config 'freepbx-2.11', no seed.
 */
export async function createTestDatabases(opts: TestDatabaseOptions = {}): Promise<TestDatabases> {
  const port = opts.port ?? MARIADB_PORT;
  const conn = await connectRoot(port);
  const base = uniqueDbName();
  const cdrDb = `${base}_cdr`;
  const configDb = `${base}_cfg`;
  try {
    await conn.query(`CREATE DATABASE \`${cdrDb}\`; CREATE DATABASE \`${configDb}\``);
    await loadSqlFixture(conn, cdrDb, `cdr-${opts.cdr ?? 'freepbx-2.11'}.sql`);
    await loadSqlFixture(conn, configDb, `asterisk-${opts.config ?? 'freepbx-2.11'}.sql`);
    if (opts.seed) await loadSqlFixture(conn, configDb, 'asterisk-seed.sql');
  } catch (e) {
    await conn
      .query(`DROP DATABASE IF EXISTS \`${cdrDb}\`; DROP DATABASE IF EXISTS \`${configDb}\``)
      .catch(() => {});
    await conn.end().catch(() => {});
    throw e;
  }
  let dropped = false;
  return {
    cdrDb,
    configDb,
    url: `mysql://root@${MARIADB_HOST}:${port}`,
    host: MARIADB_HOST,
    port,
    conn,
    async drop() {
      if (dropped) return;
      dropped = true;
      await conn.query(`DROP DATABASE IF EXISTS \`${cdrDb}\`; DROP DATABASE IF EXISTS \`${configDb}\``);
      await conn.end();
    },
  };
}

/** One CDR row keyed by column name; keys the table lacks are dropped by seedCdr. */
export type CdrRow = Record<string, string | number>;

const DISPOSITIONS = [
  'ANSWERED',
  'ANSWERED',
  'NO ANSWER',
  'BUSY',
  'FAILED',
  'ANSWERED',
  'CONGESTION',
] as const;
const SOURCES = ['100', '101', '106', '2125551234', '905312089995', '1%00', 'a_b', 'back\\slash'] as const;
const DESTS = ['100', '101', '106', '18005550199', '*97', 's', '600'] as const;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** 'YYYY-MM-DD HH:MM:SS' of a UTC epoch second, as the DB stores calldate (no zone shift). */
export function sqlDateTime(epochS: number): string {
  const d = new Date(epochS * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/**
 * A deterministic realistic CDR row number `i` (all 26 columns). Every 4th row shares the previous row's
 * calldate (ties broken by uniqueid), every 50th repeats the previous row's calldate AND uniqueid; values include %, _ and \ so LIKE escaping is exercised; recordings are
 * pointed to both ways (§12: recordingfile on 2.10+, userfield 'audio:…' on Elastix ≤2.3), some 'deleted'.
 */
export function cdrRow(i: number, startEpochS = Date.UTC(2026, 0, 1) / 1000): CdrRow {
  // every 50th row is a second CDR of the previous call (same calldate and uniqueid, as after a transfer)
  const call = i % 50 === 49 ? i - 1 : i;
  const t = startEpochS + (call - (call % 4 === 3 ? 1 : 0)) * 97;
  const calldate = sqlDateTime(t);
  const ymd = calldate.slice(0, 10).replaceAll('-', '');
  const hms = calldate.slice(11).replaceAll(':', '');
  const uniqueid = `${t}.${call}`;
  const src = SOURCES[i % SOURCES.length] ?? '100';
  const dst = DESTS[(i * 3) % DESTS.length] ?? '100';
  const disposition = DISPOSITIONS[i % DISPOSITIONS.length] ?? 'ANSWERED';
  const billsec = disposition === 'ANSWERED' ? (i * 7) % 600 : 0;
  const rec = i % 5; // 0,1: recording; 2: deleted; 3,4: none
  const recordingfile =
    rec < 2 ? `exten-${dst}-${src}-${ymd}-${hms}-${uniqueid}.wav` : rec === 2 ? 'deleted' : '';
  const userfield = rec < 2 ? `audio:${ymd}-${hms}-${uniqueid}.wav` : i % 10 === 3 ? 'note' : '';
  return {
    calldate,
    clid: `"Caller ${src}" <${src}>`,
    src,
    dst,
    dcontext: i % 3 === 0 ? 'from-trunk' : 'from-internal',
    channel: `SIP/${src}-${(i % 65536).toString(16).padStart(8, '0')}`,
    dstchannel:
      disposition === 'ANSWERED' ? `SIP/${dst}-${((i * 7) % 65536).toString(16).padStart(8, '0')}` : '',
    lastapp: 'Dial',
    lastdata: `SIP/${dst},20,tr`,
    duration: billsec + (i % 30),
    billsec,
    disposition,
    amaflags: 3,
    accountcode: i % 6 === 0 ? 'acct_1' : '',
    uniqueid,
    userfield,
    did: i % 3 === 0 ? `2125550${pad(i % 100)}` : '',
    recordingfile,
    cnum: src,
    cnam: `Caller ${src}`,
    outbound_cnum: '',
    outbound_cnam: '',
    dst_cnam: '',
    linkedid: uniqueid,
    peeraccount: '',
    sequence: i,
  };
}

/** What seedCdr inserts: explicit rows, or `count` rows from `generator(i)` (default cdrRow) starting at `from`. */
export type CdrSource = CdrRow[] | { count: number; generator?: (i: number) => CdrRow; from?: number };

/**
 * Bulk-inserts CDR rows into `db`.`table` with multi-row INSERTs of `batch` rows, keeping only the columns the
 * table has (discovered with SHOW COLUMNS). Memory stays bounded: rows are generated batch by batch.
 */
export async function seedCdr(
  db: string,
  source: CdrSource,
  opts: { port?: number; table?: string; batch?: number; onProgress?: (done: number) => void } = {},
): Promise<number> {
  const conn = await connectRoot(opts.port ?? MARIADB_PORT, db);
  const table = opts.table ?? 'cdr';
  try {
    const [cols] = await conn.query<mysql.RowDataPacket[]>(`SHOW COLUMNS FROM \`${table}\``);
    const present = new Set(cols.map((c) => String(c.Field)));
    const count = Array.isArray(source) ? source.length : source.count;
    const gen = Array.isArray(source) ? (i: number) => source[i] as CdrRow : (source.generator ?? cdrRow);
    const from = Array.isArray(source) ? 0 : (source.from ?? 0);
    const batch = opts.batch ?? 2000;
    let columns: string[] | undefined;
    for (let start = 0; start < count; start += batch) {
      const end = Math.min(count, start + batch);
      const rows: unknown[][] = [];
      for (let i = start; i < end; i++) {
        const row = gen(from + i);
        columns ??= Object.keys(row).filter((k) => present.has(k));
        rows.push(columns.map((c) => row[c] ?? ''));
      }
      if (!columns || columns.length === 0) break;
      const colSql = columns.map((c) => `\`${c}\``).join(',');
      await conn.query(`INSERT INTO \`${table}\` (${colSql}) VALUES ?`, [rows]);
      opts.onProgress?.(end);
    }
    return count;
  } finally {
    await conn.end();
  }
}

/** Row count and a content checksum of a table (CHECKSUM TABLE), to prove it was left intact. */
export async function tableFingerprint(conn: mysql.Connection, db: string, table = 'cdr'): Promise<string> {
  const [[c]] = await conn.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${db}\`.\`${table}\``);
  const [[s]] = await conn.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE \`${db}\`.\`${table}\` EXTENDED`);
  return `${c?.n}:${s?.Checksum}`;
}

/** A MariaDB server of the test's own (temp datadir, free port) that it may stop and restart. */
export interface PrivateMariadb {
  port: number;
  url: string;
  dir: string;
  /** Shut the server down (SIGTERM, wait for exit). Data is kept for start(). */
  stop(): Promise<void>;
  /** Start it again on the same port and datadir; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stop and delete the datadir. */
  destroy(): Promise<void>;
}

/**
 * Starts a second mariadbd (never the shared one) on an OS-chosen port with a fresh datadir made by
 * mariadb-install-db, root with an empty password — for tests that stop the database mid-query.
 */
export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  const dir = await mkdtemp(join(tmpdir(), 'pbxt-mariadb-'));
  const data = join(dir, 'data');
  await promisify(execFile)('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
  ]);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';
  const start = async () => {
    const args = [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${join(dir, 'sock')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${join(dir, 'pid')}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      '--innodb-buffer-pool-size=16M',
    ];
    if (process.getuid?.() === 0) args.push('--user=root');
    const c = spawn('/usr/sbin/mariadbd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`private mariadbd exited: ${log}`);
      try {
        const conn = await mysql.createConnection({
          host: MARIADB_HOST,
          port,
          user: 'root',
          connectTimeout: 1000,
        });
        await conn.end();
        return;
      } catch (e) {
        if (Date.now() > deadline)
          throw new Error(`private mariadbd did not start on ${port}: ${(e as Error).message}\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    port,
    url: `mysql://root@${MARIADB_HOST}:${port}`,
    dir,
    stop,
    start,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
