import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FreepbxDb } from '../../agent/src/pbx/freepbx/db';
import { type ColumnInfo, type JsonRow, jsonRowDecoder } from '../../agent/src/pbx/freepbx/json-rows';
import { createTestDatabases, type TestDatabases } from '../helpers/mariadb';

/**
 * jsonRowDecoder against the real server: the JSON text built from the row packets must equal JSON.stringify of
 * the row mysql2 itself decodes with the same pool (FreepbxDb), column type by column type, in both formats.
 */
describe('JSON rows straight from MariaDB row packets', () => {
  let t: TestDatabases;
  let db: FreepbxDb;

  // Columns the packet path covers (every type an Asterisk cdr table has, and their neighbours).
  const covered = `
    c_tiny TINYINT, c_small SMALLINT, c_medium MEDIUMINT, c_int INT, c_uint INT UNSIGNED,
    c_zero INT(5) ZEROFILL, c_year YEAR, c_big BIGINT, c_ubig BIGINT UNSIGNED,
    c_dec DECIMAL(12,4), c_date DATE, c_dt DATETIME, c_ts TIMESTAMP NULL DEFAULT NULL, c_time TIME,
    c_vc VARCHAR(80), c_latin VARCHAR(80) CHARACTER SET latin1, c_char CHAR(10), c_text TEXT,
    c_enum ENUM('ANSWERED','NO ANSWER'), c_set SET('a','b','c')`;
  const coveredRows = [
    `(-128, -32768, -8388608, -2147483648, 4294967295, 42, 2026, -9223372036854775808, 18446744073709551615,
      -12345678.1234, '2026-11-29', '0000-00-00 00:00:00', '2026-11-29 07:00:00', '-838:59:59',
      '"Caller" <100> \\\\ back\\tslash\\n', 'Ça coûte 5€? non: Ça', 'x', 'emoji 📞 日本 \\0 nul \\r\\b',
      'NO ANSWER', 'a,c')`,
    `(127, 32767, 8388607, 2147483647, 0, 0, 1999, 9007199254740991, 9007199254740993,
      0.0001, '1000-01-01', '9999-12-31 23:59:59', NULL, '00:00:00',
      '', '', '', '', 'ANSWERED', '')`,
    `(NULL, NULL, NULL, NULL, NULL, NULL, NULL, -9007199254740993, 123456789012345,
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
    `(0, 1, 2, 3, 4, 5, 2000, 99999999999999, 100000000000000000, 1.5, '2024-02-29', '2024-02-29 12:34:56',
      '2024-02-29 12:34:56', '12:34:56', CONCAT('ctl', CHAR(1), CHAR(31), CHAR(127), 'del'), CHAR(233),
      'a"b', REPEAT('z', 3000), NULL, 'b')`,
  ];

  beforeAll(async () => {
    t = await createTestDatabases({ cdr: 'freepbx-2.11' });
    await t.conn.query(`CREATE TABLE \`${t.cdrDb}\`.covered (${covered}) DEFAULT CHARSET=utf8mb4`);
    await t.conn.query(`INSERT INTO \`${t.cdrDb}\`.covered VALUES ${coveredRows.join(',')}`);
    await t.conn.query(
      `CREATE TABLE \`${t.cdrDb}\`.other (c_id INT, c_float FLOAT, c_double DOUBLE, c_bin VARBINARY(8),
        c_blob BLOB, c_bit BIT(8), c_json JSON, c_vc VARCHAR(20)) DEFAULT CHARSET=utf8mb4`,
    );
    await t.conn.query(
      `INSERT INTO \`${t.cdrDb}\`.other VALUES (1, 1.5, 1e300, 'ab\\0', 'blob', b'101', '{"a":[1,2]}', 'x'),
        (2, NULL, -0.1, NULL, NULL, NULL, NULL, NULL)`,
    );
    db = new FreepbxDb({ host: t.host, port: t.port, user: 'root', connectionLimit: 2 });
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  /** The rows of `sql` through eachRow + jsonRowDecoder, and whether the packet path decoded them. */
  const viaDecoder = async (sql: string, format: 'objects' | 'rows', keys: string[]) => {
    const out: JsonRow[] = [];
    let fromPackets = false;
    const decoder = (fields: readonly ColumnInfo[]) => {
      const d = jsonRowDecoder(fields, { format, keys });
      fromPackets = d.packet !== undefined;
      return d;
    };
    await db.eachRow<JsonRow>(sql, [], { decoder, rowsAsArray: format === 'rows' }, (r) => {
      out.push(r);
    });
    return { out, fromPackets };
  };

  for (const table of ['covered', 'other'] as const) {
    for (const format of ['objects', 'rows'] as const) {
      test(`${table}, format ${format}: the text equals JSON.stringify of mysql2's row`, async () => {
        const sql = `SELECT * FROM \`${t.cdrDb}\`.${table}`;
        const want = await db.query<Record<string, unknown>>(sql);
        const keys = table === 'covered' ? ['c_dt', 'c_big', 'c_vc', 'no_such'] : ['c_id', 'c_double'];
        const { out, fromPackets } = await viaDecoder(sql, format, keys);
        expect(fromPackets).toBe(table === 'covered');
        expect(out).toHaveLength(want.length);
        out.forEach((r, i) => {
          const row = want[i] as Record<string, unknown>;
          const text = JSON.stringify(format === 'rows' ? Object.values(row) : row);
          expect(r.json).toBe(text);
          expect(r.bytes).toBe(Buffer.byteLength(text));
          expect(r.keys).toEqual(keys.map((k) => String(row[k])));
        });
      });
    }
  }

  test('random text with escapes at every position of a word, multibyte characters and NULLs', async () => {
    // the encoder copies 4 bytes at a time while none needs escaping: specials land at every offset here
    const alphabet = [
      'a',
      'Z',
      '0',
      ' ',
      '"',
      '\\',
      '\n',
      '\t',
      '\u0001',
      '\u001f',
      '\u007f',
      'é',
      '€',
      '📞',
      '日',
    ];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const values: (string | null)[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 37 === 0) values.push(null);
      else values.push(Array.from({ length: rnd(14) }, () => alphabet[rnd(alphabet.length)]).join(''));
    }
    await t.conn.query(
      `CREATE TABLE \`${t.cdrDb}\`.texts (id INT, a VARCHAR(200), b TEXT, c VARCHAR(20)) DEFAULT CHARSET=utf8mb4`,
    );
    await t.conn.query(`INSERT INTO \`${t.cdrDb}\`.texts VALUES ?`, [
      values.map((v, i) => [
        i,
        v,
        values[(i * 7) % values.length] ?? null,
        v === null ? null : v.slice(0, 5),
      ]),
    ]);
    const sql = `SELECT * FROM \`${t.cdrDb}\`.texts ORDER BY id`;
    const want = await db.query<Record<string, unknown>>(sql);
    for (const format of ['objects', 'rows'] as const) {
      const { out, fromPackets } = await viaDecoder(sql, format, ['a']);
      expect(fromPackets).toBe(true);
      expect(out.map((r) => r.json)).toEqual(
        want.map((row) => JSON.stringify(format === 'rows' ? Object.values(row) : row)),
      );
      expect(out.map((r) => r.bytes)).toEqual(out.map((r) => Buffer.byteLength(r.json)));
      expect(out.map((r) => r.keys[0])).toEqual(want.map((row) => String(row.a)));
    }
    // sameKey compares two rows' key column as bytes (NULLs alike), fresh rows whose text was never made too
    const fresh = async () => (await viaDecoder(sql, 'rows', ['c', 'a'])).out;
    const [x, y] = [await fresh(), await fresh()];
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < 60; j += 7) {
        const a = x[i] as JsonRow;
        const b = y[j] as JsonRow;
        const same = [a.sameKey(0, b), a.sameKey(1, b)];
        expect(same).toEqual([
          String(want[i]?.c) === String(want[j]?.c),
          String(want[i]?.a) === String(want[j]?.a),
        ]);
      }
    }
  });

  test('the FreePBX cdr table is decoded from its packets', async () => {
    await t.conn.query(
      `INSERT INTO \`${t.cdrDb}\`.cdr (calldate, clid, src, dst, uniqueid, disposition, duration)
       VALUES ('2026-11-29 07:00:00', '"Zoë" <100>', '100', '200', '1764399600.1', 'ANSWERED', 42)`,
    );
    const sql = `SELECT * FROM \`${t.cdrDb}\`.cdr`;
    const [want] = await db.query<Record<string, unknown>>(sql);
    const { out, fromPackets } = await viaDecoder(sql, 'objects', ['calldate', 'uniqueid']);
    expect(fromPackets).toBe(true);
    expect(out[0]?.json).toBe(JSON.stringify(want));
    expect(out[0]?.keys).toEqual(['2026-11-29 07:00:00', '1764399600.1']);
  });
});
