import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import type { RawJson } from '../../../agent/src/core/raw-json';
import { CdrPartWriter, type PartRow } from '../../../agent/src/pbx/cdr/part-writer';
import { JsonRow } from '../../../agent/src/pbx/freepbx/json-rows';

/** A sink keeping each part's data as the JSON text sent, parsed back. */
function sink(maxPayloadBytes: number) {
  const parts: Record<string, unknown>[] = [];
  const texts: string[] = [];
  return {
    parts,
    texts,
    s: {
      maxPayloadBytes,
      part: async (d: RawJson) => {
        texts.push(d.toString());
        parts.push(JSON.parse(d.toString()) as Record<string, unknown>);
      },
    },
  };
}
/** A row as the writer takes it, from its JSON text. */
const text = (v: unknown): PartRow => JsonRow.ofText(JSON.stringify(v), []);
/** The same row claiming far more room than it takes, as a row from a packet does (any byte might need an
 * escape): the writer must then write it aside near a part's end, or move it to the next part. */
const loose = (v: unknown): PartRow => {
  const r = text(v);
  return { maxBytes: () => 6 * r.maxBytes() + 64, writeInto: (out, o) => r.writeInto(out, o) };
};
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
      for (const [limit, make] of [300, 1000, 4096, 96 * 1024].flatMap((l) => [
        [l, text] as const,
        [l, loose] as const,
      ])) {
        const { parts, texts, s } = sink(limit);
        const columns = ['calldate', 'src', 'dst', 'n'];
        const w = new CdrPartWriter(s, { format, compress, columns });
        const input = Array.from({ length: 3000 }, (_, i) => row(i));
        for (const r of input)
          await w.add(make(format === 'rows' ? columns.map((c) => r[c as keyof typeof r]) : r));
        await w.flush();
        const out: unknown[] = [];
        for (const [k, p] of parts.entries()) {
          expect(Buffer.byteLength(texts[k] as string)).toBeLessThanOrEqual(limit);
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
      const { parts, texts, s } = sink(2048);
      const columns = ['clid', 'note'];
      const w = new CdrPartWriter(s, { format, compress: true, columns });
      const input = Array.from({ length: 400 }, (_, i) => ({
        clid: `"Çaller ${i}" <${i}> 📞\\\n`,
        note: '日本'.repeat(i % 90),
      }));
      for (const r of input) await w.add(text(format === 'rows' ? [r.clid, r.note] : r));
      await w.flush();
      const out = parts.flatMap((p, k) => {
        expect(Buffer.byteLength(texts[k] as string)).toBeLessThanOrEqual(2048);
        return decode(p);
      });
      expect(out).toEqual(format === 'rows' ? input.map((r) => [r.clid, r.note]) : input);
      expect(parts.length).toBeGreaterThan(3); // several parts: the raw buffer is reused (and grown)
    }
  });

  test('plain parts are filled close to the limit (not one row each)', async () => {
    const { texts, s } = sink(4096);
    const w = new CdrPartWriter(s, { format: 'objects', compress: false, columns: [] });
    for (let i = 0; i < 1000; i++) await w.add(text(row(i)));
    await w.flush();
    expect(texts.length).toBeGreaterThan(10);
    for (const t of texts.slice(0, -1)) expect(Buffer.byteLength(t)).toBeGreaterThan(4096 - 120);
  });

  test('a part buffer is reused only after its part was acknowledged', async () => {
    // a sink that reads each part only when it acknowledges it, much later: a reused buffer would show
    const held: { d: RawJson; ack: () => void }[] = [];
    const seen: unknown[] = [];
    const s = {
      maxPayloadBytes: 600,
      part: (d: RawJson) => new Promise<void>((ack) => held.push({ d, ack })),
    };
    const w = new CdrPartWriter(s, { format: 'objects', compress: false, columns: [] }, 2);
    const input = Array.from({ length: 400 }, (_, i) => row(i));
    const release = setInterval(() => {
      const h = held.shift();
      if (!h) return;
      seen.push(...(JSON.parse(h.d.toString()) as { rows: unknown[] }).rows);
      h.ack();
    }, 1);
    try {
      for (const r of input) await w.add(text(r));
      await w.flush();
    } finally {
      clearInterval(release);
    }
    expect(seen).toEqual(input);
  });

  test('a row larger than the limit is an internal error, not an oversized message', async () => {
    const { s } = sink(300);
    const w = new CdrPartWriter(s, { format: 'objects', compress: false, columns: [] });
    expect(() => w.add(text({ big: 'y'.repeat(400) }))).toThrow(
      expect.objectContaining({ code: 'internal' }),
    );
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
      const p = w.add(text(row(i++)));
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
