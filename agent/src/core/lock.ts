/**
 * Single-instance lock in the state directory: two agents with one state (and so one MQTT client id)
 * would evict each other from the broker in a loop. `agent.lock` is created with O_EXCL and holds the
 * owner's pid and process start time; a lock whose owner is gone (or whose pid was reused by another
 * process) is stale and taken over.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PbxlinkError } from './errors';

/** The lock file's name inside the state dir. */
export const LOCK_FILE = 'agent.lock';

/** A held lock; `release()` is idempotent and only removes the file while it is still ours. */
export interface StateLock {
  readonly path: string;
  release(): void;
}

interface LockInfo {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/PID/stat field 22), when known. */
  start?: string;
  /** Random per acquisition, so release() never removes a lock taken over by someone else. */
  nonce?: string;
}

/** Start time of a process from /proc (Linux), to tell a live owner from a recycled pid. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

function isAlive(info: LockInfo): boolean {
  if (!Number.isSafeInteger(info.pid) || info.pid <= 0) return false;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(info.pid);
  return info.start === undefined || start === undefined || start === info.start;
}

function readInfo(path: string): LockInfo | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    const j = JSON.parse(text) as Partial<LockInfo>;
    if (typeof j.pid !== 'number') return undefined;
    return {
      pid: j.pid,
      ...(typeof j.start === 'string' ? { start: j.start } : {}),
      ...(typeof j.nonce === 'string' ? { nonce: j.nonce } : {}),
    };
  } catch {
    return undefined;
  }
}

function tryCreate(path: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, `${JSON.stringify(info)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the lock in `stateDir` (created with mode 0700 when missing). Throws PbxlinkError `busy` naming
 * the owner's pid when another live pbxlink holds it.
 */
export function acquireStateLock(stateDir: string, pid: number = process.pid): StateLock {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, LOCK_FILE);
  const start = processStart(pid);
  const mine: LockInfo = { pid, ...(start ? { start } : {}), nonce: randomBytes(8).toString('hex') };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, mine)) return makeLock(path, mine);
    const owner = readInfo(path);
    if (owner === undefined) {
      // Being written right now by another starter, or garbage: give a writer a moment, then take over.
      if (attempt < 2) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
    } else if (isAlive(owner)) {
      throw new PbxlinkError('busy', `another pbxlink (pid ${owner.pid}) uses ${stateDir}`, {
        retryable: false,
        details: { pid: owner.pid },
      });
    }
    // Stale: move it aside atomically so two starters cannot both delete a fresh lock.
    const aside = `${path}.stale.${pid}`;
    try {
      renameSync(path, aside);
      const moved = readInfo(aside);
      unlinkSync(aside);
      if (moved && owner && moved.pid !== owner.pid && isAlive(moved)) {
        // We moved a lock that a competitor had just created; give it back and yield.
        tryCreate(path, moved);
        throw new PbxlinkError('busy', `another pbxlink (pid ${moved.pid}) uses ${stateDir}`, {
          retryable: false,
          details: { pid: moved.pid },
        });
      }
    } catch (e) {
      if (e instanceof PbxlinkError) throw e;
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new PbxlinkError('busy', `could not take the lock ${path} (it keeps changing)`, { retryable: true });
}

/** The pid of the live pbxlink holding the lock in `stateDir`, or undefined (for `pbxlink check`). */
export function lockOwner(stateDir: string): number | undefined {
  const owner = readInfo(join(stateDir, LOCK_FILE));
  return owner && isAlive(owner) ? owner.pid : undefined;
}

function makeLock(path: string, mine: LockInfo): StateLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const cur = readInfo(path);
      if (cur && cur.pid === mine.pid && cur.nonce === mine.nonce) {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      }
    },
  };
}
