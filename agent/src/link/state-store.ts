import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutRecord } from './record';

/**
 * The latest retained snapshot per state topic while the link is down (issue 4 part 3): one small file
 * per topic, replaced atomically, so older snapshots of the same topic are never replayed. Snapshots
 * get their seq only when sent, so a superseded snapshot leaves no gap in seq.
 */
export class StateStore {
  private readonly latest = new Map<string, OutRecord>();

  /** Loads what an earlier process left in `dir`. */
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.json')) continue;
      try {
        const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as OutRecord;
        if (typeof rec.topic === 'string' && typeof rec.data === 'string' && typeof rec.type === 'string') {
          this.latest.set(rec.topic, {
            kind: 'state',
            topic: rec.topic,
            type: rec.type,
            ts: rec.ts,
            bootId: rec.bootId,
            data: rec.data,
          });
          continue;
        }
      } catch {
        // a torn file from a crash: drop it below
      }
      unlinkSync(join(dir, f));
    }
  }

  /** Number of topics holding a snapshot. */
  get size(): number {
    return this.latest.size;
  }

  /** Keeps `rec` as the latest snapshot of its topic (on disk before returning). */
  put(rec: OutRecord): void {
    const file = this.file(rec.topic);
    const plain: OutRecord = {
      kind: 'state',
      topic: rec.topic,
      type: rec.type,
      ts: rec.ts,
      bootId: rec.bootId,
      data: rec.data,
    };
    writeFileSync(`${file}.tmp`, JSON.stringify(plain), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    this.latest.set(rec.topic, plain);
  }

  /** Removes and returns every stored snapshot. */
  takeAll(): OutRecord[] {
    const all = [...this.latest.values()];
    for (const rec of all) {
      try {
        unlinkSync(this.file(rec.topic));
      } catch {
        // already gone
      }
    }
    this.latest.clear();
    return all;
  }

  private file(topic: string): string {
    return join(this.dir, `${createHash('sha256').update(topic).digest('hex').slice(0, 32)}.json`);
  }
}
