import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { Timer } from '../core/clock';
import type { Logger } from '../core/log';
import type { Module, ModuleContext } from '../core/module';
import { describeRecording, type RecordingNewData } from '../recordings/announce';
import { type RecordingFile, realRoot, resolveUnderRoot } from '../recordings/confine';
import { HashCache } from '../recordings/hash';
import { splitExtension } from '../recordings/name';
import { SeenStore } from '../recordings/seen-store';

/** Options of the recordings watcher. */
export interface RecordingsWatcherOptions {
  /** The monitor root (PBXLINK_MONITOR_DIR). */
  root: string;
  /** The agent's state dir (PBXLINK_STATE_DIR): remembers what was announced. */
  stateDir: string;
  /** A file counts as complete once its size has not changed for this long (ms). Default 3000:
   * MixMonitor writes every 20 ms for the whole call, so a pause this long means it closed the file. */
  stabilityMs?: number;
  /** How often the root is checked for removal / re-creation (ms). Default 5000. */
  rootCheckMs?: number;
  /** Poll instead of inotify (network file systems). */
  usePolling?: boolean;
  /** Shared with recordings.get, so a get right after the announcement does not hash again. */
  hashes?: HashCache;
  /** Called after each announcement (push mode), not awaited. Errors are logged, never thrown back. */
  onRecording?(file: RecordingFile, data: RecordingNewData): void | Promise<void>;
  /** Files waiting to be announced at most; beyond it new ones wait for the next rescan. */
  maxQueue?: number;
}

/** Folder depth watched: `YYYY/MM/DD/file` (§12.2) and flat (§12.1). */
const DEPTH = 3;

/**
 * Watches the monitor folder (flat and `YYYY/MM/DD`) and publishes `recording.new` once per complete file:
 * path relative to the root, size, format, duration, the name's uniqueid and parties (§12), sha256.
 * Survives the root being removed and recreated; what was announced is kept in the state dir, so a restart
 * announces only what arrived meanwhile.
 */
export class RecordingsWatcher implements Module {
  readonly name = 'recordings';
  private ctx: ModuleContext | undefined;
  private log: Logger | undefined;
  private watcher: FSWatcher | undefined;
  private watchedIno: number | undefined;
  private timer: Timer | undefined;
  private store: SeenStore | undefined;
  private readonly hashes: HashCache;
  private readonly queue = new Set<string>();
  private working = false;
  private stopped = true;
  private rootMissing = false;
  private scanning = false;
  private checking = false;
  private readonly later = new Set<Timer>();

  constructor(private readonly opts: RecordingsWatcherOptions) {
    this.hashes = opts.hashes ?? new HashCache();
  }

