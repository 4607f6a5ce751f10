import { describe, expect, test } from 'vitest';
import type { CdrColumns } from '../../../agent/src/pbx/cdr/columns';
import { decodeCursor, encodeCursor } from '../../../agent/src/pbx/cdr/cursor';
import {
  buildBoundaryQuery,
  buildCdrQuery,
  escapeLike,
  filterConditions,
} from '../../../agent/src/pbx/cdr/query-builder';

const cols = (names: string[]): CdrColumns => ({
  names,
  has: (n) => names.includes(n),
  recordings: names.includes('recordingfile') ? 'recordingfile' : 'userfield',
  calldateIndexed: true,
});
const ELASTIX = cols(['calldate', 'src', 'dst', 'disposition', 'uniqueid', 'userfield']);
const FPBX = cols(['calldate', 'src', 'dst', 'disposition', 'uniqueid', 'userfield', 'did', 'recordingfile']);
const T = { db: 'asteriskcdrdb', name: 'cdr' };

describe('escapeLike', () => {
  test.each([
    ['100', '100'],
    ['%', '|%'],
    ['_', '|_'],
    ['|', '||'],
    ['a\\b', 'a\\b'],
    ["' OR 1=1 -- ", "' OR 1=1 -- "],
    ['1%_|x', '1|%|_||x'],
  ])('%j → %j', (input, out) => expect(escapeLike(input)).toBe(out));
});

describe('filterConditions', () => {
  test('date-only end_date covers the whole day (next day exclusive), across month and leap-year ends', () => {
    expect(filterConditions({ end_date: '2024-02-28' }, FPBX).params).toEqual(['2024-02-29 00:00:00']);
    expect(filterConditions({ end_date: '2024-02-29' }, FPBX).params).toEqual(['2024-03-01 00:00:00']);
    expect(filterConditions({ end_date: '2025-12-31' }, FPBX).params).toEqual(['2026-01-01 00:00:00']);
    expect(filterConditions({ end_date: '2025-12-31' }, FPBX).sql).toBe('`calldate` < ?');
    expect(filterConditions({ end_date: '2025-12-31 10:00:00' }, FPBX)).toEqual({
      sql: '`calldate` <= ?',
      params: ['2025-12-31 10:00:00'],
    });
    expect(filterConditions({ start_date: '2025-12-31' }, FPBX)).toEqual({
      sql: '`calldate` >= ?',
      params: ['2025-12-31 00:00:00'],
    });
  });

  test('values only ever travel as parameters', () => {
    const evil = "x'; DROP TABLE cdr; --";
    const q = filterConditions({ field_name: 'src', field_pattern: evil, status: 'ANSWERED' }, FPBX);
    expect(q.sql).not.toContain('DROP');
    expect(q.sql).toBe("`src` LIKE CONCAT('%', ?, '%') ESCAPE '|' AND `disposition` = ?");
    expect(q.params).toEqual([evil, 'ANSWERED']);
  });

  test('status ALL adds no condition', () => {
    expect(filterConditions({ status: 'ALL' }, FPBX)).toEqual({ sql: '', params: [] });
  });

  test('recordings: recordingfile on 2.10+ tables, userfield audio: on Elastix ≤2.3 (§12)', () => {
    expect(filterConditions({ recordings: 'only' }, FPBX).sql).toBe(
      "(`recordingfile` <> '' AND `recordingfile` <> 'deleted')",
    );
    expect(filterConditions({ recordings: 'without' }, FPBX).sql).toBe(
      "NOT (`recordingfile` <> '' AND `recordingfile` <> 'deleted')",
    );
    expect(filterConditions({ recordings: 'only' }, ELASTIX).sql).toBe("`userfield` LIKE 'audio:%'");
    expect(filterConditions({ recordings: 'all' }, ELASTIX).sql).toBe('');
  });

  test.each([
    [{ start_date: '2026-02-29' }, 'start_date'],
    [{ end_date: '2026-04-31' }, 'end_date'],
    [{ start_date: '2026-01-02', end_date: '2026-01-01' }, 'end_date'],
    [{ field_name: 'did', field_pattern: '1' }, 'field_name'],
    [{ field_name: 'lastdata', field_pattern: '1' }, 'field_name'],
    [{ field_pattern: '1' }, 'field_pattern'],
  ] as const)('%j → invalid_args naming %s', (args, name) => {
    let err: unknown;
    try {
      filterConditions(args as never, ELASTIX);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'invalid_args', message: expect.stringContaining(`${name}:`) });
    expect((err as { details: { problems: { path: string }[] } }).details.problems[0]?.path).toBe(`/${name}`);
  });
});

