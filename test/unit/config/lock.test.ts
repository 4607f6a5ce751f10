// Tests agent/src/core/lock.ts (the state-dir lock is part of the configuration/CLI task, issue 4 part 1).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireStateLock, LOCK_FILE } from '../../../agent/src/core/lock';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pbxlink-lock-'));
  dirs.push(d);
  return join(d, 'state'); // not yet created: the lock creates it
}

/** A real other process; resolves with its pid once running, and a way to end it. */
async function otherProcess(): Promise<{ pid: number; end: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  return {
    pid: child.pid as number,
    end: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGKILL');
      }),
  };
}

describe('state-dir lock', () => {
  it('creates the state dir and a lock file holding our pid; release removes it', () => {
    const dir = stateDir();
    const lock = acquireStateLock(dir);
    const info = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    expect(info.pid).toBe(process.pid);
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a second instance while the owner lives, naming its pid and the dir', async () => {
    const dir = stateDir();
    const other = await otherProcess();
    try {
      acquireStateLock(dir, other.pid);
      expect(() => acquireStateLock(dir)).toThrow(`another pbxlink (pid ${other.pid}) uses ${dir}`);
      try {
        acquireStateLock(dir);
      } catch (e) {
        expect((e as { code: string }).code).toBe('busy');
      }
    } finally {
      await other.end();
    }
    // The owner died without releasing: the lock is stale and taken over.
    const lock = acquireStateLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock whose pid now belongs to another process (pid reused after a reboot)', async () => {
    const dir = stateDir();
    const other = await otherProcess();
    try {
      acquireStateLock(dir); // creates the dir
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: other.pid, start: '1' }));
      const lock = acquireStateLock(dir);
      expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      lock.release();
    } finally {
      await other.end();
    }
  });

  it('takes over a garbage lock file, and release leaves a lock that is no longer ours alone', () => {
    const dir = stateDir();
    const first = acquireStateLock(dir);
    writeFileSync(join(dir, LOCK_FILE), 'garbage');
    const lock = acquireStateLock(dir);
    first.release(); // not ours any more (content is the new owner's): must not delete it
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
