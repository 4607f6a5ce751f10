/**
 * What `pbxctl cdr` prints against the agent process: CSV (RFC 4180: header, CRLF, quoting of `"`, `,` and line
 * breaks), the table (aligned fixed-width columns, numbers right-aligned, long values cut with …, control
 * characters neutralized), --columns, -o FILE, and progress on stderr with --progress.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pbxctlArgv, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import { type CdrRow, cdrRow, seedCdr } from '../helpers/mariadb';
import { useProcesses } from '../helpers/process';

const procs = useProcesses();
let pbx: TestPbx;

/** Rows with values that stress each format, then plain generated ones. */
const rows: CdrRow[] = [
  { ...cdrRow(0), clid: 'Smith, John "JJ" <100>' },
  { ...cdrRow(1), clid: 'two\r\nlines', dst: '200' },
  { ...cdrRow(2), src: '\u001b[31mred' },
  { ...cdrRow(3), clid: 'Müller' },
  { ...cdrRow(4), clid: 'x'.repeat(80), recordingfile: `${'r'.repeat(60)}.wav` },
  ...Array.from({ length: 25 }, (_, i) => cdrRow(i + 5)),
];

beforeAll(async () => {
  pbx = await startTestPbx({ dialect: '13' });
  await seedCdr(pbx.dbs.cdrDb, rows);
  await pbx.startAgent();
}, 60_000);
afterAll(async () => {
  await pbx?.close();
});

function pbxctl(args: string[]) {
  return procs.runNode(pbxctlArgv(pbx, ['cdr'], args, { key: { file: pbx.key.keyFile } }), {
    timeoutMs: 60_000,
  });
}

/** A small RFC 4180 reader: records of fields; quoted fields may hold `""`, `,`, CR and LF. */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let rec: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else {
      const m = /[,\r]/.exec(text.slice(i));
      const end = m ? i + m.index : text.length;
      field = text.slice(i, end);
      if (field.includes('"') || field.includes('\n'))
        throw new Error(`bad unquoted field ${JSON.stringify(field)}`);
      i = end;
    }
    rec.push(field);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      out.push(rec);
      rec = [];
      i += 2;
    } else if (i < text.length) throw new Error(`garbage after a field at ${i}`);
  }
  if (rec.length) throw new Error('last record without CRLF');
  return out;
}