describe('buildCdrQuery', () => {
  test('asc page after a cursor: keyset condition, order, limit as a parameter', () => {
    const q = buildCdrQuery(
      { status: 'BUSY' },
      FPBX,
      T,
      { calldate: '2026-01-01 00:00:00', uniqueid: '1.2' },
      1001,
    );
    expect(q.sql).toBe(
      'SELECT `calldate`, `src`, `dst`, `disposition`, `uniqueid`, `userfield`, `did`, `recordingfile` FROM `asteriskcdrdb`.`cdr`' +
        ' WHERE `disposition` = ? AND `calldate` >= ? AND (`calldate` > ? OR (`calldate` = ? AND `uniqueid` > ?))' +
        ' ORDER BY `calldate` ASC, `uniqueid` ASC LIMIT ?',
    );
    expect(q.params).toEqual([
      'BUSY',
      '2026-01-01 00:00:00',
      '2026-01-01 00:00:00',
      '2026-01-01 00:00:00',
      '1.2',
      1001,
    ]);
  });

  test('desc flips the comparisons and the order', () => {
    const q = buildCdrQuery(
      { order: 'desc' },
      FPBX,
      T,
      { calldate: '2026-01-01 00:00:00', uniqueid: '9' },
      10,
    );
    expect(q.sql).toContain('`calldate` <= ? AND (`calldate` < ? OR (`calldate` = ? AND `uniqueid` < ?))');
    expect(q.sql).toContain('ORDER BY `calldate` DESC, `uniqueid` DESC LIMIT ?');
  });

  test('a calldate bound keeps the server sort to one page; the boundary query reads calldate alone', () => {
    const q = buildCdrQuery({}, FPBX, T, undefined, 11, '2026-01-02 00:00:00');
    expect(q.sql).toContain('WHERE `calldate` <= ? ORDER BY');
    expect(q.params).toEqual(['2026-01-02 00:00:00', 11]);
    const b = buildBoundaryQuery({ order: 'desc', status: 'BUSY' }, FPBX, T, undefined, 10);
    expect(b.sql).toBe(
      'SELECT `calldate` FROM `asteriskcdrdb`.`cdr` WHERE `disposition` = ? ORDER BY `calldate` DESC LIMIT 1 OFFSET ?',
    );
    expect(b.params).toEqual(['BUSY', 10]);
    expect(buildCdrQuery({ order: 'desc' }, FPBX, T, undefined, 11, '2026-01-02 00:00:00').sql).toContain(
      '`calldate` >= ?',
    );
  });

  test('refuses an unsafe identifier from the table description', () => {
    expect(() => buildCdrQuery({}, cols(['calldate', 'uniqueid', 'x`; DROP']), T, undefined, 1)).toThrow(
      /unsafe SQL identifier/,
    );
  });
});

describe('cursor', () => {
  test('round-trips and is opaque base64url', () => {
    const c = { calldate: '2026-01-01 10:00:00', uniqueid: '1767261600.42' };
    const text = encodeCursor(c);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(c);
  });
  test.each([
    '',
    'a',
    '%%%',
    Buffer.from('[1,2]').toString('base64url'),
    Buffer.from('["2026-01-01 00:00:00"]').toString('base64url'),
    Buffer.from(JSON.stringify(['2026-01-01 00:00:00', 'x'.repeat(151)])).toString('base64url'),
  ])('rejects %j with invalid_args naming cursor', (text) => {
    expect(() => decodeCursor(text)).toThrow(
      expect.objectContaining({ code: 'invalid_args', message: expect.stringContaining('cursor') }),
    );
  });
});
