// `npm run bench -- recording-transfer [--quick]`: one 200 MB recording (quick: 30 MB) sent by the REAL agent
// process (`node dist/pbxlink.js run`: its MQTT link, command router and recordings.get, no database) through a
// real Mosquitto to the consumer client (downloadRecording, the code behind `pbxctl recording get`), against a
// plain TCP copy of the same file over loopback measured in the same run (issue 7 benchmark). The agent's RSS is
// read from /proc/<pid>/status (VmRSS) every 50 ms: rss_growth_mb = peak RSS during a transfer − RSS just
// before it, worst of three rounds. The agent is started as the service starts it: the Node flags and environment of
// packaging/sysconfig/pbxlink; `--agent-flags="…"` adds node flags after those (experiments).
// Ends with one JSON line (DESIGN.md "Benchmarks").
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createReadStream, createWriteStream, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { PbxlinkClient } from '../../protocol/src/client/client';
import { downloadRecording } from '../../protocol/src/client/transfer';
import { publicJwk } from '../../protocol/src/signing';
import { startMosquitto } from '../helpers/mosquitto';
import { serviceLaunch } from '../helpers/service-env';
import { fileSha256, writeWav } from '../integration/recordings-harness';
import { startAmiSimulator } from '../sim/server';
import { ProcSampler } from './event-latency-proc';

const AGENT = 'bench-rec';
const PREFIX = 'pbxlink/v1';
const NAME = 'out-5551234-200-20240115-100000-1705309200.36.wav';

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A plain TCP copy of `file` over loopback into `out`: bytes per second. */
async function tcpCopy(file: string, out: string): Promise<number> {
  const server = createServer((sock) => createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(sock));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const sock = tcpConnect(port, '127.0.0.1');
    const ws = createWriteStream(out);
    sock.pipe(ws);
    ws.on('finish', resolve);
    ws.on('error', reject);
  });
  const s = (performance.now() - t0) / 1000;
  server.close();
  return (await stat(out)).size / s;
}

