import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCdrQueryCommand } from '../../agent/src/commands/cdr';
import { CdrWorker } from '../../agent/src/pbx/cdr/worker-client';
import { FreepbxDb } from '../../agent/src/pbx/freepbx/db';
import { createTestDatabases, seedCdr, type TestDatabases } from '../helpers/mariadb';
import { freePort } from '../helpers/ports';
import { collectingContext, rowsAsObjects } from '../unit/cdr/collect-context';

/** Is a process with this pid alive? */
const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const until = async (what: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !what(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** cdr.query pages run in the worker process (query-worker.ts, here through tsx) against the real MariaDB. */
describe('CDR query worker process', () => {
  let t: TestDatabases;
  let db: FreepbxDb;
  const workers: CdrWorker[] = [];
  const worker = (over: Partial<ConstructorParameters<typeof CdrWorker>[0]> = {}) => {
    const w = new CdrWorker({
      setup: { db: db.settings, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 5000 },
      ...over,
    });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    t = await createTestDatabases({ cdr: 'freepbx-2.11' });
    await seedCdr(t.cdrDb, { count: 3000 });
    db = new FreepbxDb({ host: t.host, port: t.port, user: 'root', connectionLimit: 2 });
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    await db?.close();
    await t?.drop();
  });

  // Parts come through the part pipe (read in 64 KB chunks into reused buffers: parts of ~96 KB straddle reads),
  // or as IPC messages where no pipe can be made; either way they equal the parts built in process.
  for (const partPipe of [true, false]) {
    test(`pages through the worker (parts by ${partPipe ? 'pipe' : 'IPC'}) equal the pages run in process, in both formats`, async () => {
      const w = worker({ partPipe });
      const deps = { db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 5000 };
      const viaWorker = createCdrQueryCommand({ ...deps, worker: w });
      const inProcess = createCdrQueryCommand(deps);
      for (const format of ['objects', 'rows'] as const) {
        for (const compress of [false, true]) {
          const args = { limit: 2500, format, compress, order: 'desc' as const, status: 'ANSWERED' as const };
          const a = collectingContext();
          const b = collectingContext();
          const ra = await viaWorker.handle(args, a);
          const rb = await inProcess.handle(args, b);
          expect(ra).toEqual(rb);
          expect(a.parts.map((p) => p.data)).toEqual(b.parts.map((p) => p.data));
          expect(rowsAsObjects(a.parts).length).toBeGreaterThan(0);
          if (!compress) expect(a.parts.length).toBeGreaterThan(2);
        }
      }
      expect(w.partTransport).toBe(partPipe ? 'pipe' : 'ipc');
      expect(alive(w.pid)).toBe(true);
    });
  }

  test('without a usable temporary folder for the part pipe, parts come over IPC and the query works', async () => {
    // a regular file as the FIFO's parent folder: mkdtemp fails (ENOTDIR), as on a read-only or missing $TMPDIR
    const file = join(mkdtempSync(join(tmpdir(), 'pbxlink-test-')), 'not-a-folder');
    writeFileSync(file, '');
    const w = worker({ tmpDir: file });
    const h = createCdrQueryCommand({ db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 5000, worker: w });
    const ctx = collectingContext();
    await expect(h.handle({ limit: 1500 }, ctx)).resolves.toMatchObject({ count: 1500 });
    expect(rowsAsObjects(ctx.parts)).toHaveLength(1500);
    expect(w.partTransport).toBe('ipc');
    rmSync(dirname(file), { recursive: true, force: true });
  });

  test('bad arguments are invalid_args from the worker, and it keeps serving', async () => {
    const h = createCdrQueryCommand({ db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 5000, worker: worker() });
    await expect(h.handle({ limit: 5001 }, collectingContext())).rejects.toMatchObject({
      code: 'invalid_args',
      message: expect.stringContaining('limit'),
    });
    await expect(h.handle({ cursor: 'not-a-cursor!' }, collectingContext())).rejects.toMatchObject({
      code: 'invalid_args',
    });
    const ok = await h.handle({ limit: 10 }, collectingContext());
    expect(ok).toMatchObject({ count: 10 });
  });

  test('an unreachable database is unavailable (retryable), as in process', async () => {
    const port = await freePort();
    const w = new CdrWorker({
      setup: { db: { host: '127.0.0.1', port, user: 'root' }, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 10 },
    });
    workers.push(w);
    const h = createCdrQueryCommand({ db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 10, worker: w });
    await expect(h.handle({ limit: 5 }, collectingContext())).rejects.toMatchObject({
      code: 'unavailable',
      retryable: true,
    });
  });

  test('an aborted query stops with an error, and the next one runs', async () => {
    const w = worker();
    const h = createCdrQueryCommand({ db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 5000, worker: w });
    const slow = collectingContext({ delayMs: 30, maxPayloadBytes: 2000 }); // many small parts, slowly
    const pending = h.handle({ limit: 3000 }, slow);
    await until(() => slow.parts.length >= 2);
    slow.abort();
    await expect(pending).rejects.toBeInstanceOf(Error);
    const partsAtAbort = slow.parts.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(slow.parts.length).toBeLessThanOrEqual(partsAtAbort + 1); // no part after the abort (one in flight)
    await expect(h.handle({ limit: 20 }, collectingContext())).resolves.toMatchObject({ count: 20 });
  });

  test('a worker that dies mid-query fails that query (internal); the next query starts a new one', async () => {
    const w = worker();
    const h = createCdrQueryCommand({ db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 5000, worker: w });
    const slow = collectingContext({ delayMs: 30, maxPayloadBytes: 2000 });
    const pending = h.handle({ limit: 3000 }, slow);
    await until(() => slow.parts.length >= 1);
    const first = w.pid;
    process.kill(first as number, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringContaining('worker exited'),
    });
    await expect(h.handle({ limit: 20 }, collectingContext())).resolves.toMatchObject({ count: 20 });
    expect(w.pid).not.toBe(first);
  });

  test('the worker exits after idling, and comes back for the next query', async () => {
    const w = worker({ idleMs: 300 });
    const h = createCdrQueryCommand({ db, cdrDb: t.cdrDb, cdrTable: 'cdr', maxRows: 5000, worker: w });
    await h.handle({ limit: 5 }, collectingContext());
    const pid = w.pid;
    expect(alive(pid)).toBe(true);
    await until(() => !alive(pid));
    expect(w.pid).toBeUndefined();
    await expect(h.handle({ limit: 5 }, collectingContext())).resolves.toMatchObject({ count: 5 });
    expect(alive(w.pid)).toBe(true);
  });
});

