import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCdrQueryCommand } from '../../agent/src/commands/cdr';
import { FreepbxDb } from '../../agent/src/pbx/freepbx/db';
import {
  cdrRow,
  createTestDatabases,
  seedCdr,
  sqlDateTime,
  type TestDatabases,
  tableFingerprint,
} from '../helpers/mariadb';
import { collectingContext, rowsAsObjects } from '../unit/cdr/collect-context';

const N = 2000;
const INJECTIONS = [
  "' OR 1=1 -- ",
  "' OR '1'='1",
  '%',
  '_',
  '\\',
  '\\%',
  '"; DROP TABLE cdr; --',
  "'; DROP TABLE cdr; --",
  "1' UNION SELECT user, password FROM mysql.user -- ",
  '`calldate`',
  '0x27',
  "ANSWERED' OR 'x'='x",
];

describe('cdr.query bad input, SQL injection and pagination under inserts (freepbx-2.11 table)', () => {
  let t: TestDatabases;
  let db: FreepbxDb;
  let handler: ReturnType<typeof createCdrQueryCommand>;
  let fingerprint: string;

  beforeAll(async () => {
    t = await createTestDatabases({ cdr: 'freepbx-2.11' });
    await seedCdr(t.cdrDb, { count: N });
    db = new FreepbxDb({ host: t.host, port: t.port, user: 'root', connectionLimit: 3 });
    handler = createCdrQueryCommand({ db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 5000 });
    fingerprint = await tableFingerprint(t.conn, t.cdrDb);
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  async function run(args: unknown) {
    const ctx = collectingContext();
    const result = (await handler.handle(args as never, ctx)) as {
      count: number;
      next_cursor: string | null;
    };
    return { result, rows: rowsAsObjects(ctx.parts) };
  }
  /** Expects invalid_args whose message names `arg`. */
  async function rejectsNaming(args: unknown, arg: string) {
    await expect(run(args)).rejects.toMatchObject({
      code: 'invalid_args',
      message: expect.stringContaining(arg),
    });
  }

  const bad: Array<[string, Record<string, unknown>]> = [
    ['start_date', { start_date: '2026-02-30' }],
    ['start_date', { start_date: '2026-13-01' }],
    ['start_date', { start_date: 'yesterday' }],
    ['start_date', { start_date: '2026-01-01 24:00:00' }],
    ['start_date', { start_date: '2026-01-01T00:00:00' }],
    ['end_date', { end_date: '2025-02-29' }],
    ['end_date', { end_date: '2026-01-01 10:61:00' }],
    ['end_date', { start_date: '2026-01-03', end_date: '2026-01-02' }],
    ['field_name', { field_name: 'clid', field_pattern: 'x' }],
    ['field_name', { field_name: 'userfield', field_pattern: 'audio' }],
    ['field_pattern', { field_pattern: '100' }],
    ['field_pattern', { field_name: 'src', field_pattern: 'x'.repeat(81) }],
    ['status', { status: 'answered' }],
    ['status', { status: 'CONGESTION' }],
    ['limit', { limit: 0 }],
    ['limit', { limit: -1 }],
    ['limit', { limit: 1.5 }],
    ['limit', { limit: '10' }],
    ['limit', { limit: 5001 }],
    ['limit', { limit: 100_001 }],
    ['recordings', { recordings: 'some' }],
    ['order', { order: 'random' }],
    ['format', { format: 'csv' }],
    ['compress', { compress: 'yes' }],
    ['cursor', { cursor: 'abc' }],
    ['cursor', { cursor: '!!!' }],
    ['cursor', { cursor: Buffer.from('{}').toString('base64url') }],
    ['cursor', { cursor: Buffer.from('["2026-01-01","1"]').toString('base64url') }],
    [
      'cursor',
      { cursor: Buffer.from(JSON.stringify(["2026-01-01 00:00:00' OR 1=1 -- ", 'x'])).toString('base64url') },
    ],
    ['foo', { foo: 1 }],
  ];
  test.each(bad)('invalid_args naming %s for %j', async (arg, args) => {
    await rejectsNaming(args, arg);
  });

  test('limit above cdr_max_rows says so', async () => {
    await expect(run({ limit: 5001 })).rejects.toThrow(/limit: at most 5000 rows per query \(cdr_max_rows\)/);
  });

  const stringArgs = [
    'start_date',
    'end_date',
    'field_name',
    'status',
    'recordings',
    'order',
    'format',
    'cursor',
  ];
  test.each(INJECTIONS)(
    'injection %j: every string arg gives invalid_args or matches literally; table intact',
    async (s) => {
      for (const arg of stringArgs) {
        const args: Record<string, unknown> = { [arg]: s };
        if (arg === 'field_name') args.field_pattern = '1';
        await rejectsNaming(args, arg);
      }
      for (const field of ['src', 'dst', 'channel', 'dstchannel', 'accountcode', 'did', 'uniqueid']) {
        const { rows } = await run({ field_name: field, field_pattern: s, limit: 5000 });
        const want = Array.from({ length: N }, (_, i) => cdrRow(i)).filter((r) =>
          String(r[field]).toLowerCase().includes(s.toLowerCase()),
        );
        expect(rows.length).toBe(want.length); // only literal substring matches (e.g. '%' in '1%00'), nothing else
        for (const r of rows) expect(String(r[field]).toLowerCase()).toContain(s.toLowerCase());
      }
      // a cursor whose uniqueid carries the string is just a value: rows after it, no error, no effect
      const cursor = Buffer.from(JSON.stringify(['2026-01-02 00:00:00', s])).toString('base64url');
      const after = await run({ cursor, limit: 10 });
      expect(after.rows.every((r) => String(r.calldate) >= '2026-01-02 00:00:00')).toBe(true);
      expect(await tableFingerprint(t.conn, t.cdrDb)).toBe(fingerprint);
    },
  );

  test('a cursor walk while calls are inserted returns every row present at the start exactly once', async () => {
    const before = await run({ limit: 5000 });
    expect(before.result.next_cursor).toBeNull();
    const identity = (r: Record<string, unknown>) =>
      JSON.stringify(
        Object.keys(r)
          .sort()
          .map((k) => [k, r[k]]),
      );
    const initial = before.rows.map(identity);
    expect(initial.length).toBe(N);
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    let inserted = 0;
    for (let pageNo = 0; pageNo < 1000; pageNo++) {
      const { result, rows } = await run(cursor ? { limit: 150, cursor } : { limit: 150 });
      for (const r of rows) seen.set(identity(r), (seen.get(identity(r)) ?? 0) + 1);
      if (result.next_cursor === null) break;
      cursor = result.next_cursor;
      // new calls land before, at and after the cursor position, some sharing an existing calldate
      const t0 = Date.UTC(2026, 0, 1) / 1000;
      const rowsToAdd = [0, 1, 2, 3].map((k) => {
        const n = inserted++;
        const g = cdrRow(N + n);
        const at = k === 3 ? String(rows.at(-1)?.calldate) : sqlDateTime(t0 + ((n * 7919) % (N * 97)));
        return { ...g, calldate: at, uniqueid: `ins.${n}` };
      });
      await seedCdr(t.cdrDb, rowsToAdd);
    }
    expect(inserted).toBeGreaterThan(40);
    for (const id of initial) expect(seen.get(id)).toBe(1);
    for (const [, n] of seen) expect(n).toBe(1); // inserted rows at most once too
    await t.conn.query(`DELETE FROM \`${t.cdrDb}\`.cdr WHERE uniqueid LIKE 'ins.%'`);
    expect(await tableFingerprint(t.conn, t.cdrDb)).toBe(fingerprint);
  });
});
