import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCdrQueryCommand } from '../../agent/src/commands/cdr';
import { FreepbxDb } from '../../agent/src/pbx/freepbx/db';
import {
  connectRoot,
  createTestDatabases,
  loadSqlFixture,
  type PrivateMariadb,
  seedCdr,
  startPrivateMariadb,
  type TestDatabases,
} from '../helpers/mariadb';
import { collectingContext } from '../unit/cdr/collect-context';

const ROWS = 200_000;

describe('cdr.query streams 200k rows in bounded memory', () => {
  let t: TestDatabases;
  let db: FreepbxDb;
  beforeAll(async () => {
    t = await createTestDatabases({ cdr: 'freepbx-13' });
    await seedCdr(t.cdrDb, { count: ROWS }, { batch: 5000 });
    db = new FreepbxDb({ host: t.host, port: t.port, user: 'root', connectionLimit: 2 });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  test('slow consumer: RSS grows little while 200k rows go out in parts', async () => {
    const handler = createCdrQueryCommand({ db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 100_000 });
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    let cursor: string | undefined;
    let total = 0;
    let parts = 0;
    let maxPart = 0;
    for (let page = 0; page < 3; page++) {
      const ctx = collectingContext({ keepRows: false });
      const slow = ctx.part.bind(ctx);
      ctx.part = async (data) => {
        await slow(data);
        peak = Math.max(peak, process.memoryUsage().rss);
        parts++;
        await new Promise((r) => setTimeout(r, 1)); // a consumer slower than the database
      };
      const args = cursor ? { limit: 100_000, cursor } : { limit: 100_000 };
      const result = (await handler.handle(args as never, ctx)) as {
        count: number;
        next_cursor: string | null;
      };
      total += result.count;
      maxPart = Math.max(maxPart, ctx.maxPartBytes);
      expect(ctx.rowCount).toBe(result.count);
      if (result.next_cursor === null) break;
      cursor = result.next_cursor;
    }
    expect(total).toBe(ROWS);
    expect(maxPart).toBeLessThanOrEqual(96 * 1024 - 256);
    expect(parts).toBeGreaterThan(500); // ~400-byte rows in ≤96 KB parts
    const growthMb = (peak - rss0) / 1024 / 1024;
    // Holding the rows would take >150 MB (about 90 MB of JSON alone); a streamed query holds one part.
    expect(growthMb).toBeLessThan(60);
  }, 120_000);
});

describe('cdr.query when the database goes away (private MariaDB)', () => {
  let srv: PrivateMariadb;
  beforeAll(async () => {
    srv = await startPrivateMariadb();
    const root = await connectRoot(srv.port);
    await root.query('CREATE DATABASE asteriskcdrdb');
    await loadSqlFixture(root, 'asteriskcdrdb', 'cdr-freepbx-2.11.sql');
    await root.end();
    await seedCdr('asteriskcdrdb', { count: 30_000 }, { port: srv.port, batch: 5000 });
  }, 120_000);
  afterAll(async () => {
    await srv?.destroy();
  });

  test('unavailable when stopped before or during a query; works again after restart', async () => {
    const db = new FreepbxDb({ host: '127.0.0.1', port: srv.port, user: 'root', connectTimeoutMs: 1000 });
    const handler = createCdrQueryCommand({ db, cdrDb: 'asteriskcdrdb', cdrTable: 'cdr', maxRows: 100_000 });
    try {
      // down before the first query (column discovery fails)
      await srv.stop();
      await expect(handler.handle({} as never, collectingContext())).rejects.toMatchObject({
        code: 'unavailable',
        retryable: true,
      });
      await srv.start();
      const ok = collectingContext({ keepRows: false });
      expect(await handler.handle({ limit: 10 } as never, ok)).toMatchObject({ count: 10 });

      // down in the middle of a streamed query
      const ctx = collectingContext({ keepRows: false });
      const record = ctx.part.bind(ctx);
      let stopping: Promise<void> | undefined;
      ctx.part = async (data) => {
        await record(data);
        if (ctx.rowCount > 2000 && !stopping) stopping = srv.stop();
        await new Promise((r) => setTimeout(r, 2));
      };
      await expect(handler.handle({ limit: 30_000 } as never, ctx)).rejects.toMatchObject({
        code: 'unavailable',
      });
      expect(ctx.rowCount).toBeGreaterThan(2000);
      expect(ctx.rowCount).toBeLessThan(30_000);
      await stopping;

      await srv.start();
      const after = collectingContext({ keepRows: false });
      expect(await handler.handle({ limit: 30_000 } as never, after)).toEqual({
        count: 30_000,
        next_cursor: null,
      });
      expect(after.rowCount).toBe(30_000);
    } finally {
      await db.close();
    }
  }, 120_000);

  test('aborting the command (timeout / agent stop) stops the query and frees the connection', async () => {
    const db = new FreepbxDb({ host: '127.0.0.1', port: srv.port, user: 'root', connectionLimit: 1 });
    const handler = createCdrQueryCommand({ db, cdrDb: 'asteriskcdrdb', cdrTable: 'cdr', maxRows: 100_000 });
    try {
      const ctx = collectingContext({ keepRows: false });
      const record = ctx.part.bind(ctx);
      ctx.part = async (data) => {
        await record(data);
        if (ctx.parts.length === 0 && ctx.rowCount > 1000) ctx.abort();
      };
      await expect(handler.handle({ limit: 30_000 } as never, ctx)).rejects.toThrow();
      expect(ctx.rowCount).toBeLessThan(30_000);
      // the single pooled connection is usable again
      const again = collectingContext({ keepRows: false });
      expect(await handler.handle({ limit: 5 } as never, again)).toMatchObject({ count: 5 });
    } finally {
      await db.close();
    }
  }, 60_000);
});