describe('CDR query worker when the agent dies', () => {
  test('the worker exits when its parent is killed (no orphan left reading the database)', async () => {
    const { spawn } = await import('node:child_process');
    const t = await createTestDatabases({ cdr: 'freepbx-2.11' });
    try {
      await seedCdr(t.cdrDb, { count: 2000 });
      // a parent that starts a worker, reports its pid, then waits to be killed
      const script = `
        import { CdrWorker } from ${JSON.stringify(new URL('../../agent/src/pbx/cdr/worker-client.ts', import.meta.url).pathname)};
        const w = new CdrWorker({ setup: { db: { host: '127.0.0.1', port: ${t.port}, user: 'root' }, cdrDb: ${JSON.stringify(t.cdrDb)}, cdrTable: 'cdr', maxRows: 5000 } });
        const sink = { maxPayloadBytes: 2000, part: () => new Promise(() => {}) }; // never acknowledged: the query stays open
        void w.run({ limit: 2000 }, sink).catch(() => {});
        const wait = setInterval(() => { if (w.pid) { clearInterval(wait); console.log(w.pid); } }, 10);
        setInterval(() => {}, 1000);
      `;
      const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const pid = await new Promise<number>((resolve, reject) => {
        parent.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
        parent.once('exit', (c) => reject(new Error(`parent exited early (${c})`)));
      });
      await until(() => alive(pid));
      parent.kill('SIGKILL');
      await until(() => !alive(pid), 10_000);
    } finally {
      await t.drop();
    }
  });
});
