import { describe, expect, it } from 'vitest';
import {
  cdrProgressLine,
  cdrRenderer,
  csvField,
  csvLine,
  MAX_LAST_CELL,
  tableLine,
} from '../../../protocol/src/cli/cdr-format';

const row = (o: Record<string, string | number>) => ({
  calldate: '2026-01-01 00:00:00',
  clid: '"Caller" <100>',
  src: '100',
  dst: '200',
  disposition: 'ANSWERED',
  duration: 42,
  billsec: 40,
  uniqueid: '1767225600.1',
  recordingfile: '',
  ...o,
});

describe('pbxctl cdr CSV (RFC 4180)', () => {
  it('quotes fields holding a quote, a comma, CR or LF, doubling quotes; others as they are', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(12)).toBe('12');
    expect(csvField(null)).toBe('');
    expect(csvField(' spaced ')).toBe(' spaced ');
    expect(csvLine(['a', 'b,c', 3])).toBe('a,"b,c",3\r\n');
  });

  it('header from the first rows (agent order) or --columns; rows in that order, missing values empty', () => {
    const r = cdrRenderer('csv');
    const rows = [row({}), row({ src: 'x,y' })];
    expect(r.header(rows)).toBe(
      'calldate,clid,src,dst,disposition,duration,billsec,uniqueid,recordingfile\r\n',
    );
    expect(r.rows(rows.slice(1))).toBe(
      '2026-01-01 00:00:00,"""Caller"" <100>","x,y",200,ANSWERED,42,40,1767225600.1,\r\n',
    );
    const c = cdrRenderer('csv', ['uniqueid', 'nosuch', 'billsec']);
    expect(c.header([])).toBe('uniqueid,nosuch,billsec\r\n');
    expect(c.rows([row({})])).toBe('1767225600.1,,40\r\n');
  });
});

describe('pbxctl cdr JSON lines', () => {
  it('one JSON object per row; --columns keeps those keys (null when absent)', () => {
    expect(cdrRenderer('jsonl').header([row({})])).toBe('');
    expect(cdrRenderer('jsonl').rows([row({ src: 'a\u001bb' })])).toBe(
      `${JSON.stringify(row({ src: 'a\u001bb' }))}\n`,
    );
    expect(cdrRenderer('jsonl', ['src', 'none']).rows([row({}), row({ src: '7' })])).toBe(
      '{"src":"100","none":null}\n{"src":"7","none":null}\n',
    );
  });
});

describe('pbxctl cdr table', () => {
  it('fixed widths: header, rule, values padded; numbers right-aligned; last column not padded', () => {
    const r = cdrRenderer('table');
    const head = r.header([row({})]);
    const [h, rule] = head.split('\n');
    expect(h).toBe(
      'calldate             src              dst              disposition  duration  billsec  uniqueid              recordingfile',
    );
    expect(rule).toBe(
      `${'-'.repeat(19)}  ${'-'.repeat(15)}  ${'-'.repeat(15)}  ${'-'.repeat(11)}  ${'-'.repeat(8)}  ${'-'.repeat(7)}  ${'-'.repeat(20)}  ${'-'.repeat(40)}`,
    );
    expect(r.rows([row({ recordingfile: 'a.wav' })])).toBe(
      '2026-01-01 00:00:00  100              200              ANSWERED           42       40  1767225600.1          a.wav\n',
    );
  });

  it('cuts long values with …, counts characters not bytes, replaces control characters', () => {
    expect(tableLine(['src', 'dst'], ['12345678901234567890', 'x'])).toBe('12345678901234…  x\n');
    // the last column is whole (up to MAX_LAST_CELL), a recording's file name stays usable
    expect(tableLine(['src', 'recordingfile'], ['1', 'r'.repeat(60)])).toBe(
      `1${' '.repeat(14)}  ${'r'.repeat(60)}\n`,
    );
    expect(tableLine(['src'], ['x'.repeat(300)])).toBe(`${'x'.repeat(MAX_LAST_CELL - 1)}…\n`);
    expect(tableLine(['src', 'dst'], ['Müller', 'x'])).toBe(`Müller${' '.repeat(9)}  x\n`);
    expect(tableLine(['src'], ['\u001b[2Jred\u0007'])).toBe('?[2Jred?\n');
    expect(tableLine(['duration'], [7])).toBe('       7\n');
    expect(tableLine(['unknowncol'], ['v'])).toBe('v\n');
  });

  it('default columns: those of the first row among calldate, src, dst, …; --columns picks others', () => {
    const elastix = {
      calldate: 'd',
      src: 's',
      dst: 't',
      disposition: 'BUSY',
      duration: 1,
      billsec: 0,
      uniqueid: 'u',
    };
    expect(cdrRenderer('table').header([elastix]).split('\n')[0]).toMatch(/uniqueid$/);
    expect(cdrRenderer('table', ['clid', 'did']).header([]).split('\n')[0]).toBe(`clid${' '.repeat(26)}did`);
  });
});

describe('pbxctl cdr progress', () => {
  it('rows, page, rate and elapsed time', () => {
    expect(cdrProgressLine(12345, 3, 2500)).toBe('12,345 rows  page 3  4,938 rows/s  2.5 s');
    expect(cdrProgressLine(0, 1, 0)).toBe('0 rows  page 1  0 rows/s  0.0 s');
  });
});
