// `npm run bench -- cdr-query [--quick]`: cdr.query streaming 1,000,000 CDR rows (quick: 100,000) from MariaDB
// through a real Mosquitto to a subscriber, against `mariadb --quick --batch -e 'SELECT * FROM db.cdr' > /dev/null`
// measured in the same run (issue 5 benchmark). The handler runs in a child process so its peak RSS
// (getrusage maxrss) is its own. Ends with one JSON line (DESIGN.md "Benchmarks").
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { gunzipSync } from 'node:zlib';
import { build } from 'esbuild';
import mqtt from 'mqtt';
import pino from 'pino';
import { createCdrQueryCommand } from '../../agent/src/commands/cdr';
import type { CommandContext } from '../../agent/src/commands/types';
import { FreepbxDb } from '../../agent/src/pbx/freepbx/db';
import { MAX_MESSAGE_BYTES, REPLY_OVERHEAD_BYTES } from '../../protocol/src/envelope';
import { CDR_QUERY_MAX_LIMIT } from '../../protocol/src/schemas/cdr';
import { createTestDatabases, seedCdr } from '../helpers/mariadb';
import { startMosquitto } from '../helpers/mosquitto';

interface ChildConfig {
  mqttUrl: string;
  topic: string;
  port: number;
  cdrDb: string;
  format: 'objects' | 'rows';
  compress: boolean;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Child: the agent side. Connects, says ready, waits for "go", pages through the whole table publishing parts. */
async function child(cfg: ChildConfig): Promise<void> {
  const db = new FreepbxDb({ host: '127.0.0.1', port: cfg.port, user: 'root', connectionLimit: 2 });
  const client = await mqtt.connectAsync(cfg.mqttUrl, {
    protocolVersion: 5,
    clientId: `bench-agent-${process.pid}`,
  });
  const handler = createCdrQueryCommand({
    db,
    cdrDb: cfg.cdrDb,
    cdrTable: 'cdr',
    maxRows: CDR_QUERY_MAX_LIMIT,
  });
  await db.ping();
  const idleRss = Math.round(process.memoryUsage().rss / 1024 / 1024);
  const send = (body: unknown) =>
    client.publishAsync(cfg.topic, JSON.stringify(body), { qos: 1 }).then(() => {});
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.destroy();
  let cursor: string | undefined;
  let page = 0;
  for (;;) {
    const id = `bench-${page++}`;
    let n = 0;
    const ctx: CommandContext = {
      log: pino({ level: 'silent' }),
      caller: { kid: 'bench', scopes: ['cdr:read'] },
      id,
      signal: new AbortController().signal,
      maxPayloadBytes: MAX_MESSAGE_BYTES - REPLY_OVERHEAD_BYTES,
      part: (data) => send({ v: 1, id, ok: true, part: ++n, data }),
      publishBlob: async () => {},
    };
    const args = {
      limit: CDR_QUERY_MAX_LIMIT,
      format: cfg.format,
      compress: cfg.compress,
      ...(cursor ? { cursor } : {}),
    };
    const result = (await handler.handle(args as never, ctx)) as {
      count: number;
      next_cursor: string | null;
    };
    await send({ v: 1, id, ok: true, done: true, data: result });
    if (result.next_cursor === null) break;
    cursor = result.next_cursor;
  }
  const peak = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${JSON.stringify({ peak_rss_mb: peak, idle_rss_mb: idleRss })}\n`);
  await Promise.race([client.endAsync(), new Promise((r) => setTimeout(r, 2000))]);
  await db.close();
  process.exit(0);
}

/** Baseline: the mariadb client reading every row to /dev/null. */
async function baseline(db: string): Promise<number> {
  const devnull = openSync('/dev/null', 'w');
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const p = spawn(
      'mariadb',
      ['--quick', '--batch', '-h', '127.0.0.1', '-u', 'root', '-e', `SELECT * FROM \`${db}\`.cdr`],
      {
        stdio: ['ignore', devnull, 'inherit'],
      },
    );
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mariadb exited ${code}`))));
  });
  closeSync(devnull);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** One streamed run: child publishes, this process subscribes and counts rows until the last done. */
async function streamRun(
  base: Omit<ChildConfig, 'format' | 'compress' | 'topic'>,
  format: 'objects' | 'rows',
  compress: boolean,
  expectRows: number,
) {
  const topic = `P/bench/reply/${format}-${compress ? 'gz' : 'plain'}`;
  const sub = await mqtt.connectAsync(base.mqttUrl, {
    protocolVersion: 5,
    clientId: `bench-sub-${process.pid}-${topic}`,
  });
  await sub.subscribeAsync(topic, { qos: 1 });
  let rows = 0;
  let bytes = 0;
  let messages = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  sub.on('message', (_t, payload) => {
    bytes += payload.length;
    messages++;
    const m = JSON.parse(payload.toString('utf8')) as {
      done?: boolean;
      data: { rows?: unknown; encoding?: string; next_cursor?: string | null };
    };
    if (m.done) {
      if (m.data.next_cursor === null) resolveDone();
      return;
    }
    const r =
      m.data.encoding === 'gzip+base64'
        ? JSON.parse(gunzipSync(Buffer.from(String(m.data.rows), 'base64')).toString('utf8'))
        : m.data.rows;
    rows += (r as unknown[]).length;
  });
  const cfg: ChildConfig = { ...base, topic, format, compress };
  const flags = (process.env.BENCH_AGENT_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const c = spawn(process.execPath, [...flags, childBundle, '--child', JSON.stringify(cfg)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: c.stdout! });
  const it = lines[Symbol.asyncIterator]();
  const exited = new Promise<never>((_, reject) =>
    c.once('exit', (code) => reject(new Error(`agent-side child exited early (code ${code})`))),
  );
  const first = await Promise.race([it.next(), exited]);
  if (first.value !== 'ready') throw new Error(`child said ${first.value}`);
  const t0 = process.hrtime.bigint();
  c.stdin!.end('go\n');
  await Promise.race([done, exited]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const last = await it.next();
  const { peak_rss_mb, idle_rss_mb } = JSON.parse(String(last.value)) as {
    peak_rss_mb: number;
    idle_rss_mb: number;
  };
  exited.catch(() => {});
  if (c.exitCode === null) await new Promise((r) => c.once('exit', r));
  await sub.endAsync();
  if (rows !== expectRows) throw new Error(`subscriber counted ${rows} rows, expected ${expectRows}`);
  return {
    format,
    compress,
    rows,
    seconds,
    rows_per_s: Math.round(rows / seconds),
    mb: +(bytes / 1e6).toFixed(1),
    messages,
    peak_rss_mb,
    idle_rss_mb,
  };
}

/** The agent side bundled with esbuild (as the agent ships), so its RSS does not include the tsx compiler. */
let childBundle = '';
async function bundleChild(): Promise<void> {
  childBundle = new URL('../../node_modules/.cache/pbxlink-bench/cdr-query-child.mjs', import.meta.url)
    .pathname;
  await build({
    entryPoints: [new URL(import.meta.url).pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: childBundle,
    logLevel: 'error',
  });
}

async function main(): Promise<void> {
  await bundleChild();
  const quick = process.argv.includes('--quick');
  const rowsArg = process.argv.indexOf('--rows');
  const N = rowsArg >= 0 ? Number(process.argv[rowsArg + 1]) : quick ? 100_000 : 1_000_000;
  const t = await createTestDatabases({ cdr: 'freepbx-2.11' });
  const broker = await startMosquitto();
  try {
    log(`seeding ${N} CDR rows into ${t.cdrDb}.cdr (FreePBX 2.11 schema) …`);
    const s0 = Date.now();
    await seedCdr(
      t.cdrDb,
      { count: N },
      { batch: 5000, onProgress: (d) => d % 200_000 === 0 && log(`  ${d} rows`) },
    );
    log(`seeded in ${((Date.now() - s0) / 1000).toFixed(1)} s`);
    await baseline(t.cdrDb); // warm the cache
    const bl = Math.min(await baseline(t.cdrDb), await baseline(t.cdrDb));
    const baselineRate = Math.round(N / bl);
    log(`baseline mariadb --quick --batch: ${bl.toFixed(2)} s, ${baselineRate} rows/s`);
    const base = { mqttUrl: broker.url, port: t.port, cdrDb: t.cdrDb };
    const runs = [];
    for (const [format, compress] of [
      ['objects', false],
      ['rows', false],
      ['rows', true],
      ['objects', true],
    ] as const) {
      const r = await streamRun(base, format, compress, N);
      runs.push(r);
      log(
        `cdr.query format=${format} compress=${compress}: ${r.seconds.toFixed(2)} s, ${r.rows_per_s} rows/s (${(r.rows_per_s / baselineRate).toFixed(2)}× baseline), ${r.messages} messages, ${r.mb} MB on the wire, agent peak RSS ${r.peak_rss_mb} MB (${r.idle_rss_mb} MB connected and idle)`,
      );
    }
    const main = runs[0]!; // format objects, no compression: the default a consumer gets
    const best = runs.reduce((a, b) => (b.rows_per_s > a.rows_per_s ? b : a));
    log(
      JSON.stringify({
        bench: 'cdr-query',
        rows: N,
        rows_per_s: main.rows_per_s,
        baseline_rows_per_s: baselineRate,
        ratio: +(main.rows_per_s / baselineRate).toFixed(2),
        peak_rss_mb: Math.max(...runs.map((r) => r.peak_rss_mb)),
        best: {
          format: best.format,
          compress: best.compress,
          rows_per_s: best.rows_per_s,
          ratio: +(best.rows_per_s / baselineRate).toFixed(2),
        },
        runs: runs.map((r) => ({
          format: r.format,
          compress: r.compress,
          rows_per_s: r.rows_per_s,
          ratio: +(r.rows_per_s / baselineRate).toFixed(2),
          mb: r.mb,
          messages: r.messages,
          peak_rss_mb: r.peak_rss_mb,
          idle_rss_mb: r.idle_rss_mb,
        })),
      }),
    );
  } finally {
    await broker.stop();
    await t.drop();
  }
}

const i = process.argv.indexOf('--child');
if (i >= 0) await child(JSON.parse(process.argv[i + 1] ?? '{}') as ChildConfig);
else await main();
