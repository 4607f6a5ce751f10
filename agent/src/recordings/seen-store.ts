import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** How far back (by mtime) announced names are remembered one by one; older files count as announced. */
export const SEEN_RETENTION_MS = 24 * 3600_000;

interface SeenFile {
  v: 1;
  /** Files whose mtime is below this (ms) count as announced. */
  floor_ms: number;
  /** Root-relative path → mtime (ms) of each file announced at or above the floor. */
  entries: Record<string, number>;
}

/**
 * Which recordings were announced, kept in the state dir so a restart does not announce them again and files
 * that arrived while the agent was down are still announced. Memory stays bounded: names are kept one by one
 * only for files modified within SEEN_RETENTION_MS of the newest check; anything older than the floor counts
 * as announced. On the very first start (no state file) the floor is "now": the existing history is not
 * announced, only what arrives from then on.
 */
export class SeenStore {
  private floor = 0;
  private readonly entries = new Map<string, number>();
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly stateDir: string,
    private readonly now: () => number,
    private readonly retentionMs = SEEN_RETENTION_MS,
  ) {}

  /** The state file's path. */
  get file(): string {
    return join(this.stateDir, 'recordings-seen.json');
  }

  /** Reads the state file; a missing or unreadable one starts from now (nothing old is announced). */
  async load(): Promise<void> {
    try {
      const s = JSON.parse(await readFile(this.file, 'utf8')) as SeenFile;
      if (s.v !== 1 || typeof s.floor_ms !== 'number') throw new Error('bad state');
      this.floor = s.floor_ms;
      for (const [k, v] of Object.entries(s.entries ?? {})) if (typeof v === 'number') this.entries.set(k, v);
    } catch {
      this.floor = this.now();
      this.dirty = true;
    }
  }

  /** True when `rel` was announced (or is older than what is remembered). */
  has(rel: string, mtimeMs: number): boolean {
    return mtimeMs < this.floor || this.entries.has(rel);
  }

  /** True when a file this old counts as announced whatever its name (below the floor). */
  isOld(mtimeMs: number): boolean {
    return mtimeMs < this.floor;
  }

  /** Records an announcement. */
  add(rel: string, mtimeMs: number): void {
    this.entries.set(rel, mtimeMs);
    this.dirty = true;
  }

  /** After a complete scan: raises the floor to now − retention and forgets names below it. */
  advance(): void {
    const floor = Math.max(this.floor, this.now() - this.retentionMs);
    if (floor === this.floor) return;
    this.floor = floor;
    for (const [k, m] of this.entries) if (m < floor) this.entries.delete(k);
    this.dirty = true;
  }

  /** Names remembered one by one. */
  get size(): number {
    return this.entries.size;
  }

  /** Writes the state file atomically (temp file + rename) when something changed; serialized. */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const body: SeenFile = { v: 1, floor_ms: this.floor, entries: Object.fromEntries(this.entries) };
      await mkdir(this.stateDir, { recursive: true });
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, JSON.stringify(body));
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}
