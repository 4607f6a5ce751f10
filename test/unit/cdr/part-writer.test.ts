import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import {
  CdrPartWriter,
  objectRowSizer,
  rowJsonSize,
  stringJsonSize,
} from '../../../agent/src/pbx/cdr/part-writer';

function sink(maxPayloadBytes: number) {
  const parts: Record<string, unknown>[] = [];
  return {
    parts,
    s: { maxPayloadBytes, part: async (d: unknown) => void parts.push(d as Record<string, unknown>) },
  };
}
const row = (i: number) => ({ calldate: '2026-01-01 00:00:00', src: `${i}`, dst: 'x'.repeat(i % 50), n: i });
const decode = (p: Record<string, unknown>) =>
  p.encoding
    ? (JSON.parse(gunzipSync(Buffer.from(String(p.rows), 'base64')).toString()) as unknown[])
    : (p.rows as unknown[]);

describe('CdrPartWriter', () => {
  test.each([
    ['objects', false],
    ['rows', false],
    ['objects', true],
    ['rows', true],
  ] as const)(
    'format %s compress %s: every part within the limit, rows in order, nothing lost',
    async (format, compress) => {
      for (const limit of [300, 1000, 4096, 96 * 1024]) {
        const { parts, s } = sink(limit);
        const columns = ['calldate', 'src', 'dst', 'n'];
        const w = new CdrPartWriter(s, { format, compress, columns });
        const input = Array.from({ length: 3000 }, (_, i) => row(i));
        for (const r of input)
          await w.add(format === 'rows' ? columns.map((c) => r[c as keyof typeof r]) : r);
        await w.flush();
        const out: unknown[] = [];
        for (const p of parts) {
          expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(limit);
          if (format === 'rows') expect(p.columns).toEqual(columns);
          else expect(p.columns).toBeUndefined();
          expect(p.encoding).toBe(compress ? 'gzip+base64' : undefined);
          out.push(...decode(p));
        }
        const want = format === 'rows' ? input.map((r) => columns.map((c) => r[c as keyof typeof r])) : input;
        expect(out).toEqual(want);
        expect(w.parts).toBe(parts.length);
      }
    },
  );

  test('compressed parts keep non-ASCII and escaped text exactly, rows of growing size included', async () => {
    for (const format of ['objects', 'rows'] as const) {
      const { parts, s } = sink(2048);
      const columns = ['clid', 'note'];
      const w = new CdrPartWriter(s, { format, compress: true, columns });
      const input = Array.from({ length: 400 }, (_, i) => ({
        clid: `"Çaller ${i}" <${i}> 📞\\\n`,
        note: '日本'.repeat(i % 90),
      }));
      for (const r of input) await w.add(format === 'rows' ? [r.clid, r.note] : r);
      await w.flush();
      const out = parts.flatMap((p) => {
        expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(2048);
        return decode(p);
      });
      expect(out).toEqual(format === 'rows' ? input.map((r) => [r.clid, r.note]) : input);
      expect(parts.length).toBeGreaterThan(3); // several parts: the raw buffer is reused (and grown)
    }
  });

  test('plain parts are filled close to the limit (not one row each)', async () => {
    const { parts, s } = sink(4096);
    const w = new CdrPartWriter(s, { format: 'objects', compress: false, columns: [] });
    for (let i = 0; i < 1000; i++) await w.add(row(i));
    await w.flush();
    for (const p of parts.slice(0, -1))
      expect(Buffer.byteLength(JSON.stringify(p))).toBeGreaterThan(4096 - 120);
  });

  test('a row larger than the limit is an internal error, not an oversized message', async () => {
    const { s } = sink(300);
    const w = new CdrPartWriter(s, { format: 'objects', compress: false, columns: [] });
    expect(() => w.add({ big: 'y'.repeat(400) })).toThrow(expect.objectContaining({ code: 'internal' }));
  });

  test('at most `window` parts await their acknowledgement; add() blocks until the oldest is acked', async () => {
    const releases: Array<() => void> = [];
    const s = {
      maxPayloadBytes: 500,
      part: () => new Promise<void>((r) => releases.push(r)),
    };
    const w = new CdrPartWriter(s, { format: 'objects', compress: false, columns: [] }, 2);
    let i = 0;
    let blocked: Promise<void> | undefined;
    while (!blocked && i < 1000) {
      const p = w.add(row(i++));
      if (!p) continue;
      const state = await Promise.race([
        p.then(() => 'done'),
        new Promise((r) => setTimeout(() => r('waiting'), 20)),
      ]);
      if (state === 'waiting') blocked = p;
    }
    expect(blocked).toBeDefined();
    expect(releases.length).toBe(2); // two parts unacknowledged: add() waits for the oldest
    releases[0]?.();
    await blocked;
    expect(w.parts).toBe(2);
  });
});

