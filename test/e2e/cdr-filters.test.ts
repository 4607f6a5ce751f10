/**
 * `pbxctl cdr` against the agent process (real Mosquitto, MariaDB with the FreePBX 2.11 CDR table): every filter
 * and combinations, with the expected rows computed here from the seeded rows (never by SQL); one page and its
 * cursor; the wire forms (rows arrays, gzip) decoded to the same rows; invalid flags; an error reply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pbxctlArgv, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import { type CdrRow, cdrRow, seedCdr } from '../helpers/mariadb';
import { useProcesses } from '../helpers/process';

const SEEDED = 2000;
const procs = useProcesses();
let pbx: TestPbx;
const seeded: CdrRow[] = Array.from({ length: SEEDED }, (_, i) => cdrRow(i));

beforeAll(async () => {
  pbx = await startTestPbx({ dialect: '13' });
  await seedCdr(pbx.dbs.cdrDb, { count: SEEDED });
  await pbx.startAgent();
}, 60_000);
afterAll(async () => {
  await pbx?.close();
});

/** `pbxctl cdr AGENT ARGS…` with the test key. */
function pbxctl(args: string[]) {
  return procs.runNode(pbxctlArgv(pbx, ['cdr'], args), { timeoutMs: 60_000 });
}

interface Query {
  start?: string;
  end?: string;
  field?: string;
  pattern?: string;
  status?: string;
  recordings?: 'all' | 'only' | 'without';
  order?: 'asc' | 'desc';
}

/** The seeded rows a query must return, in the agent's documented order (calldate, uniqueid). */
function expected(q: Query): CdrRow[] {
  const day = (d: string) => d.length === 10;
  const rows = seeded.filter((r) => {
    const cd = String(r.calldate);
    if (q.start && cd < (day(q.start) ? `${q.start} 00:00:00` : q.start)) return false;
    if (q.end && (day(q.end) ? cd.slice(0, 10) > q.end : cd > q.end)) return false;
    if (q.field && !String(r[q.field]).toLowerCase().includes(String(q.pattern).toLowerCase())) return false;
    if (q.status && q.status !== 'ALL' && r.disposition !== q.status) return false;
    const hasRec = r.recordingfile !== '' && r.recordingfile !== 'deleted';
    if (q.recordings === 'only' && !hasRec) return false;
    if (q.recordings === 'without' && hasRec) return false;
    return true;
  });
  return sortRows(rows, q.order ?? 'asc');
}

const keyOf = (r: Record<string, unknown>) => `${r.calldate}|${r.uniqueid}`;

/** Order by (calldate, uniqueid) in `order`; rows of one (calldate, uniqueid) group have no order, so by content. */
function sortRows<T extends Record<string, unknown>>(rows: T[], order: 'asc' | 'desc'): T[] {
  const dir = order === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const ka = keyOf(a);
    const kb = keyOf(b);
    if (ka !== kb) return ka < kb ? -dir : dir;
    const ja = JSON.stringify(a);
    const jb = JSON.stringify(b);
    return ja < jb ? -1 : ja > jb ? 1 : 0;
  });
}

/** Asserts what pbxctl printed is exactly `want`: same order of (calldate, uniqueid), same rows. */
function expectSameRows(got: Record<string, unknown>[], want: CdrRow[], order: 'asc' | 'desc' = 'asc') {
  expect(got.length).toBe(want.length);
  const cols = Object.keys(got[0] ?? {});
  expect(got.map(keyOf)).toEqual(want.map(keyOf));
  const project = (r: Record<string, unknown>) => Object.fromEntries(cols.map((c) => [c, r[c]]));
  expect(sortRows(got, order)).toEqual(want.map(project));
}

