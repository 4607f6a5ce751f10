import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCdrQueryCommand } from '../../agent/src/commands/cdr';
import { loadCdrColumns } from '../../agent/src/pbx/cdr/columns';
import { buildBoundaryQuery, buildCalldateOrderedQuery } from '../../agent/src/pbx/cdr/query-builder';
import { FreepbxDb } from '../../agent/src/pbx/freepbx/db';
import { CdrQueryPart, CdrQueryResult, CdrRecord } from '../../protocol/src/schemas/cdr';
import {
  type CdrVariant,
  cdrRow,
  createTestDatabases,
  seedCdr,
  type TestDatabases,
} from '../helpers/mariadb';
import { collectingContext, rowsAsObjects } from '../unit/cdr/collect-context';

const N = 3000;
/** Columns of each fixture variant (test/fixtures/sql), to compute the expected rows independently of the agent. */
const BASE = [
  'calldate',
  'clid',
  'src',
  'dst',
  'dcontext',
  'channel',
  'dstchannel',
  'lastapp',
  'lastdata',
  'duration',
  'billsec',
  'disposition',
  'amaflags',
  'accountcode',
  'uniqueid',
  'userfield',
];
const FPBX = [...BASE, 'did', 'recordingfile', 'cnum', 'cnam', 'outbound_cnum', 'outbound_cnam', 'dst_cnam'];
const VARIANT_COLUMNS: Record<CdrVariant, string[]> = {
  'elastix-2.2': BASE,
  'freepbx-2.11': FPBX,
  'freepbx-13': FPBX,
  'freepbx-14': [...FPBX, 'linkedid', 'peeraccount', 'sequence'],
};

type Args = Record<string, unknown>;
type Obj = Record<string, unknown>;

const keyCmp = (a: Obj, b: Obj) =>
  String(a.calldate) < String(b.calldate)
    ? -1
    : String(a.calldate) > String(b.calldate)
      ? 1
      : String(a.uniqueid) < String(b.uniqueid)
        ? -1
        : String(a.uniqueid) > String(b.uniqueid)
          ? 1
          : 0;
const canon = (rows: Obj[]) =>
  rows
    .map((r) =>
      JSON.stringify(
        Object.keys(r)
          .sort()
          .map((k) => [k, r[k]]),
      ),
    )
    .sort();

/** The rows the seeded table should return for `args`, computed in JS from the generator (never by SQL). */
function expected(all: Obj[], cols: string[], a: Args): Obj[] {
  const hasRecFile = cols.includes('recordingfile');
  let nextDay: string | undefined;
  if (typeof a.end_date === 'string' && a.end_date.length === 10) {
    const [y, m, d] = a.end_date.split('-').map(Number) as [number, number, number];
    nextDay = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
  }
  const out = all.filter((r) => {
    const cd = String(r.calldate);
    if (
      typeof a.start_date === 'string' &&
      cd < (a.start_date.length === 10 ? `${a.start_date} 00:00:00` : a.start_date)
    )
      return false;
    if (typeof a.end_date === 'string' && (nextDay ? cd >= `${nextDay} 00:00:00` : cd > a.end_date))
      return false;
    if (typeof a.field_name === 'string' && typeof a.field_pattern === 'string') {
      // the cdr columns use case-insensitive collations (latin1_swedish_ci / utf8_general_ci)
      if (!String(r[a.field_name]).toLowerCase().includes(a.field_pattern.toLowerCase())) return false;
    }
    if (typeof a.status === 'string' && a.status !== 'ALL' && r.disposition !== a.status) return false;
    if (a.recordings === 'only' || a.recordings === 'without') {
      const has = hasRecFile
        ? r.recordingfile !== '' && r.recordingfile !== 'deleted'
        : String(r.userfield).startsWith('audio:');
      if ((a.recordings === 'only') !== has) return false;
    }
    return true;
  });
  out.sort(keyCmp);
  if (a.order === 'desc') out.reverse();
  return out;
}

