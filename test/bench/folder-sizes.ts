// Walk vs `du -sb` for folder sizes (collectors/folder-size.ts). Proposed home: test/bench/folder-sizes.ts.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createExec } from '../../agent/src/collectors/exec';
import { duFolderSize, walkFolderSize } from '../../agent/src/collectors/folder-size';

const quick = process.argv.includes('--quick');
const DAYS = quick ? 60 : 365;
const PER_DAY = quick ? 100 : 300;
const root = await mkdtemp(join(tmpdir(), 'pbxlink-bench-fs-'));
console.log(`building a monitor-like tree: ${DAYS} day folders × ${PER_DAY} recordings …`);
for (let d = 0; d < DAYS; d++) {
  const dir = join(
    root,
    '2026',
    String(1 + Math.floor(d / 31)).padStart(2, '0'),
    String(1 + (d % 31)).padStart(2, '0'),
  );
  await mkdir(dir, { recursive: true });
  await Promise.all(
    Array.from({ length: PER_DAY }, (_, i) =>
      writeFile(join(dir, `out-${d}-${i}.wav`), Buffer.alloc(100 + i)),
    ),
  );
}
const files = DAYS * PER_DAY;
const exec = createExec();

async function measure(label: string, fn: () => Promise<{ bytes: number | null }>) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const rss0 = process.memoryUsage.rss();
  let peak = rss0;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  h.enable();
  const t0 = performance.now();
  const r = await fn();
  const ms = performance.now() - t0;
  h.disable();
  clearInterval(t);
  const out = {
    label,
    ms: Math.round(ms),
    files_per_s: Math.round(files / (ms / 1000)),
    bytes: r.bytes,
    loop_p99_ms: +(h.percentile(99) / 1e6).toFixed(2),
    loop_max_ms: +(h.max / 1e6).toFixed(2),
    rss_growth_mb: +((peak - rss0) / 2 ** 20).toFixed(1),
  };
  console.log(
    `${label}: ${out.ms} ms, ${out.files_per_s} files/s, loop p99 ${out.loop_p99_ms} ms max ${out.loop_max_ms} ms, rss +${out.rss_growth_mb} MB, bytes ${r.bytes}`,
  );
  return out;
}

const results: Awaited<ReturnType<typeof measure>>[] = [];
for (let round = 0; round < 2; round++) {
  results.push(await measure(`du -sb (round ${round + 1})`, () => duFolderSize(root, exec)));
  for (const c of [4, 16, 64])
    results.push(
      await measure(`walk c=${c} (round ${round + 1})`, () => walkFolderSize(root, { concurrency: c })),
    );
}
await rm(root, { recursive: true, force: true });
const last = (l: string) => results.filter((r) => r.label.startsWith(l)).at(-1)!;
const du = last('du -sb');
const walk = last('walk c=16');
console.log(
  JSON.stringify({
    bench: 'folder-sizes',
    files,
    du_ms: du.ms,
    walk_ms: walk.ms,
    ratio: +(du.ms / walk.ms).toFixed(2),
    walk_loop_p99_ms: walk.loop_p99_ms,
    walk_loop_max_ms: walk.loop_max_ms,
    du_loop_max_ms: du.loop_max_ms,
    walk_rss_growth_mb: walk.rss_growth_mb,
    same_bytes: du.bytes === walk.bytes,
  }),
);
