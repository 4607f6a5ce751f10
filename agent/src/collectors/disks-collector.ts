import { type DiskSources, type DisksData, readDisks } from './disks';
import { PolledCollector, type PollOptions } from './polled-collector';

/** What decides a disks republication. */
interface DisksView {
  /** Filesystem identity, folder list and which folders failed: any change republishes. */
  key: string;
  usePct: number;
  folderBytes: (number | null)[];
}

/** Republish thresholds: the root's Use% moved by ≥ 1 point, or a folder by ≥ max(1 MiB, 1 %). */
export const DISKS_THRESHOLDS = { usePctPoints: 1, folderMinBytes: 1024 * 1024, folderRatio: 0.01 } as const;

/** state/disks: the root filesystem and watched folder sizes (seed getharddrivers), every 5 min by default. */
export class DisksCollector extends PolledCollector<DisksData, DisksView> {
  readonly name = 'disks';

  constructor(
    private readonly sources: DiskSources,
    opts: PollOptions = {},
  ) {
    super('disks', '0 */5 * * * *', opts);
  }

  collect(): Promise<DisksData> {
    return readDisks(this.sources);
  }

  protected view(d: DisksData): DisksView {
    const key = JSON.stringify([
      d.root.filesystem,
      d.root.mount,
      d.root.size_bytes,
      d.folders.map((f) => [f.path, f.bytes === null, f.error ?? null]),
    ]);
    return { key, usePct: d.root.use_pct, folderBytes: d.folders.map((f) => f.bytes) };
  }

  protected changed(a: DisksView, b: DisksView): boolean {
    if (a.key !== b.key) return true;
    if (Math.abs(a.usePct - b.usePct) >= DISKS_THRESHOLDS.usePctPoints) return true;
    return b.folderBytes.some((n, i) => {
      const prev = a.folderBytes[i];
      if (n === null || prev === null || prev === undefined) return n !== prev;
      return (
        Math.abs(n - prev) >= Math.max(DISKS_THRESHOLDS.folderMinBytes, prev * DISKS_THRESHOLDS.folderRatio)
      );
    });
  }
}
