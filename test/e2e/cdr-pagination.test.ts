/**
 * `pbxctl cdr --all` walks the cursor pages of the agent process while another connection keeps inserting calls
 * (before, inside and after the walked range): every row present at the start comes out exactly once, in order,
 * and an inserted row at most once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pbxctlArgv, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import { type CdrRow, cdrRow, seedCdr, sqlDateTime } from '../helpers/mariadb';
import { useProcesses } from '../helpers/process';

const SEEDED = 3000;
const START = Date.UTC(2026, 0, 1) / 1000;
const procs = useProcesses();
let pbx: TestPbx;
let inserted = 0;

beforeAll(async () => {
  pbx = await startTestPbx({ dialect: '13' });
  await seedCdr(pbx.dbs.cdrDb, { count: SEEDED });
  await pbx.startAgent();
}, 60_000);
afterAll(async () => {
  await pbx?.close();
});

/** A new call at a pseudo-random time from a day before the seeded range to a day after it. */
function insertedRow(k: number): CdrRow {
  const span = SEEDED * 97 + 2 * 86400;
  const t = START - 86400 + ((k * 7919 * 97 + 13) % span);
  const r = cdrRow(k);
  return { ...r, calldate: sqlDateTime(t), uniqueid: `${t}.ins${k}`, clid: `inserted-${k}` };
}

const keyOf = (r: Record<string, unknown>) => `${r.calldate}|${r.uniqueid}`;

/** Runs `pbxctl cdr --all` while rows are inserted in batches until it exits; returns the rows it printed. */
async function walkWhileInserting(extra: string[]): Promise<Record<string, unknown>[]> {
  const p = procs.node(
    pbxctlArgv(pbx, ['cdr'], ['--all', '--limit', '50', '--format', 'jsonl', ...extra], {
      key: { file: pbx.key.keyFile },
    }),
    {},
  );
  let running = true;
  const before = inserted;
  void p.exited.then(() => {
    running = false;
  });
  let rowsWhenFirstInsert = -1;
  while (running) {
    if (rowsWhenFirstInsert < 0 && p.stdout.length > 0) rowsWhenFirstInsert = p.stdout.length;
    const batch = Array.from({ length: 5 }, () => insertedRow(inserted++));
    await seedCdr(pbx.dbs.cdrDb, batch);
    await new Promise((r) => setTimeout(r, 10));
  }
  const r = await p.exited;
  expect(p.stderr.join('\n')).toMatch(/^done: \d+ rows in \d+ page\(s\), [\d.]+ s; next_cursor: null$/m);
  expect(r.code).toBe(0);
  // The inserts really overlapped the walk: some went in after the first rows were printed.
  expect(inserted - before).toBeGreaterThan(10);
  return p.stdout.filter((l) => l !== '').map((l) => JSON.parse(l));
}

function checkWalk(got: Record<string, unknown>[], order: 'asc' | 'desc', present: Set<string>) {
  // Exactly once: no row (by its whole content) twice.
  const seen = new Map<string, number>();
  for (const r of got) seen.set(JSON.stringify(r), (seen.get(JSON.stringify(r)) ?? 0) + 1);
  expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
  // Every row present at the start, by its clid+calldate+uniqueid+src (clid marks inserted ones).
  const ident = (r: Record<string, unknown>) => `${keyOf(r)}|${r.clid}|${r.src}|${r.channel}`;
  const gotIds = new Set(got.map(ident));
  const missing = [...present].filter((id) => !gotIds.has(id));
  expect(missing).toEqual([]);
  // In order by (calldate, uniqueid).
  const keys = got.map(keyOf);
  for (let i = 1; i < keys.length; i++) {
    const ok = order === 'asc' ? keys[i - 1]! <= keys[i]! : keys[i - 1]! >= keys[i]!;
    if (!ok) expect.fail(`rows ${i - 1} and ${i} out of ${order} order: ${keys[i - 1]} then ${keys[i]}`);
  }
}

/** What the table holds now, from what this file inserted (the seed, then insertedRow(0..inserted-1)). */
function presentAll(): Set<string> {
  const rows = [
    ...Array.from({ length: SEEDED }, (_, i) => cdrRow(i)),
    ...Array.from({ length: inserted }, (_, k) => insertedRow(k)),
  ];
  return new Set(rows.map((r) => `${keyOf(r)}|${r.clid}|${r.src}|${r.channel}`));
}

describe('pbxctl cdr --all over a table receiving inserts', () => {
  it('ascending: every row present at the start exactly once, inserted rows at most once', async () => {
    const present = presentAll();
    expect(present.size).toBe(SEEDED);
    const got = await walkWhileInserting([]);
    checkWalk(got, 'asc', present);
    expect(got.length).toBeGreaterThanOrEqual(SEEDED);
    expect(got.length).toBeLessThanOrEqual(SEEDED + inserted);
    // Some rows inserted ahead of the cursor during the walk were picked up (the inserts did land in the range).
    expect(got.some((r) => String(r.clid).startsWith('inserted-'))).toBe(true);
  }, 120_000);

  it('descending with gzip parts as arrays: the same guarantee', async () => {
    const present = presentAll();
    const got = await walkWhileInserting(['--order', 'desc', '--wire', 'rows', '--compress']);
    checkWalk(got, 'desc', present);
  }, 120_000);
});

describe('pbxctl cdr --all interrupted', () => {
  it('Ctrl-C: exit 130, the summary and a cursor that resumes the walk with no row missing', async () => {
    const base = pbxctlArgv(pbx, ['cdr'], ['--all', '--limit', '20', '--format', 'jsonl'], {
      key: { file: pbx.key.keyFile },
    });
    const p = procs.node([...base, '--progress']);
    await p.waitForLine(/ rows {2}page (?!1 )\d+ /, 30_000, 'stderr');
    p.child.kill('SIGINT');
    const r = await p.exited;
    expect(r.code).toBe(130);
    const stderr = p.stderr.join('\n');
    expect(stderr).toMatch(/^interrupted: \d+ rows in \d+ page\(s\)/m);
    const m = /^resume with: --cursor ([A-Za-z0-9_=-]+)$/m.exec(stderr);
    expect(m).not.toBeNull();
    const first = p.stdout.filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first.length).toBeGreaterThan(0);
    // (the cursor is a position, not an offset: bigger pages from there are fine)
    const rest = await procs.runNode([...base, '--limit', '1000', '--cursor', m![1]!], { timeoutMs: 60_000 });
    expect(rest.code).toBe(0);
    const second = rest.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Together every row is there; only rows of the interrupted page may come twice.
    const ids = new Set([...first, ...second].map((r) => `${keyOf(r)}|${r.clid}|${r.src}|${r.channel}`));
    const missing = [...presentAll()].filter((id) => !ids.has(id));
    expect(missing).toEqual([]);
    expect(first.length + second.length - ids.size).toBeLessThanOrEqual(20 + 2);
  }, 120_000);
});