describe('rowJsonSize', () => {
  const samples: unknown[] = [
    {},
    [],
    { a: 'x', b: 1, c: null, d: '' },
    [
      '2026-01-01 00:00:00',
      'a"b',
      'back\\slash',
      'tab\there',
      'ünïcödé',
      '日本',
      '\u0001',
      3.25,
      -7,
      0,
      null,
    ],
    { clid: '"Caller 100" <100>', src: '1%00', n: 12345678901, ok: true, no: false, u: undefined },
    { emoji: '📞 call', ctl: '\u007f\u0080', q: "O'Brien" },
    [Number.NaN, Number.POSITIVE_INFINITY, 1e21, 1e-7],
    [
      '\b\f\n\r\t\u001f\u0000',
      'lone \ud800 high',
      'lone \udc00 low',
      'pair \ud83d\ude00 end \ud83d',
      '\u07ff\u0800\uffff',
    ],
    { 'k"ey': 'v\\', ü: 'ß', '': '' },
  ];
  test.each(samples.map((s) => [JSON.stringify(s), s]))(
    '%s: equals the UTF-8 length of JSON.stringify',
    (_, s) => {
      expect(rowJsonSize(s)).toBe(Buffer.byteLength(JSON.stringify(s)));
    },
  );
});

describe('stringJsonSize', () => {
  test('equals the UTF-8 length of JSON.stringify for random strings over every code unit class', () => {
    const units = [
      0x00, 0x08, 0x1f, 0x20, 0x22, 0x41, 0x5c, 0x7e, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff,
      0xdc00, 0xdfff, 0xe000, 0xfffd, 0xffff,
    ];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 2000; k++) {
      const len = rand(12);
      let s = '';
      for (let i = 0; i < len; i++) s += String.fromCharCode(units[rand(units.length)] as number);
      expect(stringJsonSize(s), JSON.stringify(s)).toBe(Buffer.byteLength(JSON.stringify(s)));
    }
  });
});

describe('objectRowSizer', () => {
  const size = objectRowSizer(['calldate', 'clid', 'billsec', 'k"ey']);
  test.each([
    [{ calldate: '2026-01-01 00:00:00', clid: '"Caller 100" <100>', billsec: 7, 'k"ey': 'ü\n' }],
    [{ calldate: '2026-01-01 00:00:00', clid: '', billsec: 0, 'k"ey': null }],
    [{ calldate: 'x', clid: 'y', billsec: 1 }], // a column missing
    [{ calldate: 'x', clid: 'y', billsec: 1, 'k"ey': undefined }], // undefined is left out by JSON
    [{ calldate: 'x', clid: 'y', billsec: 1, 'k"ey': 'z', extra: '📞' }], // a key beyond the columns
    [['x', 'y', 1, 'z']],
  ])('%j: equals the UTF-8 length of JSON.stringify', (row) => {
    expect(size(row)).toBe(Buffer.byteLength(JSON.stringify(row)));
  });
});
