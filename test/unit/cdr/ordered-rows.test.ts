import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCdrQueryCommand } from '../../../agent/src/commands/cdr';
import { loadCdrColumns } from '../../../agent/src/pbx/cdr/columns';
import { type CdrRow, eachPageRow, uniqueidOrder } from '../../../agent/src/pbx/cdr/ordered-rows';
import { FreepbxDb } from '../../../agent/src/pbx/freepbx/db';
import { cdrRow, createTestDatabases, seedCdr, type TestDatabases } from '../../helpers/mariadb';
import { collectingContext, rowsAsObjects } from './collect-context';

const keys = (...ids: string[]) => ids.map((uniqueid) => ({ calldate: '2026-01-01 00:00:00', uniqueid }));

describe('uniqueidOrder', () => {
  test('digits and dots after a common prefix: numeric text order, both directions', () => {
    const k = keys('1700000000.10', '1700000000.9', '1700000000.11', '1700000000.1');
    expect(uniqueidOrder(k, false)).toEqual([3, 0, 2, 1]); // string order, as the collation compares
    expect(uniqueidOrder(k, true)).toEqual([1, 2, 0, 3]);
    expect(uniqueidOrder(keys('pbx1-1700000000.5', 'pbx1-1700000000.42'), false)).toEqual([1, 0]);
    expect(uniqueidOrder(keys('abc', 'abc'), false)).toEqual([0, 1]);
    expect(uniqueidOrder(keys('1.5', '1.42'), true)).toEqual([0, 1]);
    expect(uniqueidOrder(keys('1.42', '1.5'), true)).toEqual([1, 0]);
  });

  test('letters (or anything else) where they differ: no JS order, the server must sort', () => {
    expect(uniqueidOrder(keys('alpha', 'Bravo'), false)).toBeUndefined();
    expect(uniqueidOrder(keys('pbx1-1700000000.5', 'pbx2-1700000000.5'), false)).toBeUndefined();
    expect(uniqueidOrder(keys('17.1', '17.1 '), false)).toBeUndefined();
  });
});

describe('eachPageRow and cdr.query on tied calldates (real MariaDB)', () => {
  let t: TestDatabases;
  let db: FreepbxDb;
  const T0 = '2026-03-01 10:00:00';
  const T1 = '2026-03-01 10:00:01';
  const T2 = '2026-03-01 10:00:02';
  const T3 = '2026-03-01 10:00:03';
  // Inserted out of order on purpose: the table's physical order is not the key order.
  const seeded: [string, string][] = [
    [T1, 'pbx-1700000001.12'],
    [T0, '1700000000.1'],
    [T1, 'pbx-1700000001.2'],
    [T2, 'charlie'],
    [T1, 'pbx-1700000001.100'],
    [T2, 'Bravo'], // case-insensitive collation: alpha < Bravo < charlie (JS would put Bravo first)
    [T3, '1700000003.5'],
    [T2, 'alpha'],
    [T3, '1700000003.4'],
    [T3, '1700000003.3'],
    [T3, '1700000003.2'],
    [T3, '1700000003.1'],
  ];
  const ci = (a: [string, string], b: [string, string]) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1].toUpperCase() < b[1].toUpperCase() ? -1 : 1;
  const asc = [...seeded].sort(ci).map(([c, u]) => `${c}|${u}`);
  const desc = [...asc].reverse();

  beforeAll(async () => {
    t = await createTestDatabases({ cdr: 'freepbx-2.11' });
    await seedCdr(
      t.cdrDb,
      seeded.map(([calldate, uniqueid], i) => ({ ...cdrRow(i), calldate, uniqueid })),
    );
    db = new FreepbxDb({ host: t.host, port: t.port, user: 'root', connectionLimit: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  const read = async (order: 'asc' | 'desc', groupCap: number, fetch = 100) => {
    const cols = await loadCdrColumns(db, t.cdrDb, 'cdr');
    const out: string[] = [];
    const iC = cols.names.indexOf('calldate');
    const iU = cols.names.indexOf('uniqueid');
    const src = { db, args: { order }, cols, table: { db: t.cdrDb, name: 'cdr' }, cursor: undefined };
    await eachPageRow({ ...src, fetch, bound: undefined, asArrays: true, groupCap }, (r: CdrRow, k) => {
      const a = JSON.parse(r.json) as unknown[]; // the row's text holds the key it is ordered by
      expect(`${a[iC]}|${a[iU]}`).toBe(`${k.calldate}|${k.uniqueid}`);
      out.push(`${k.calldate}|${k.uniqueid}`);
    });
    return out;
  };

  test('rows come in (calldate, uniqueid) collation order, with and without falling back to the server sort', async () => {
    expect(await read('asc', 100)).toEqual(asc);
    expect(await read('desc', 100)).toEqual(desc);
    expect(await read('asc', 3)).toEqual(asc); // the five rows at T3 exceed the cap
    expect(await read('desc', 2)).toEqual(desc);
    expect(await read('asc', 100, 5)).toEqual(asc.slice(0, 5));
  });

  test('cursor walks with every small limit return every row once, in key order', async () => {
    const handler = createCdrQueryCommand({ db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 1000 });
    for (const order of ['asc', 'desc'] as const) {
      for (const limit of [1, 2, 3, 4, 5, 7, 11, 12, 13]) {
        const got: string[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 50; pages++) {
          const ctx = collectingContext();
          const r = (await handler.handle(
            { limit, order, format: 'rows', ...(cursor ? { cursor } : {}) } as never,
            ctx,
          )) as { count: number; next_cursor: string | null };
          const rows = rowsAsObjects(ctx.parts);
          expect(rows.length).toBe(r.count);
          got.push(...rows.map((o) => `${o.calldate}|${o.uniqueid}`));
          if (r.next_cursor === null) break;
          cursor = r.next_cursor;
        }
        expect(got, `${order} limit ${limit}`).toEqual(order === 'asc' ? asc : desc);
      }
    }
  });
});