  /** Loads the announced list and starts watching in the background (returns at once). */
  start(ctx: ModuleContext): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.ctx = ctx;
    this.log = ctx.log;
    this.store = new SeenStore(this.opts.stateDir, () => ctx.clock.now());
    const store = this.store;
    void store
      .load()
      .then(() => store.flush())
      .catch((e) => this.log?.warn({ err: (e as Error).message }, 'recordings state not writable'))
      .then(() => this.checkRoot());
    this.timer = ctx.clock.setInterval(() => void this.checkRoot(), this.opts.rootCheckMs ?? 5000);
  }

  /** Stops watching and saves what was announced. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ctx?.clock.clearInterval(this.timer);
    this.timer = undefined;
    this.queue.clear();
    for (const t of this.later) this.ctx?.clock.clearTimeout(t);
    this.later.clear();
    await this.closeWatcher();
    await this.store?.flush().catch(() => {});
  }

  /** Degraded while the monitor root is missing. */
  health(): { status: 'ok' | 'degraded'; reason?: string } {
    return this.rootMissing
      ? { status: 'degraded', reason: `monitor root ${this.opts.root} is missing` }
      : { status: 'ok' };
  }

  private async closeWatcher(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    this.watchedIno = undefined;
    await w?.close().catch(() => {});
  }

  /** (Re)starts the watcher when the root appeared or was replaced; closes it when the root went away. */
  private async checkRoot(): Promise<void> {
    if (this.stopped || this.checking) return;
    this.checking = true;
    try {
      let ino: number | undefined;
      try {
        const st = await stat(this.opts.root);
        ino = st.isDirectory() ? st.ino : undefined;
      } catch {
        ino = undefined;
      }
      if (ino === undefined) {
        if (!this.rootMissing)
          this.log?.warn({ root: this.opts.root }, 'monitor root missing; waiting for it');
        this.rootMissing = true;
        await this.closeWatcher();
        return;
      }
      if (this.rootMissing) this.log?.info({ root: this.opts.root }, 'monitor root back');
      this.rootMissing = false;
      if (this.watcher && this.watchedIno === ino) return;
      await this.closeWatcher();
      if (!this.stopped) this.openWatcher(ino);
    } finally {
      this.checking = false;
    }
  }

  private openWatcher(ino: number): void {
    const root = this.opts.root;
    const stability = this.opts.stabilityMs ?? 3000;
    const w = watch(root, {
      ignoreInitial: false,
      depth: DEPTH,
      followSymlinks: false,
      usePolling: this.opts.usePolling ?? false,
      interval: 1000,
      awaitWriteFinish: {
        stabilityThreshold: stability,
        pollInterval: Math.max(50, Math.min(500, stability / 4)),
      },
      // Only audio files; hidden files and folders under the root (temp files, .trash) are never recordings.
      ignored: (p, st) => {
        const rel = relative(root, p);
        if (rel === '' || rel.startsWith('..')) return false;
        if (rel.split(sep).some((part) => part.startsWith('.'))) return true;
        if (!st?.isFile()) return false;
        // Files below the announced floor are history: not tracked at all, so a PBX with years of recordings
        // costs no write-finish polling and no per-file state at start.
        return splitExtension(rel.split(sep).pop() ?? '').format === '' || !!this.store?.isOld(st.mtimeMs);
      },
    });
    this.watcher = w;
    this.watchedIno = ino;
    this.scanning = true;
    w.on('add', (p: unknown) => this.enqueue(relative(root, String(p)).split(sep).join('/')));
    w.on('ready', () => {
      this.scanning = false;
      this.log?.info({ root }, 'watching recordings');
      this.maybeAdvance();
    });
    w.on('error', (e) => {
      this.log?.warn({ err: (e as Error).message }, 'recordings watcher error; restarting');
      if (this.watcher === w) void this.closeWatcher();
    });
  }

  private enqueue(rel: string): void {
    if (this.stopped || rel.startsWith('..')) return;
    if (this.queue.size >= (this.opts.maxQueue ?? 100_000)) return; // picked up by a later rescan
    this.queue.add(rel);
    void this.work();
  }

  /** Announces queued files one at a time (bounded CPU and I/O on the PBX). */
  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (;;) {
        const rel = this.queue.values().next().value as string | undefined;
        if (rel === undefined || this.stopped) break;
        this.queue.delete(rel);
        await this.announce(rel).catch((e) =>
          this.log?.warn({ path: rel, err: (e as Error).message }, 'recording not announced'),
        );
      }
    } finally {
      this.working = false;
    }
    this.maybeAdvance();
  }

  private async announce(rel: string): Promise<void> {
    const store = this.store;
    const ctx = this.ctx;
    if (!store || !ctx) return;
    // The file is re-resolved under the root's real path: a symlink leaving the root is never announced.
    const file = await resolveUnderRoot(await realRoot(this.opts.root), rel, true);
    if (!file || store.has(file.rel, file.mtimeMs)) return;
    // chokidar 4.0.2 applies awaitWriteFinish only after 'ready' (index.js _emit: `&& this._readyEmitted`): a
    // file found by a (re)scan comes at once, maybe mid-write. One written to within the stability window waits.
    const stability = this.opts.stabilityMs ?? 3000;
    const age = ctx.clock.now() - file.mtimeMs;
    if (age < stability) {
      const t = ctx.clock.setTimeout(
        () => {
          this.later.delete(t);
          this.enqueue(rel);
        },
        stability - age + 50,
      );
      this.later.add(t);
      return;
    }
    const data = await describeRecording(file, this.hashes);
    if (this.stopped) return;
    ctx.publisher.publishEvent('recording.new', data);
    store.add(file.rel, file.mtimeMs);
    void store.flush().catch(() => {});
    this.log?.debug({ path: file.rel, size: file.size }, 'recording announced');
    // Push runs on its own (its module queues); announcing the next file does not wait for an upload.
    const hook = this.opts.onRecording;
    if (hook) {
      void Promise.resolve()
        .then(() => hook(file, data))
        .catch((e) => this.log?.warn({ path: file.rel, err: (e as Error).message }, 'recording push failed'));
    }
  }

  /** After the initial scan has been announced, older names may be forgotten (bounded state). */
  private maybeAdvance(): void {
    if (this.scanning || this.working || this.queue.size > 0 || !this.store) return;
    this.store.advance();
    void this.store.flush().catch(() => {});
  }
}
