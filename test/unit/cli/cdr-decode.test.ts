import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCdrPart, MAX_CDR_PART_INFLATED } from '../../../protocol/src/client/cdr';

const objs = [
  { calldate: '2026-01-01 00:00:00', src: '100', duration: 5, did: null },
  { calldate: '2026-01-01 00:01:37', src: 'a"b', duration: 0, did: '212' },
];
const columns = ['calldate', 'src', 'duration', 'did'];
const arrays = objs.map((o) => columns.map((c) => o[c as keyof typeof o]));
const gz = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v))).toString('base64');

describe('decodeCdrPart: every wire form of a cdr.query part gives the same objects', () => {
  it('objects, arrays with columns, and both gzip+base64', () => {
    expect(decodeCdrPart({ rows: objs })).toEqual(objs);
    expect(decodeCdrPart({ rows: arrays, columns })).toEqual(objs);
    expect(decodeCdrPart({ rows: gz(objs), encoding: 'gzip+base64' })).toEqual(objs);
    expect(decodeCdrPart({ rows: gz(arrays), columns, encoding: 'gzip+base64' })).toEqual(objs);
    expect(decodeCdrPart({ rows: [] })).toEqual([]);
  });

  it.each([
    ['not an object', null],
    ['rows missing', {}],
    ['a row not an object', { rows: [1] }],
    ['a row shorter than the columns', { rows: [['x']], columns }],
    ['columns not strings', { rows: [], columns: [1] }],
    ['unknown encoding', { rows: 'x', encoding: 'br' }],
    ['encoded rows not a string', { rows: [], encoding: 'gzip+base64' }],
    ['not gzip', { rows: Buffer.from('hello').toString('base64'), encoding: 'gzip+base64' }],
    ['gzip of not JSON', { rows: gzipSync('nope').toString('base64'), encoding: 'gzip+base64' }],
  ])('refuses a malformed part: %s', (_name, data) => {
    expect(() => decodeCdrPart(data)).toThrow(/malformed cdr.query part/);
  });

  it('a gzip bomb is refused at MAX_CDR_PART_INFLATED, not inflated', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_CDR_PART_INFLATED + 1024, 0x20)).toString('base64');
    expect(bomb.length).toBeLessThan(200_000);
    expect(() => decodeCdrPart({ rows: bomb, encoding: 'gzip+base64' })).toThrow(/malformed cdr.query part/);
  });
});