describe.each(['elastix-2.2', 'freepbx-2.11', 'freepbx-13', 'freepbx-14'] as const)(
  'cdr.query on the %s cdr table',
  (variant) => {
    const cols = VARIANT_COLUMNS[variant];
    const all: Obj[] = Array.from({ length: N }, (_, i) => {
      const g = cdrRow(i);
      return Object.fromEntries(cols.map((c) => [c, g[c]]));
    });
    let t: TestDatabases;
    let db: FreepbxDb;
    let handler: ReturnType<typeof createCdrQueryCommand>;

    beforeAll(async () => {
      t = await createTestDatabases({ cdr: variant });
      await seedCdr(t.cdrDb, { count: N });
      db = new FreepbxDb({ host: t.host, port: t.port, user: 'root', connectionLimit: 3 });
      handler = createCdrQueryCommand({ db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 5000 });
    });
    afterAll(async () => {
      await db?.close();
      await t?.drop();
    });

    /** Runs one page; checks every part against the schema and the size limit. */
    async function page(args: Args, maxPayloadBytes?: number) {
      const ctx = collectingContext({ maxPayloadBytes });
      const result = (await handler.handle(args as never, ctx)) as {
        count: number;
        next_cursor: string | null;
      };
      expect(Value.Check(CdrQueryResult, result)).toBe(true);
      for (const p of ctx.parts) {
        expect(p.bytes).toBeLessThanOrEqual(ctx.maxPayloadBytes);
        expect(Value.Check(CdrQueryPart, p.data)).toBe(true);
      }
      const rows = rowsAsObjects(ctx.parts);
      expect(rows.length).toBe(result.count);
      return { rows, result, ctx };
    }

    /** Follows next_cursor to the end; returns every row in order. */
    async function walk(args: Args, onPage?: (n: number) => Promise<void>) {
      const rows: Obj[] = [];
      let cursor: string | undefined;
      for (let n = 0; n < 10_000; n++) {
        const r = await page(cursor ? { ...args, cursor } : args);
        rows.push(...r.rows);
        if (r.result.next_cursor === null) return rows;
        cursor = r.result.next_cursor;
        await onPage?.(n);
      }
      throw new Error('walk did not end');
    }

    test('no args: the first 1000 rows in calldate order, every column of the table, dates as stored', async () => {
      const { rows, result } = await page({});
      expect(result.count).toBe(1000);
      expect(result.next_cursor).toEqual(expect.any(String));
      expect(Object.keys(rows[0] ?? {}).sort()).toEqual([...cols].sort());
      expect(rows[0]?.calldate).toBe('2026-01-01 00:00:00');
      for (const r of rows) expect(Value.Check(CdrRecord, r)).toBe(true);
      expect(canon(rows)).toEqual(canon(expected(all, cols, {}).slice(0, 1000)));
    });

    const cases: Args[] = [
      { start_date: '2026-01-02' },
      { end_date: '2026-01-02' },
      { start_date: '2026-01-02', end_date: '2026-01-02' },
      { start_date: '2026-01-01 12:00:00', end_date: '2026-01-02 06:30:00' },
      { start_date: '2026-01-03 23:59:59' },
      { field_name: 'src', field_pattern: '10' },
      { field_name: 'src', field_pattern: '%' },
      { field_name: 'src', field_pattern: '_' },
      { field_name: 'src', field_pattern: '\\' },
      { field_name: 'src', field_pattern: 'A_B' },
      { field_name: 'src', field_pattern: '1%0' },
      { field_name: 'dst', field_pattern: '*97' },
      { field_name: 'channel', field_pattern: 'SIP/106-' },
      { field_name: 'dstchannel', field_pattern: '00000' },
      { field_name: 'accountcode', field_pattern: 'acct_' },
      { field_name: 'uniqueid', field_pattern: '.49' },
      { field_name: 'src' },
      { status: 'ALL' },
      { status: 'ANSWERED' },
      { status: 'NO ANSWER' },
      { status: 'BUSY' },
      { status: 'FAILED' },
      { recordings: 'all' },
      { recordings: 'only' },
      { recordings: 'without' },
      { order: 'desc' },
      { order: 'desc', start_date: '2026-01-02', recordings: 'only' },
      {
        start_date: '2026-01-01',
        end_date: '2026-01-03',
        status: 'ANSWERED',
        field_name: 'src',
        field_pattern: '10',
        recordings: 'only',
      },
      { status: 'BUSY', field_name: 'dst', field_pattern: '1', order: 'desc', recordings: 'without' },
    ];
    test.each(cases)(
      'filter %j: every page walked gives exactly the expected rows, in order',
      async (args) => {
        const want = expected(all, cols, args);
        const got = await walk({ ...args, limit: 700 });
        expect(got.length).toBe(want.length);
        expect(canon(got)).toEqual(canon(want));
        for (let i = 1; i < got.length; i++) {
          const c = keyCmp(got[i - 1] as Obj, got[i] as Obj);
          expect(args.order === 'desc' ? c >= 0 : c <= 0).toBe(true);
        }
        expect(want.length).toBeGreaterThan(0); // every case selects something, so an empty answer cannot pass
      },
    );

    test('did: filters on FreePBX tables, invalid_args naming field_name on the Elastix table', async () => {
      const args = { field_name: 'did', field_pattern: '2125550' };
      if (cols.includes('did')) {
        const got = await walk(args);
        expect(canon(got)).toEqual(canon(expected(all, cols, args)));
        expect(got.length).toBeGreaterThan(0);
      } else {
        await expect(page(args)).rejects.toMatchObject({
          code: 'invalid_args',
          message: expect.stringContaining('field_name'),
        });
      }
    });

    test('format rows and compress give the same rows as objects; parts stay within a small limit', async () => {
      const base = { start_date: '2026-01-02', limit: 2000 };
      const objects = await page(base);
      for (const extra of [
        { format: 'rows' },
        { compress: true },
        { format: 'rows', compress: true },
      ] as Args[]) {
        const r = await page({ ...base, ...extra });
        expect(r.rows).toEqual(objects.rows);
        expect(r.result).toEqual(objects.result);
        if (extra.format === 'rows')
          for (const p of r.ctx.parts)
            expect([...(p.data.columns as string[])].sort()).toEqual([...cols].sort());
        if (extra.compress) {
          for (const p of r.ctx.parts) expect(p.data.encoding).toBe('gzip+base64');
          // fewer parts: gzip packs several times more rows per part
          expect(r.ctx.parts.length).toBeLessThan(objects.ctx.parts.length);
        }
      }
      const small = await page({ ...base, format: 'rows' }, 2048);
      expect(small.ctx.parts.length).toBeGreaterThan(20);
      expect(small.rows).toEqual(objects.rows);
      const smallGz = await page({ ...base, compress: true }, 2048);
      expect(smallGz.rows).toEqual(objects.rows);
    });

    test('small limits never split a group of rows sharing calldate and uniqueid: every row exactly once', async () => {
      const args = { start_date: '2026-01-01 01:00:00', end_date: '2026-01-01 03:00:00' };
      const want = expected(all, cols, args);
      for (const limit of [1, 2, 3]) {
        const got = await walk({ ...args, limit });
        expect(canon(got)).toEqual(canon(want));
      }
      // the range holds at least one duplicate group (generator: every 50th row repeats the previous key)
      expect(new Set(want.map((r) => `${r.calldate}|${r.uniqueid}`)).size).toBeLessThan(want.length);
    });
  },
);