describe('pbxctl cdr output formats', () => {
  it('csv -o FILE: a header of the columns in the agent order, one CRLF record per row, quoting that round-trips', async () => {
    const file = join(pbx.dir, 'calls.csv');
    const r = await pbxctl(['--format', 'csv', '-o', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^done: 30 rows in 1 page\(s\)/m);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    const [header, ...records] = parseCsv(text);
    const json = await pbxctl(['--format', 'jsonl']);
    const objs = json.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(header).toEqual(Object.keys(objs[0]!));
    expect(header).toContain('recordingfile');
    expect(records).toEqual(objs.map((o) => header!.map((c) => String(o[c] ?? ''))));
    // the seeded values themselves came back through CSV
    const byUid = new Map(records.map((rec) => [rec[header!.indexOf('uniqueid')], rec]));
    const clid = (i: number) => byUid.get(String(rows[i]!.uniqueid))![header!.indexOf('clid')];
    expect(clid(0)).toBe('Smith, John "JJ" <100>');
    expect(clid(1)).toBe('two\r\nlines');
    expect(clid(3)).toBe('Müller');
    expect(text).toContain('"Smith, John ""JJ"" <100>"');
  });

  it('csv --columns: only those columns, in that order', async () => {
    const r = await pbxctl([
      '--format',
      'csv',
      '--columns',
      'uniqueid,disposition,billsec',
      '--status',
      'answered',
    ]);
    expect(r.code).toBe(0);
    const [header, ...records] = parseCsv(`${r.stdout}\n`); // the runner splits stdout on LF
    expect(header).toEqual(['uniqueid', 'disposition', 'billsec']);
    const want = rows.filter((x) => x.disposition === 'ANSWERED');
    expect(records).toEqual(want.map((x) => [String(x.uniqueid), 'ANSWERED', String(x.billsec)]));
  });

  it('an empty result: nothing on stdout, or only the header when --columns names the columns', async () => {
    const none = ['--field', 'src', '--pattern', 'no-such-caller'];
    const bare = await pbxctl(['--format', 'csv', ...none]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^done: 0 rows in 1 page\(s\), [\d.]+ s; next_cursor: null$/m);
    const named = await pbxctl(['--format', 'csv', '--columns', 'src,dst', ...none]);
    expect(named.stdout).toBe('src,dst\r');
  });

  it('table: header, rule, aligned fixed-width columns, numbers right-aligned, long values cut, no control characters', async () => {
    const r = await pbxctl([]);
    expect(r.code).toBe(0);
    expect(r.stdout.includes('\u001b')).toBe(false);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^calldate\s+src\s+dst\s+disposition\s+duration\s+billsec\s+uniqueid\s+recordingfile$/,
    );
    // Column extents from the rule line (runs of -).
    const rule = lines[1]!;
    const spans = [...rule.matchAll(/-+/g)].map((m) => [m.index!, m.index! + m[0].length] as const);
    expect(spans).toHaveLength(8);
    const names = [
      'calldate',
      'src',
      'dst',
      'disposition',
      'duration',
      'billsec',
      'uniqueid',
      'recordingfile',
    ];
    const body = lines.slice(2).filter((l) => l !== '');
    expect(body).toHaveLength(rows.length);
    // The last column (recordingfile) is printed whole, the others within the rule's extent.
    const cell = (line: string, k: number) =>
      [...line].slice(spans[k]![0], k === spans.length - 1 ? undefined : spans[k]![1]).join('');
    const shown = (v: unknown, w: number) => {
      const s = [...String(v)].map((ch) => (ch.charCodeAt(0) < 0x20 ? '?' : ch)).join('');
      return s.length > w ? `${s.slice(0, w - 1)}…` : s;
    };
    const byUid = new Map(rows.map((x) => [String(x.uniqueid), x]));
    for (const line of body) {
      const seeded = byUid.get(cell(line, 6).trim())!;
      expect(seeded, line).toBeDefined();
      names.forEach((n, k) => {
        const w = k === spans.length - 1 ? 255 : spans[k]![1] - spans[k]![0];
        const c = cell(line, k);
        expect(c.trim(), `${n} in ${line}`).toBe(shown(seeded[n], w));
        if (n === 'duration' || n === 'billsec')
          expect(c.endsWith(String(seeded[n])) || c.trim() === '').toBe(true);
      });
    }
    const red = body.find((l) => l.includes('?[31mred'));
    expect(red).toBeDefined();
    expect(body.some((l) => l.endsWith(`  ${'r'.repeat(60)}.wav`))).toBe(true);
    const cut = await pbxctl(['--columns', 'clid,src']);
    expect(cut.stdout.split('\n').some((l) => l.startsWith(`${'x'.repeat(27)}…  `))).toBe(true);
  });

  it('--progress prints rows and rate on stderr; jsonl -o FILE holds every row', async () => {
    const file = join(pbx.dir, 'calls.jsonl');
    const r = await pbxctl(['--format', 'jsonl', '--all', '--limit', '4', '--progress', '-o', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\d[\d,]* rows {2}page \d+ {2}[\d,]+ rows\/s {2}[\d.]+ s$/m);
    expect(r.stderr).toMatch(/^done: 30 rows in \d+ page\(s\), [\d.]+ s; next_cursor: null$/m);
    const got = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(got.map((x) => x.uniqueid).sort()).toEqual(rows.map((x) => String(x.uniqueid)).sort());
  });
});
