import { lstat, opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Exec, ExecError } from './exec';

/** Size of one watched folder (state.disks `folders[]`): `bytes` null with `error` when it could not be measured. */
export interface FolderSizeResult {
  path: string;
  bytes: number | null;
  error?: string;
}

/** Limits of one walk. */
export interface WalkOptions {
  /** lstat calls in flight at once (default 16; libuv runs 4 at a time, the rest queue cheaply). */
  concurrency?: number;
  /** Give up after this many ms (default 60 s): `bytes` null with an error saying so. */
  budgetMs?: number;
  /** Monotonic ms clock (injectable). */
  now?: () => number;
  signal?: AbortSignal;
}

/**
 * Apparent size of a folder tree in bytes, as `du -sb` counts it: every entry's lstat size (files,
 * directories, symlinks themselves), hard-linked files once. Symlinks inside are never followed (no loops,
 * no escaping the tree); a symlink given as the root itself is followed, since FreePBX boxes often
 * link the monitor or backup folder to a bigger disk. All I/O is async with bounded concurrency, so the
 * event loop keeps serving. Unreadable subfolders are skipped and named in `error`, with the partial sum.
 */
export async function walkFolderSize(path: string, opts: WalkOptions = {}): Promise<FolderSizeResult> {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const budget = opts.budgetMs ?? 60_000;
  const limit = Math.max(1, opts.concurrency ?? 16);
  let rootStat: Awaited<ReturnType<typeof stat>>;
  try {
    rootStat = await stat(path);
  } catch (err) {
    return { path, bytes: null, error: errText(err) };
  }
  if (!rootStat.isDirectory()) return { path, bytes: rootStat.size };

  let bytes = rootStat.size;
  let unreadable = 0;
  let firstProblem = '';
  const seenLinks = new Set<string>();
  const dirs: string[] = [path];
  // One loop lists folders and launches lstat calls; it waits for a free slot through `wake`
  // (O(1) per entry; a Promise.race over the in-flight set would add reactions to every pending call).
  let active = 0;
  let wake: (() => void) | null = null;
  const slotFreed = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });
  const noteProblem = (err: unknown) => {
    if (unreadable++ === 0) firstProblem = errText(err);
  };
  const measure = async (p: string): Promise<void> => {
    try {
      const st = await lstat(p);
      if (st.isDirectory()) dirs.push(p);
      else if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seenLinks.has(key)) return;
        seenLinks.add(key);
      }
      bytes += st.size;
    } catch (err) {
      // Vanished between readdir and lstat (log rotation): not a problem worth reporting.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') noteProblem(err);
    }
  };
  const overBudget = () => now() - started > budget || opts.signal?.aborted === true;

  const launch = (p: string) => {
    active++;
    void measure(p).finally(() => {
      active--;
      const w = wake;
      wake = null;
      w?.();
    });
  };
  const drain = async () => {
    while (active > 0) await slotFreed();
  };

  while (dirs.length > 0 || active > 0) {
    const dir = dirs.pop();
    if (dir === undefined) {
      await slotFreed();
      continue;
    }
    try {
      const handle = await opendir(dir, { bufferSize: 64 });
      for await (const entry of handle) {
        if (overBudget()) break;
        while (active >= limit) await slotFreed();
        launch(join(dir, entry.name));
      }
    } catch (err) {
      noteProblem(err);
    }
    if (overBudget()) {
      await drain();
      const why = opts.signal?.aborted ? 'aborted' : `not finished within ${Math.round(budget / 1000)} s`;
      return { path, bytes: null, error: why };
    }
  }
  return unreadable === 0
    ? { path, bytes }
    : {
        path,
        bytes,
        error: `${unreadable} entr${unreadable === 1 ? 'y' : 'ies'} unreadable (first: ${firstProblem})`,
      };
}

/**
 * The same figure from GNU `du -s -b -D PATH` in a child process (-D: a symlink given as the folder is
 * followed, as the walk does). Measured faster than the walk and free of event-loop work (see the
 * folder-sizes benchmark); BusyBox du lacks -b and yields bytes null, which the caller takes as "use the walk".
 */
export async function duFolderSize(
  path: string,
  exec: Exec,
  opts: { timeoutMs?: number; duBin?: string; signal?: AbortSignal } = {},
): Promise<FolderSizeResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  try {
    const r = await exec(opts.duBin ?? 'du', ['-s', '-b', '-D', '--', path], {
      timeoutMs,
      signal: opts.signal,
    });
    const n = /^(\d+)\s/.exec(r.stdout);
    if (!n?.[1]) return { path, bytes: null, error: firstLine(r.stderr) || `du exited with ${r.code}` };
    const bytes = Number(n[1]);
    // Exit 1 with a figure: some entries were unreadable; the figure is what du could count.
    return r.code === 0 ? { path, bytes } : { path, bytes, error: firstLine(r.stderr) };
  } catch (err) {
    if (err instanceof ExecError && err.errno === 'ETIMEDOUT') {
      return { path, bytes: null, error: `not finished within ${Math.round(timeoutMs / 1000)} s` };
    }
    if (opts.signal?.aborted || (err instanceof ExecError && err.errno === 'ABORT_ERR'))
      return { path, bytes: null, error: 'aborted' };
    return { path, bytes: null, error: errText(err) };
  }
}

/** True when a size attempt ended on the time budget or an abort (no point trying another method). */
export function gaveUp(r: FolderSizeResult): boolean {
  return r.bytes === null && (r.error === 'aborted' || (r.error?.startsWith('not finished within') ?? false));
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 300);
}

/** A short error text: errno code and path, no stack. */
export function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code && e.path) return `${e.code}: ${e.path}`.slice(0, 300);
  return String(e?.message ?? err).slice(0, 300);
}