/** What MariaDB does with the page queries: read along the calldate index, never a sort of the page. */
describe('cdr.query page plans on an indexed table (FreePBX 2.11)', () => {
  let t: TestDatabases;
  let db: FreepbxDb;
  beforeAll(async () => {
    t = await createTestDatabases({ cdr: 'freepbx-2.11' });
    await seedCdr(t.cdrDb, { count: N });
    db = new FreepbxDb({ host: t.host, port: t.port, user: 'root', connectionLimit: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  /** EXPLAIN's row for a built query (one table). */
  const explain = async (q: { sql: string; params: unknown[] }) => {
    const [row] = await db.query<{ type: string; key: string | null; Extra: string | null }>(
      `EXPLAIN ${q.sql}`,
      q.params as never,
    );
    return row;
  };

  test('a page over half the table, unfiltered or by date, is read along the calldate index without a sort', async () => {
    const cols = await loadCdrColumns(db, t.cdrDb, 'cdr');
    expect(cols.calldateIndex).toBe('calldate');
    const table = { db: t.cdrDb, name: 'cdr' };
    for (const args of [{}, { start_date: '2026-01-01' }, { order: 'desc' as const }]) {
      const b = buildBoundaryQuery(args, cols, table, undefined, N / 2);
      expect(b.sql).toContain('FORCE INDEX (`calldate`)');
      const [bound] = await db.query<{ calldate: string }>(b.sql, b.params);
      const page = buildCalldateOrderedQuery(args, cols, table, undefined, bound?.calldate);
      for (const q of [b, page]) {
        const plan = await explain(q);
        expect(plan?.key).toBe('calldate');
        expect(plan?.Extra ?? '').not.toMatch(/filesort/);
      }
    }
  });

  test('filters other than dates leave the plan to the optimizer (no FORCE INDEX)', async () => {
    const cols = await loadCdrColumns(db, t.cdrDb, 'cdr');
    const table = { db: t.cdrDb, name: 'cdr' };
    for (const args of [
      { status: 'ANSWERED' as const },
      { field_name: 'src' as const, field_pattern: '10' },
      { recordings: 'only' as const },
    ]) {
      expect(buildCalldateOrderedQuery(args, cols, table, undefined).sql).not.toContain('FORCE INDEX');
      expect(buildBoundaryQuery(args, cols, table, undefined, 10).sql).not.toContain('FORCE INDEX');
    }
    // a field name without a pattern filters nothing
    const noPattern = buildCalldateOrderedQuery({ field_name: 'src' }, cols, table, undefined);
    expect(noPattern.sql).toContain('FORCE INDEX');
  });

  test("rows deleted between a page's boundary query and the page itself never end the walk early", async () => {
    // a retention job deleting CDRs while a consumer pages: after each boundary query, five rows of that page go
    const deleting = new FreepbxDb({ host: t.host, port: t.port, user: 'root', connectionLimit: 2 });
    const query = deleting.query.bind(deleting);
    deleting.query = (async (sql: string, params?: never) => {
      const rows = await query(sql, params);
      const bound = (rows as { calldate?: string }[])[0]?.calldate;
      if (/LIMIT 1 OFFSET/.test(sql) && bound !== undefined) {
        await t.conn.query(
          `DELETE FROM \`${t.cdrDb}\`.cdr WHERE calldate <= ? ORDER BY calldate DESC LIMIT 5`,
          [bound],
        );
      }
      return rows;
    }) as typeof deleting.query;
    const handler = createCdrQueryCommand({ db: deleting, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 5000 });
    try {
      const got: Obj[] = [];
      let cursor: string | undefined;
      for (let n = 0; n < 1000; n++) {
        const ctx = collectingContext();
        const r = (await handler.handle({ limit: 200, ...(cursor ? { cursor } : {}) } as never, ctx)) as {
          next_cursor: string | null;
        };
        got.push(...rowsAsObjects(ctx.parts));
        if (r.next_cursor === null) break;
        cursor = r.next_cursor;
      }
      const left = await db.query<Obj>(`SELECT calldate, uniqueid FROM \`${t.cdrDb}\`.cdr`);
      const seen = new Set(got.map((r) => `${r.calldate}|${r.uniqueid}`));
      // every row still in the table was walked (the last pages were reached), none twice
      for (const r of left) expect(seen.has(`${r.calldate}|${r.uniqueid}`)).toBe(true);
      expect(got.length).toBeLessThanOrEqual(N);
      expect(left.length).toBeLessThan(N - 20); // the deletions did happen, page after page
    } finally {
      await deleting.close();
    }
  });
});
