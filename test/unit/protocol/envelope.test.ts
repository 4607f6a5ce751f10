import { describe, expect, it } from 'vitest';
import {
  doneReply,
  errorReply,
  errorReplyFrom,
  jsonByteLength,
  MAX_MESSAGE_BYTES,
  makeEnvelope,
  okReply,
  PartPacker,
  parseEnvelope,
  parseReply,
  partReply,
  splitIntoParts,
} from '../../../protocol/src/envelope';
import { PbxlinkError } from '../../../protocol/src/errors';
import { ReplyErrorSchema, ReplySchema, validate } from '../../../protocol/src/schemas/index';

describe('envelopes', () => {
  it('builds the documented shape and parses it back', () => {
    const env = makeEnvelope({
      agent: 'pbx',
      boot_id: 'b1',
      seq: 7,
      type: 'state.peers',
      data: { peers: [] },
      ts: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    });
    expect(env).toEqual({
      v: 1,
      agent: 'pbx',
      boot_id: 'b1',
      seq: 7,
      ts: '2026-01-02T03:04:05.000Z',
      type: 'state.peers',
      data: { peers: [] },
    });
    expect(parseEnvelope(JSON.stringify(env))).toEqual(env);
    expect(parseEnvelope(Buffer.from(JSON.stringify(env)))).toEqual(env);
  });
  it.each([
    'not json',
    '{}',
    JSON.stringify({
      v: 2,
      agent: 'a',
      boot_id: 'b',
      seq: 1,
      ts: '2026-01-02T03:04:05Z',
      type: 't',
      data: 1,
    }),
  ])('rejects %s', (text) => expect(parseEnvelope(text)).toBeNull());
});

describe('replies', () => {
  it('ok / part / done / error have exactly the DESIGN.md fields', () => {
    expect(okReply('j1', { a: 1 })).toEqual({ v: 1, id: 'j1', ok: true, data: { a: 1 } });
    expect(partReply('j1', 2, [1])).toEqual({ v: 1, id: 'j1', ok: true, part: 2, data: [1] });
    expect(doneReply('j1', { count: 3 })).toEqual({
      v: 1,
      id: 'j1',
      ok: true,
      done: true,
      data: { count: 3 },
    });
    expect(errorReply('j1', 'not_found', 'no such file')).toEqual({
      v: 1,
      id: 'j1',
      ok: false,
      error: { code: 'not_found', message: 'no such file', details: {} },
    });
    for (const r of [
      okReply('j', 1),
      partReply('j', 1, []),
      doneReply('j', {}),
      errorReply('j', 'busy', 'x', { a: 1 }),
      errorReply('j', 'busy', 'x'),
    ]) {
      expect(validate(ReplySchema, r).ok).toBe(true);
      expect(parseReply(JSON.stringify(r))).toEqual(r);
    }
  });
  it('maps thrown errors: PbxlinkError keeps its code, anything else is internal without its text', () => {
    const coded = errorReplyFrom(
      'j',
      new PbxlinkError('conflict', 'exists', { details: { account: '101' } }),
    );
    expect(coded.error).toEqual({ code: 'conflict', message: 'exists', details: { account: '101' } });
    const other = errorReplyFrom('j', new Error('password=hunter2'));
    expect(other.error.code).toBe('internal');
    expect(JSON.stringify(other)).not.toContain('hunter2');
    expect(validate(ReplyErrorSchema, other).ok).toBe(true);
  });
  it('rejects an error reply with an undocumented code', () => {
    expect(
      parseReply(JSON.stringify({ v: 1, id: 'j', ok: false, error: { code: 'oops', message: 'x' } })),
    ).toBeNull();
  });
});

describe('size limits', () => {
  it('exports the 96 KB default', () => expect(MAX_MESSAGE_BYTES).toBe(96_000));
  it('splits rows so that every part fits and nothing is lost or reordered', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ i, text: 'é'.repeat(i % 50), src: `10${i}` }));
    const wrap = (r: typeof rows) => partReply('x'.repeat(128), 999_999, { rows: r });
    const parts = splitIntoParts(rows, wrap, 8192);
    expect(parts.length).toBeGreaterThan(10);
    for (const p of parts) {
      expect(jsonByteLength(wrap(p))).toBeLessThanOrEqual(8192);
    }
    expect(parts.flat()).toEqual(rows);
    // packed tightly: adding the next row to a part would overflow
    for (let k = 0; k + 1 < parts.length; k++) {
      const next = parts[k + 1]?.[0];
      expect(jsonByteLength(wrap([...(parts[k] ?? []), next as (typeof rows)[number]]))).toBeGreaterThan(
        8192,
      );
    }
  });
  it('refuses an item that cannot fit alone', () => {
    const packer = new PartPacker<string>((s) => ({ rows: s }), 100);
    expect(() => packer.add('x'.repeat(200))).toThrow(expect.objectContaining({ code: 'internal' }));
  });
  it('returns no parts for no items', () => {
    expect(splitIntoParts([], (r) => r)).toEqual([]);
  });
});