function jsonl(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** Runs a query through pbxctl --format jsonl --all and returns the rows it printed. */
async function query(q: Query, extra: string[] = []): Promise<Record<string, unknown>[]> {
  const args = ['--format', 'jsonl', '--all', '--limit', '700', ...extra];
  if (q.start) args.push('--start', q.start);
  if (q.end) args.push('--end', q.end);
  // --pattern=TEXT: a pattern may start with '-' (see pbxctl cdr --help)
  if (q.field) args.push('--field', q.field, `--pattern=${q.pattern}`);
  if (q.status) args.push('--status', q.status);
  if (q.recordings) args.push('--recordings', q.recordings);
  if (q.order) args.push('--order', q.order);
  const r = await pbxctl(args);
  expect(r.stderr).toMatch(/^done: \d+ rows in \d+ page\(s\), [\d.]+ s; next_cursor: null$/m);
  expect(r.code).toBe(0);
  return jsonl(r.stdout);
}

describe('pbxctl cdr filters against the agent process', () => {
  it('no filter: every seeded row, in calldate/uniqueid order, with the FreePBX 2.11 columns', async () => {
    const got = await query({});
    expectSameRows(got, expected({}));
    expect(Object.keys(got[0]!)).toEqual(
      expect.arrayContaining([
        'calldate',
        'src',
        'dst',
        'disposition',
        'uniqueid',
        'recordingfile',
        'did',
        'cnam',
      ]),
    );
    expect(got[0]!.duration).toBeTypeOf('number');
  });

  const cases: [string, Query][] = [
    ['start date (whole days from)', { start: '2026-01-02' }],
    ['end date alone means the whole day', { end: '2026-01-01' }],
    ['start and end date-times', { start: '2026-01-01 10:00:00', end: '2026-01-02 03:30:15' }],
    ['start = end, one day', { start: '2026-01-02', end: '2026-01-02' }],
    ['src substring', { field: 'src', pattern: '2125' }],
    ['src: % matches itself only', { field: 'src', pattern: '%' }],
    ['src: _ matches itself only', { field: 'src', pattern: '_' }],
    ['src: a backslash matches itself', { field: 'src', pattern: '\\' }],
    ['dst with *', { field: 'dst', pattern: '*97' }],
    ['channel', { field: 'channel', pattern: 'SIP/10' }],
    ['dstchannel', { field: 'dstchannel', pattern: '-0000003' }],
    ['accountcode', { field: 'accountcode', pattern: 'acct_' }],
    ['did', { field: 'did', pattern: '21255500' }],
    ['uniqueid', { field: 'uniqueid', pattern: '.12' }],
    ['nothing matches', { field: 'src', pattern: 'no-such-number' }],
    ['status answered', { status: 'ANSWERED' }],
    ['status busy', { status: 'BUSY' }],
    ['status failed', { status: 'FAILED' }],
    ['status no answer', { status: 'NO ANSWER' }],
    ['status all (CONGESTION too)', { status: 'ALL' }],
    ['recordings only (not "deleted", not empty)', { recordings: 'only' }],
    ['recordings without', { recordings: 'without' }],
    ['recordings all', { recordings: 'all' }],
    ['order desc', { order: 'desc' }],
    [
      'dates + status + recordings + field, desc',
      {
        start: '2026-01-01 06:00:00',
        end: '2026-01-02',
        status: 'ANSWERED',
        recordings: 'only',
        field: 'dst',
        pattern: '10',
        order: 'desc',
      },
    ],
    [
      'did + status busy + without recordings',
      { field: 'did', pattern: '2125', status: 'BUSY', recordings: 'without' },
    ],
    [
      'end date-time + uniqueid + no answer',
      { end: '2026-01-02 12:00:00', field: 'uniqueid', pattern: '1', status: 'NO ANSWER' },
    ],
  ];
  it.each(cases)('%s', async (_name, q) => {
    const want = expected(q);
    if (q.field !== 'src' || q.pattern !== 'no-such-number') expect(want.length).toBeGreaterThan(0);
    const got = await query(q);
    expectSameRows(got, want, q.order ?? 'asc');
    if (q.status === 'ALL') expect(got.some((r) => r.disposition === 'CONGESTION')).toBe(true);
  });

  it('CLI spellings: --status no-answer, date-time with T, the same rows', async () => {
    const got = await query({}, [
      '--status',
      'no-answer',
      '--start',
      '2026-01-01T05:00',
      '--end',
      '2026-01-02',
    ]);
    expectSameRows(got, expected({ status: 'NO ANSWER', start: '2026-01-01 05:00:00', end: '2026-01-02' }));
  });

  it('over MQTT 3.1.1 (replies to the signed reply_to): the same rows', async () => {
    const q: Query = { status: 'BUSY', recordings: 'without' };
    expectSameRows(await query(q, ['--mqtt3']), expected(q));
  });

  it('every wire form (objects, arrays, either gzipped) is decoded to the same rows', async () => {
    const q: Query = { status: 'ANSWERED' };
    const forms = [
      ['--wire', 'objects'],
      ['--wire', 'objects', '--compress'],
      ['--wire', 'rows'],
      ['--compress'],
    ];
    for (const wire of forms) {
      expectSameRows(await query(q, wire), expected(q));
    }
  });

  it('one page: --limit rows, the cursor of the next page on stderr; --cursor continues exactly there', async () => {
    const want = expected({ recordings: 'only' });
    const first = await pbxctl(['--format', 'jsonl', '--recordings', 'only', '--limit', '100']);
    expect(first.code).toBe(0);
    const page1 = jsonl(first.stdout);
    expect(page1.length).toBeGreaterThanOrEqual(100); // a page never ends inside a (calldate, uniqueid) group
    expect(page1.length).toBeLessThan(103);
    const m = /^done: (\d+) rows in 1 page\(s\), [\d.]+ s; next_cursor: ([A-Za-z0-9_=-]+)$/m.exec(
      first.stderr,
    );
    expect(m?.[1]).toBe(String(page1.length));
    expect(first.stderr).toContain(`more rows: pass --cursor ${m![2]} (or --all)`);
    const rest = await query({}, ['--recordings', 'only', '--cursor', m![2]!]);
    expectSameRows([...page1, ...rest], want);
  });

  it('bad flags exit 2 before anything is sent; an error reply exits 1 with its code', async () => {
    for (const bad of [
      ['--start', '2026-02-30'],
      ['--field', 'clid', '--pattern', 'x'],
      ['--field', 'src'],
      ['--status', 'maybe'],
      ['--limit', '0'],
      ['--format', 'xml'],
      ['--cursor', "x' OR 1=1"],
    ]) {
      const r = await pbxctl(bad);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^pbxctl cdr: invalid|^pbxctl cdr: --field/m);
    }
    const r = await pbxctl(['--start', '2026-01-03', '--end', '2026-01-01']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error invalid_args: .*end_date/m);
    const big = await pbxctl(['--limit', '100000000']);
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/^error invalid_args: .*limit/m);
  });
});
