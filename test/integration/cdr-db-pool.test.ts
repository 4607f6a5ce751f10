import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FreepbxDb } from '../../agent/src/pbx/freepbx/db';
import {
  connectRoot,
  createTestDatabases,
  type PrivateMariadb,
  seedCdr,
  startPrivateMariadb,
  type TestDatabases,
} from '../helpers/mariadb';

describe('FreepbxDb pool on the shared MariaDB', () => {
  let t: TestDatabases;
  let db: FreepbxDb;
  beforeAll(async () => {
    t = await createTestDatabases({ cdr: 'freepbx-2.11', config: 'freepbx-2.11', seed: true });
    await seedCdr(t.cdrDb, { count: 5000 });
    db = new FreepbxDb({
      host: t.host,
      port: t.port,
      user: 'root',
      database: t.configDb,
      connectionLimit: 2,
    });
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  test('query binds parameters and returns rows with dates as stored strings', async () => {
    const rows = await db.query<{ keyword: string; data: string }>(
      'SELECT keyword, data FROM sip WHERE id = ? AND keyword = ?',
      ['100', 'context'],
    );
    expect(rows).toEqual([{ keyword: 'context', data: 'from-internal' }]);
    const [r] = await db.query<{ calldate: string }>(
      `SELECT calldate FROM \`${t.cdrDb}\`.cdr ORDER BY calldate LIMIT 1`,
    );
    expect(r?.calldate).toBe('2026-01-01 00:00:00');
  });

  test('a syntax error is internal, not unavailable', async () => {
    await expect(db.query('SELEC 1')).rejects.toMatchObject({ code: 'internal' });
  });

  test('transaction commits, and rolls back when fn throws', async () => {
    await db.transaction(async (tx) => {
      await tx.query("UPDATE admin SET value='true' WHERE variable='need_reload'");
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query("UPDATE admin SET value='false' WHERE variable='need_reload'");
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // admin is MyISAM in 2.11 (no rollback there); check rollback on an InnoDB table we create.
    await db.query('CREATE TABLE tx_probe (n int) ENGINE=InnoDB');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (1)');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await db.query('SELECT * FROM tx_probe')).toEqual([]);
    const [nr] = await db.query<{ value: string }>("SELECT value FROM admin WHERE variable='need_reload'");
    expect(nr?.value).toBe('false');
  });

  test('stream delivers every row and pauses the socket for a slow reader', async () => {
    const s = db.stream(`SELECT uniqueid FROM \`${t.cdrDb}\`.cdr`, [], { highWaterMark: 16 });
    let n = 0;
    for await (const _row of s) {
      n++;
      if (n % 1000 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(n).toBe(5000);
    await db.ping();
  });

  test('a stream destroyed early does not leave a busy connection in the pool', async () => {
    for (let i = 0; i < 4; i++) {
      const s = db.stream(`SELECT * FROM \`${t.cdrDb}\`.cdr`);
      for await (const _row of s) break; // consumer stops after one row
    }
    // pool size is 2: if the half-read connections were released, this would hang or fail
    const rows = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${t.cdrDb}\`.cdr`);
    expect(Number(rows[0]?.n)).toBe(5000);
  });

  test('recovers after the server kills its connections (KILL <id>)', async () => {
    await db.ping();
    const [procs] = await t.conn.query<import('mysql2/promise').RowDataPacket[]>(
      'SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()',
      [t.configDb],
    );
    expect(procs.length).toBeGreaterThan(0);
    for (const p of procs) {
      // a connection may have gone meanwhile (ER_NO_SUCH_THREAD 1094)
      await t.conn.query(`KILL ${Number(p.id)}`).catch((e: { errno?: number }) => {
        if (e.errno !== 1094) throw e;
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    // killed idle connections are dropped, the next statements run on fresh ones
    for (let i = 0; i < 3; i++) await db.ping();
    const rows = await db.query<{ v: string }>("SELECT value AS v FROM admin WHERE variable='version'");
    expect(rows[0]?.v).toBe('2.11.0.43');
  });
});

describe('FreepbxDb against a private MariaDB that is stopped and restarted', () => {
  let srv: PrivateMariadb;
  beforeAll(async () => {
    srv = await startPrivateMariadb();
  }, 60_000);
  afterAll(async () => {
    await srv?.destroy();
  });

  test('unavailable while the server is down (also mid-stream), working again after it restarts', async () => {
    const root = await connectRoot(srv.port);
    await root.query('CREATE DATABASE p; CREATE TABLE p.t (n int)');
    await root.query('INSERT INTO p.t SELECT seq FROM p.seq_1_to_200000');
    await root.end();
    const db = new FreepbxDb({
      host: '127.0.0.1',
      port: srv.port,
      user: 'root',
      database: 'p',
      connectTimeoutMs: 1000,
    });
    try {
      await db.ping();
      // stop the server while a stream is being read slowly
      const s = db.stream('SELECT n FROM t', [], { highWaterMark: 8 });
      let seen = 0;
      const consumed = (async () => {
        for await (const _r of s) {
          seen++;
          if (seen === 100) void srv.stop();
          if (seen % 100 === 0) await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await expect(consumed).rejects.toMatchObject({ code: 'unavailable', retryable: true });
      expect(seen).toBeLessThan(200000);
      await srv.stop();
      await expect(db.query('SELECT 1')).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/^database unreachable: /),
      });
      await expect(db.ping()).rejects.toMatchObject({ code: 'unavailable' });
      await srv.start();
      await db.ping();
      const rows = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM t');
      expect(Number(rows[0]?.n)).toBe(200000);
    } finally {
      await db.close();
    }
  }, 60_000);
});
