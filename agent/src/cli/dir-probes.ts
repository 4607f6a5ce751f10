/**
 * Local checks for `pbxlink check`: the state directory (writable or creatable, and whether an agent
 * holds its lock) and the recordings root (a readable directory).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { lockOwner } from '../core/lock';
import type { ProbeResult } from './probes';

function can(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The state dir must be a writable directory, or creatable under its nearest existing parent. */
export function probeStateDir(dir: string): ProbeResult {
  if (isDir(dir)) {
    if (!can(dir, constants.W_OK | constants.X_OK))
      return { name: 'state dir', ok: false, detail: `${dir}: not writable by this user` };
    const pid = lockOwner(dir);
    return {
      name: 'state dir',
      ok: true,
      detail: `${dir}: writable${pid ? `; in use by a running pbxlink (pid ${pid})` : ''}`,
    };
  }
  let parent = dirname(dir);
  while (!isDir(parent) && parent !== dirname(parent)) parent = dirname(parent);
  return can(parent, constants.W_OK | constants.X_OK)
    ? { name: 'state dir', ok: true, detail: `${dir}: will be created` }
    : { name: 'state dir', ok: false, detail: `${dir}: missing, and ${parent} is not writable by this user` };
}

/** The recordings root must be a directory this user can read and list. */
export function probeMonitorDir(dir: string): ProbeResult {
  if (!isDir(dir)) return { name: 'monitor dir', ok: false, detail: `${dir}: not a directory` };
  if (!can(dir, constants.R_OK | constants.X_OK))
    return { name: 'monitor dir', ok: false, detail: `${dir}: not readable by this user` };
  return { name: 'monitor dir', ok: true, detail: `${dir}: readable` };
}
