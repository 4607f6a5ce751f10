import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import type { Exec } from './exec';
import { duFolderSize, type FolderSizeResult, gaveUp, walkFolderSize } from './folder-size';
import { type DfRow, parseDf } from './parse-df';

/** state.disks data and the `system.disks` result (protocol DisksState). */
export interface DisksData {
  root: DfRow;
  folders: FolderSizeResult[];
}

/** The seed's getharddrivers folders; the monitor folder (PBXLINK_MONITOR_DIR) is added by the caller. */
export const DEFAULT_FOLDERS = [
  '/var/log',
  '/opt',
  '/var/spool/asterisk/voicemail',
  '/var/www/backup',
  '/etc',
] as const;

/** Where disk figures come from; all injectable. */
export interface DiskSources {
  exec: Exec;
  /** Filesystem whose figures fill `root` (default `/`). */
  rootPath?: string;
  /** Folders to size, in order (default DEFAULT_FOLDERS). */
  folders?: readonly string[];
  /** Default /proc (for the mount table). */
  procRoot?: string;
  /** `auto` (default): `du`, and the walk when du cannot give a figure (absent, BusyBox); or only `du`, or only `walk`. */
  folderMethod?: 'auto' | 'walk' | 'du';
  /** The du program (default `du` on PATH). */
  duBin?: string;
  /** Per-folder time budget in ms (default 60 s). */
  folderBudgetMs?: number;
  /** Test hook: pretend fs.statfs does not exist (Node < 18.15) to exercise the df fallback. */
  noStatfs?: boolean;
}

/** Reads the root filesystem figures and the folder sizes (folders one after another, to keep the disk calm). */
export async function readDisks(src: DiskSources, signal?: AbortSignal): Promise<DisksData> {
  const root = await readFilesystem(src.rootPath ?? '/', src);
  const folders: FolderSizeResult[] = [];
  for (const path of src.folders ?? DEFAULT_FOLDERS) {
    folders.push(await sizeFolder(path, src, signal));
  }
  return { root, folders };
}

/** One folder's size by the configured method (see DiskSources.folderMethod). */
export async function sizeFolder(
  path: string,
  src: DiskSources,
  signal?: AbortSignal,
): Promise<FolderSizeResult> {
  const method = src.folderMethod ?? 'auto';
  const walk = () => walkFolderSize(path, { budgetMs: src.folderBudgetMs, signal });
  if (method === 'walk') return walk();
  const du = await duFolderSize(path, src.exec, { timeoutMs: src.folderBudgetMs, signal, duBin: src.duBin });
  if (method === 'du' || du.bytes !== null || gaveUp(du)) return du;
  return walk();
}

/**
 * Size/used/avail/use%/mount of the filesystem holding `path`, as `df` prints them: fs.statfs when Node
 * has it (≥ 18.15), with the device name from the mount table; otherwise `df -Pk PATH` (POSIX format,
 * also BusyBox).
 */
export async function readFilesystem(
  path: string,
  src: Pick<DiskSources, 'exec' | 'procRoot' | 'noStatfs'>,
): Promise<DfRow> {
  const statfs = src.noStatfs ? undefined : (fsp as { statfs?: typeof fsp.statfs }).statfs;
  if (statfs) {
    try {
      const s = await statfs(path);
      const mount = await findMount(path, src.procRoot ?? '/proc');
      const size = s.blocks * s.bsize;
      const used = (s.blocks - s.bfree) * s.bsize;
      const avail = s.bavail * s.bsize;
      return {
        filesystem: mount?.source ?? 'unknown',
        size_bytes: size,
        used_bytes: used,
        avail_bytes: avail,
        // df's Use%: used / (used + avail), rounded up (the reserved blocks are not "available").
        use_pct: used + avail > 0 ? Math.min(100, Math.ceil((used * 100) / (used + avail))) : 0,
        mount: mount?.mountpoint ?? path,
      };
    } catch {
      // fall through to df
    }
  }
  const r = await src.exec('df', ['-Pk', '--', path], { timeoutMs: 10_000 });
  const row = parseDf(r.stdout)[0];
  if (!row) throw new Error(`df gave no figures for ${path}: ${r.stderr.trim().slice(0, 200)}`);
  return row;
}

/** The mount table entry (source, mount point) with the longest mount point containing `path`. */
export async function findMount(
  path: string,
  procRoot = '/proc',
): Promise<{ source: string; mountpoint: string } | null> {
  let real: string;
  try {
    real = await fsp.realpath(path);
  } catch {
    real = path;
  }
  let text: string;
  try {
    text = await fsp.readFile(join(procRoot, 'self', 'mounts'), 'utf8');
  } catch {
    return null;
  }
  let best: { source: string; mountpoint: string } | null = null;
  for (const line of text.split('\n')) {
    const [source, rawMount] = line.split(' ');
    if (!source || !rawMount) continue;
    // /proc/mounts escapes space, tab, newline and backslash as octal (\040 …).
    const mountpoint = rawMount.replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    const inside = mountpoint === '/' || real === mountpoint || real.startsWith(`${mountpoint}/`);
    if (inside && (best === null || mountpoint.length >= best.mountpoint.length))
      best = { source, mountpoint };
  }
  return best;
}
