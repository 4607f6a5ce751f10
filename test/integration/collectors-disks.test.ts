import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDisks, readFilesystem, sizeFolder } from '../../agent/src/collectors/disks';
import { DisksCollector } from '../../agent/src/collectors/disks-collector';
import { createExec } from '../../agent/src/collectors/exec';
import { duFolderSize, walkFolderSize } from '../../agent/src/collectors/folder-size';
import { DisksState } from '../../protocol/src/schemas/system';
import { captureLog, makeContext, TestClock } from '../unit/collectors/harness';

const exec = createExec();
let base: string;
let tree: string;
/** Sum of the lstat sizes of everything created under `tree` (files, dirs, symlinks, one hard link counted once). */
let expected = 0;

async function sizeOf(p: string): Promise<number> {
  const { lstat } = await import('node:fs/promises');
  return (await lstat(p)).size;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'pbxlink-disks-'));
  tree = join(base, 'tree');
  await mkdir(join(tree, 'a', 'b', 'c'), { recursive: true });
  await mkdir(join(tree, 'empty'));
  const files: [string, number][] = [
    ['top.wav', 1000],
    ['a/one.wav', 123_456],
    ['a/b/two.gsm', 7],
    ['a/b/c/three.txt', 0],
    ['a/b/c/four.bin', 65_536],
  ];
  for (const [p, n] of files) await writeFile(join(tree, p), Buffer.alloc(n, 1));
  for (let i = 0; i < 300; i++) await writeFile(join(tree, 'a', `many-${i}.txt`), 'x'.repeat(i));
  await link(join(tree, 'a/one.wav'), join(tree, 'hardlink-to-one.wav')); // same inode: counted once
  await symlink('..', join(tree, 'a', 'b', 'loop-up')); // a loop: must not be followed
  await symlink(tree, join(tree, 'a', 'loop-root'));
  await symlink('/etc', join(tree, 'escape')); // outside the tree: must not be followed
  // Expected: every entry's lstat size, as du -sb counts, the hard link once.
  const { readdir, lstat } = await import('node:fs/promises');
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p);
    expected += st.size;
    if (st.isDirectory()) for (const e of await readdir(p)) await walk(join(p, e));
  };
  await walk(tree);
  expected -= await sizeOf(join(tree, 'hardlink-to-one.wav'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('folder sizes', () => {
  it('walk: known tree with a hard link, symlink loops and an escaping symlink, same as du -sb', async () => {
    const walked = await walkFolderSize(tree);
    expect(walked).toEqual({ path: tree, bytes: expected });
    const du = await duFolderSize(tree, exec);
    expect(du).toEqual({ path: tree, bytes: expected });
    expect(execFileSync('du', ['-sb', tree], { encoding: 'utf8' }).split('\t')[0]).toBe(String(expected));
  });

  it('a missing folder is bytes: null with the error, by both methods', async () => {
    const missing = join(base, 'no-such-folder');
    const w = await walkFolderSize(missing);
    expect(w.bytes).toBeNull();
    expect(w.error).toMatch(/ENOENT/);
    const d = await duFolderSize(missing, exec);
    expect(d.bytes).toBeNull();
    expect(d.error).toMatch(/No such file/);
  });

  it('a symlink given as the folder itself is followed (monitor folder linked to a bigger disk)', async () => {
    const alias = join(base, 'alias');
    await symlink(tree, alias);
    expect((await walkFolderSize(alias)).bytes).toBe(expected);
  });

  it('a plain file as the folder gives its size', async () => {
    expect((await walkFolderSize(join(tree, 'top.wav'))).bytes).toBe(1000);
  });

  it('gives up past its time budget with bytes: null and says why', async () => {
    let t = 0;
    const r = await walkFolderSize(tree, { budgetMs: 5, now: () => (t += 1) });
    expect(r).toEqual({ path: tree, bytes: null, error: 'not finished within 0 s' });
    const ac = new AbortController();
    ac.abort();
    expect(await walkFolderSize(tree, { signal: ac.signal })).toEqual({
      path: tree,
      bytes: null,
      error: 'aborted',
    });
  });

  it('keeps the event loop free while walking (timers fire during the walk)', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const big = join(base, 'big');
    await mkdir(big);
    await Promise.all(Array.from({ length: 2000 }, (_, i) => writeFile(join(big, `f${i}`), 'x')));
    const r = await walkFolderSize(big, { concurrency: 8 });
    clearInterval(timer);
    expect(r.bytes).toBe((await stat(big)).size + 2000);
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('root filesystem', () => {
  it('fs.statfs figures match df -P -B1 of / on this machine', async () => {
    const viaStatfs = await readFilesystem('/', { exec });
    const viaDf = await readFilesystem('/', { exec, noStatfs: true });
    expect(viaStatfs.mount).toBe('/');
    expect(viaDf.mount).toBe('/');
    expect(viaStatfs.filesystem).toBe(viaDf.filesystem);
    expect(viaStatfs.size_bytes).toBe(viaDf.size_bytes);
    // Other processes write meanwhile: within 64 MiB.
    expect(Math.abs(viaStatfs.used_bytes - viaDf.used_bytes)).toBeLessThan(64 * 2 ** 20);
    expect(Math.abs(viaStatfs.avail_bytes - viaDf.avail_bytes)).toBeLessThan(64 * 2 ** 20);
    expect(Math.abs(viaStatfs.use_pct - viaDf.use_pct)).toBeLessThanOrEqual(1);
  });

  it('a path inside a mount reports that mount', async () => {
    const r = await readFilesystem(tree, { exec });
    expect(tree.startsWith(r.mount === '/' ? '/' : `${r.mount}/`)).toBe(true);
  });

  it('readDisks gives a schema-valid snapshot with the folders in order', async () => {
    const folders = [tree, join(base, 'missing'), '/etc'];
    const d = await readDisks({ exec, folders });
    expect(Value.Check(DisksState, d)).toBe(true);
    expect(d.folders.map((f) => f.path)).toEqual(folders);
    expect(d.folders[0]?.bytes).toBe(expected);
    expect(d.folders[1]?.bytes).toBeNull();
    expect(d.folders[2]?.bytes).toBeGreaterThan(0);
    const viaDu = await readDisks({ exec, folders, folderMethod: 'du' });
    expect(Value.Check(DisksState, viaDu)).toBe(true);
    expect(viaDu.folders[0]?.bytes).toBe(expected);
    const viaWalk = await readDisks({ exec, folders, folderMethod: 'walk' });
    expect(viaWalk.folders.map((f) => f.bytes)).toEqual(viaDu.folders.map((f) => f.bytes));
  });
});

describe('folder size method: du first, the walk when du cannot give a figure', () => {
  const script = async (name: string, body: string) => {
    const dir = join(base, `bin-${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'du'), `#!/bin/sh\n${body}\n`);
    await chmod(join(dir, 'du'), 0o755);
    return join(dir, 'du');
  };

  it('du follows a symlink given as the folder (-D), like the walk', async () => {
    const alias = join(base, 'alias-du');
    await symlink(tree, alias);
    expect(await sizeFolder(alias, { exec, folderMethod: 'du' })).toEqual({ path: alias, bytes: expected });
  });

  it('no du on the box: auto falls back to the walk; du-only says why', async () => {
    const duBin = join(base, 'no-such-du');
    expect(await sizeFolder(tree, { exec, duBin })).toEqual({ path: tree, bytes: expected });
    const only = await sizeFolder(tree, { exec, duBin, folderMethod: 'du' });
    expect(only.bytes).toBeNull();
    expect(only.error).toMatch(/ENOENT/);
  });

  it('BusyBox du (no -b) falls back to the walk', async () => {
    // BusyBox 1.35 `du -b`: usage on stderr, exit 1.
    const duBin = await script(
      'busybox',
      `echo "du: invalid option -- 'b'" >&2; echo "BusyBox v1.35.0 multi-call binary." >&2; exit 1`,
    );
    expect(await sizeFolder(tree, { exec, duBin })).toEqual({ path: tree, bytes: expected });
  });

  it('a du over its time budget is reported, without a second long attempt by the walk', async () => {
    const duBin = await script('slow', 'exec sleep 10');
    const t0 = Date.now();
    const r = await sizeFolder(tree, { exec, duBin, folderBudgetMs: 200 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r).toEqual({ path: tree, bytes: null, error: 'not finished within 0 s' });
  });

  it('du exit 1 with a figure (an unreadable entry) keeps the figure and the message', async () => {
    const duBin = await script(
      'partial',
      `echo "du: cannot read directory '/x/y': Permission denied" >&2; printf '12345\\t%s\\n' "$4"; exit 1`,
    );
    expect(await sizeFolder(tree, { exec, duBin })).toEqual({
      path: tree,
      bytes: 12345,
      error: "du: cannot read directory '/x/y': Permission denied",
    });
  });
});

describe('DisksCollector', () => {
  it('publishes state/disks, skips unchanged, republishes on a folder growing ≥ 1 MiB, on keep-alive and on refresh', async () => {
    const folder = join(base, 'growing');
    await mkdir(folder);
    await writeFile(join(folder, 'rec.wav'), Buffer.alloc(10));
    const clock = new TestClock();
    const { ctx, publisher, bus } = makeContext(clock);
    const c = new DisksCollector({ exec, folders: [folder] }, { keepAliveMs: 300_000 });
    c.start(ctx);
    try {
      await c.runNow(); // waits for the first run started by start()
      await c.runNow();
      const first = publisher.of('disks');
      expect(first).toHaveLength(1);
      expect(Value.Check(DisksState, first[0])).toBe(true);

      await truncate(join(folder, 'rec.wav'), 1000); // small change: not worth a message
      clock.advance(60_000);
      await c.runNow();
      expect(publisher.of('disks')).toHaveLength(1);

      await truncate(join(folder, 'rec.wav'), 3 * 2 ** 20); // grew by 3 MiB
      clock.advance(60_000);
      await c.runNow();
      expect(publisher.of('disks')).toHaveLength(2);
      expect(
        (publisher.of('disks')[1] as { folders: { bytes: number }[] }).folders[0]?.bytes,
      ).toBeGreaterThan(3 * 2 ** 20);

      clock.advance(300_000);
      await c.runNow();
      expect(publisher.of('disks')).toHaveLength(3); // keep-alive

      bus.emit('refresh.request', { reason: 'test' });
      await c.runNow();
      expect(publisher.of('disks')).toHaveLength(4);
    } finally {
      c.stop();
    }
    bus.emit('refresh.request', { reason: 'after stop' });
    await new Promise((r) => setTimeout(r, 50));
    expect(publisher.of('disks')).toHaveLength(4);
  });
});

describe('a failing collection', () => {
  it('publishes nothing, logs the transition once (not every poll), and logs the recovery', async () => {
    const { log, lines } = captureLog();
    const { ctx, publisher } = makeContext(new TestClock(), log);
    const sources = { exec, rootPath: join(base, 'no-such-root'), folders: [] as string[] };
    const c = new DisksCollector(sources);
    c.start(ctx);
    try {
      await c.runNow();
      await c.runNow();
      await c.runNow();
      expect(publisher.of('disks')).toEqual([]);
      const failing = lines().filter((l) => l.msg === 'collection failing');
      expect(failing).toHaveLength(1);
      expect(failing[0]).toMatchObject({ level: 40, module: 'disks' });
      sources.rootPath = '/';
      await c.runNow();
      expect(publisher.of('disks')).toHaveLength(1);
      expect(lines().filter((l) => l.msg === 'collection recovered')).toHaveLength(1);
    } finally {
      c.stop();
    }
  });
});
