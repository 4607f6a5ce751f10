/**
 * `pbxctl cdr` against the agent process over the Elastix 2.2 CDR table (16 columns, no did/recordingfile, no
 * index; reference §8.1): recordings found through userfield 'audio:…' (§12), `did` refused naming the field,
 * the table's default columns without recordingfile, and a cursor walk over the unindexed table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pbxctlArgv, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import { type CdrRow, cdrRow, createTestDatabases, seedCdr, type TestDatabases } from '../helpers/mariadb';
import { useProcesses } from '../helpers/process';

const SEEDED = 400;
const procs = useProcesses();
let pbx: TestPbx;
let elastix: TestDatabases;
const seeded: CdrRow[] = Array.from({ length: SEEDED }, (_, i) => cdrRow(i));

beforeAll(async () => {
  elastix = await createTestDatabases({ cdr: 'elastix-2.2', config: 'freepbx-2.11', seed: true });
  await seedCdr(elastix.cdrDb, { count: SEEDED });
  pbx = await startTestPbx({ dialect: '13', env: { PBXLINK_CDR_DB: elastix.cdrDb } });
  await pbx.startAgent();
}, 60_000);
afterAll(async () => {
  await pbx?.close();
  await elastix?.drop();
});

function pbxctl(args: string[]) {
  return procs.runNode(pbxctlArgv(pbx, ['cdr'], args, { key: { file: pbx.key.keyFile }, timeoutS: null }), {
    timeoutMs: 60_000,
  });
}

const keyOf = (r: Record<string, unknown>) => `${r.calldate}|${r.uniqueid}|${r.src}|${r.channel}`;
const jsonl = (s: string) =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('pbxctl cdr on an Elastix 2.2 table', () => {
  it('rows carry the 16 columns; a walk with --all returns every row once', async () => {
    const r = await pbxctl(['--format', 'jsonl', '--all', '--limit', '37']);
    expect(r.code).toBe(0);
    const got = jsonl(r.stdout);
    expect(Object.keys(got[0]!)).toHaveLength(16);
    expect(got[0]).not.toHaveProperty('recordingfile');
    expect(got.map(keyOf).sort()).toEqual(seeded.map(keyOf).sort());
    expect(new Set(got.map(keyOf)).size).toBe(SEEDED);
  });

  it('--recordings only/without follow userfield audio:… (§12)', async () => {
    for (const mode of ['only', 'without'] as const) {
      const r = await pbxctl(['--format', 'jsonl', '--all', '--recordings', mode]);
      expect(r.code).toBe(0);
      const want = seeded.filter((x) => String(x.userfield).startsWith('audio:') === (mode === 'only'));
      expect(want.length).toBeGreaterThan(0);
      expect(jsonl(r.stdout).map(keyOf).sort()).toEqual(want.map(keyOf).sort());
    }
  });

  it('--field did: invalid_args naming field_name (the table has no did column)', async () => {
    const r = await pbxctl(['--field', 'did', '--pattern', '212']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error invalid_args: .*field_name.*did/m);
  });

  it('table: the default columns this table has (no recordingfile)', async () => {
    const r = await pbxctl(['--limit', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(
      /^calldate\s+src\s+dst\s+disposition\s+duration\s+billsec\s+uniqueid$/,
    );
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(5);
  });
});