/** Starts the agent process on `broker`, with `root` as its monitor dir; resolves once its birth is seen. */
async function startAgent(
  base: string,
  brokerUrl: string,
  amiPort: number,
  publicKey: import('node:crypto').KeyObject,
): Promise<{ agent: ChildProcess; sampler: ProcSampler; tail: string[] }> {
  writeFileSync(
    join(base, 'trusted-keys.json'),
    JSON.stringify([{ kid: 'bench', publicKey: publicJwk(publicKey), scopes: ['recordings:read'] }]),
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PBXLINK_')) env[k] = v;
  const service = serviceLaunch();
  const flags = [
    ...service.nodeFlags,
    ...(process.argv.find((a) => a.startsWith('--agent-flags='))?.slice(14) ?? '')
      .split(/\s+/)
      .filter(Boolean),
  ];
  const watcher = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, clean: true, reconnectPeriod: 0 });
  let online = false;
  watcher.on('message', (topic, payload) => {
    if (topic.endsWith('/status')) online = payload.includes('"online":true');
  });
  await watcher.subscribeAsync(`${PREFIX}/${AGENT}/#`, { qos: 1 });
  const agent = spawn(process.execPath, [...flags, 'dist/pbxlink.js', 'run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      ...service.env,
      PBXLINK_AGENT_ID: AGENT,
      PBXLINK_BROKER_URL: brokerUrl,
      PBXLINK_AMI_URL: `ami://admin:amp111@127.0.0.1:${amiPort}`,
      PBXLINK_STATE_DIR: join(base, 'state'),
      PBXLINK_MONITOR_DIR: join(base, 'monitor'),
      PBXLINK_TRUSTED_KEYS: join(base, 'trusted-keys.json'),
      PBXLINK_APPLY_CMD: '/bin/true',
      PBXLINK_DISCOVERY: 'off',
      PBXLINK_LOG_LEVEL: 'warn',
    },
  });
  const tail: string[] = [];
  const keep = (d: Buffer) => {
    for (const l of d.toString('utf8').split('\n')) if (l) tail.push(l) > 50 && tail.shift();
  };
  agent.stdout!.on('data', keep);
  agent.stderr!.on('data', keep);
  const end = performance.now() + 60_000;
  // The file predates the agent's first start, so its watcher does not announce (or hash) it: the rounds below
  // measure recordings.get alone.
  while (!online) {
    if (performance.now() > end || agent.exitCode !== null)
      throw new Error(`agent not online\n${tail.join('\n')}`);
    await sleep(50);
  }
  await watcher.endAsync(true);
  await sleep(2000); // let the startup work settle before the first RSS baseline
  return { agent, sampler: new ProcSampler(agent.pid!), tail };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const mb = quick ? 30 : 200;
  const base = await mkdtemp(join(tmpdir(), 'pbxl-bench-rec-'));
  const root = join(base, 'monitor');
  await mkdir(join(root, '2024/01/15'), { recursive: true });
  const file = join(root, '2024/01/15', NAME);
  log(`writing a ${mb} MB WAV`);
  await writeWav(file, mb * 1024 * 1024, 256 * 1024);
  const bytes = (await stat(file)).size;
  // Mosquitto queues at most 1000 messages (max_queued_messages) for a subscriber that lags; beyond that it drops
  // chunks and the client must resume (the agent's window is bounded by PUBACKs from the broker, not by the
  // consumer). The bench measures transfer speed and agent memory, so the queue is raised above the chunk count.
  const broker = await startMosquitto({ maxQueuedMessages: 100_000 });
  const sim = await startAmiSimulator({ dialect: '13', speed: 0, authFailDelayMs: 10 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  log(
    `starting the agent process (node ${serviceLaunch().nodeFlags.join(' ')} dist/pbxlink.js run, flags from packaging/sysconfig/pbxlink) and waiting for its birth`,
  );
  const { agent, sampler, tail } = await startAgent(base, broker.url, sim.port, publicKey);
  const baseRss = sampler.rssMb() * 1024 * 1024;
  try {
    // Rounds alternate a plain TCP copy and a pbxlink transfer of the same (cached) file, each writing to the
    // same disk; the best of each is compared, so a burst of load from elsewhere on the box hits both alike.
    const rounds = 3;
    let baseline = 0;
    let rate = 0;
    let growth = 0;
    let peak = 0;
    for (let round = 1; round <= rounds; round++) {
      const tcp = (await tcpCopy(file, join(base, 'tcp.out'))) / 1024 / 1024;
      await rm(join(base, 'tcp.out'));
      baseline = Math.max(baseline, tcp);
      log(`round ${round}: plain TCP copy over loopback ${tcp.toFixed(1)} MB/s`);
      const measure = sampler.window(50);
      const out = join(base, 'got.wav');
      const t0 = performance.now();
      let lastPrint = t0;
      await downloadRecording(
        () => PbxlinkClient.connect({ url: broker.url }),
        AGENT,
        { name: `2024/01/15/${NAME}` },
        {
          kid: 'bench',
          privateKey,
          output: out,
          timeoutMs: 30_000,
          onRetry: (r) => log(`  retry ${r.attempt} from offset ${r.offset}: ${r.reason}`),
          onProgress: (p) => {
            const now = performance.now();
            if (now - lastPrint > 1000) {
              lastPrint = now;
              log(`  ${(p.received / 1024 / 1024).toFixed(0)}/${(p.size / 1024 / 1024).toFixed(0)} MB`);
            }
          },
        },
      );
      const secs = (performance.now() - t0) / 1000;
      await sleep(120); // last RSS samples
      const { peakRssMb } = measure();
      if ((await fileSha256(out)) !== (await fileSha256(file)))
        throw new Error('sha256 mismatch after transfer');
      await rm(out);
      const r = bytes / secs / 1024 / 1024;
      rate = Math.max(rate, r);
      // Against the idle RSS before the first round (not this round's start, which may still hold the last
      // round's garbage): the worst round is the figure, RSS growth is a ceiling, not a best case.
      const g = Math.max(0, peakRssMb - baseRss / 1024 / 1024);
      peak = Math.max(peak, peakRssMb);
      growth = Math.max(growth, g);
      log(
        `round ${round}: pbxlink recordings.get through Mosquitto ${r.toFixed(1)} MB/s (${secs.toFixed(2)} s, sha256 verified), agent RSS +${g.toFixed(1)} MB`,
      );
    }
    log(
      `best: TCP ${baseline.toFixed(1)} MB/s, pbxlink ${rate.toFixed(1)} MB/s; agent RSS ${(baseRss / 1024 / 1024).toFixed(1)} MB before, peak ${peak.toFixed(1)} MB, worst growth ${growth.toFixed(1)} MB`,
    );
    process.stdout.write(
      `${JSON.stringify({
        bench: 'recording-transfer',
        bytes,
        mb_per_s: Math.round(rate * 10) / 10,
        baseline_mb_per_s: Math.round(baseline * 10) / 10,
        ratio: Math.round((rate / baseline) * 1000) / 1000,
        rss_growth_mb: Math.round(growth * 10) / 10,
        agent_rss_mb: Math.round((baseRss / 1024 / 1024) * 10) / 10,
        agent_peak_rss_mb: Math.round(peak * 10) / 10,
      })}\n`,
    );
  } catch (e) {
    log(`agent log tail:\n${tail.join('\n')}`);
    throw e;
  } finally {
    agent.kill('SIGTERM');
    await Promise.race([new Promise((r) => agent.once('exit', r)), sleep(5000)]);
    if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
    await sim.close();
    await broker.close();
    await rm(base, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
