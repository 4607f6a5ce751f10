/**
 * `npm run bench -- event-latency [--quick]`: a real Mosquitto, the AMI simulator (Asterisk 13), the real
 * agent process (no database) and a subscriber. The simulator offers AMI events at 1,000/s then 10,000/s
 * (30 s each; --quick 5 s), then an overload of 60,000/s (10 s; --quick 3 s); then the agent idles (60 s;
 * --quick 10 s). Per rate: p50/p99 latency from an AMI event leaving the simulator to the MQTT message it
 * decides reaching the subscriber (matching rules in event-latency-probe.ts), messages lost, agent CPU% and
 * peak RSS. Ends with one JSON line (DESIGN.md, Benchmarks).
 *
 * The agent is started as the service starts it: the Node flags and environment of packaging/sysconfig/pbxlink
 * (what the systemd unit and the init script read), so its CPU and RSS are what `ps` shows on an installed PBX.
 *
 * Rate = AMI events per second written to the agent's socket (the agent logs in with all event classes), not
 * calls: the call mix averages ~E events per call (measured in a warm-up), so calls/s = rate / E.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { generateKeyPair, publicJwk } from '../../protocol/src/signing';
import { startMosquitto } from '../helpers/mosquitto';
import { serviceLaunch } from '../helpers/service-env';
import type { ScenarioName } from '../sim/scenarios';
import { startAmiSimulator } from '../sim/server';
import { LatencyProbe } from './event-latency-probe';
import { ProcSampler } from './event-latency-proc';

const quick = process.argv.includes('--quick');
// `--agent-flags="--max-semi-space-size=2"`: node flags added after the service's (to try memory settings);
// `--cpu-prof=DIR`: the agent writes a V8 CPU profile there on exit (bottleneck hunting).
const argValue = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const agentFlags = (argValue('agent-flags') ?? '').split(/\s+/).filter(Boolean);
const cpuProfDir = argValue('cpu-prof');
const RATES = quick ? [1_000, 10_000] : [1_000, 10_000];
const RATE_S = quick ? 5 : 30;
const OVERLOAD = { rate: 60_000, s: quick ? 3 : 10 };
const IDLE_S = quick ? 10 : 60;
const MIX: readonly ScenarioName[] = ['internal', 'inbound-queue', 'outbound-trunk', 'no-answer', 'busy'];
const AGENT = 'bench-pbx';
const PREFIX = 'pbxlink/v1';

const say = (l: string) => process.stdout.write(`${l}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r2 = (n: number) => (Number.isFinite(n) ? Math.round(n * 100) / 100 : null);

const dir = mkdtempSync(join(tmpdir(), 'pbxlink-bench-'));
mkdirSync(join(dir, 'monitor'));
const { publicKey } = generateKeyPair();
writeFileSync(
  join(dir, 'trusted-keys.json'),
  JSON.stringify([{ kid: 'bench', publicKey: publicJwk(publicKey), scopes: ['read'] }]),
);

say(
  `event-latency${quick ? ' (quick)' : ''}: Mosquitto + AMI simulator (Asterisk 13) + agent process, no database`,
);
const broker = await startMosquitto({ maxQueuedMessages: 1_000_000, extraConfig: ['set_tcp_nodelay true'] });
const sim = await startAmiSimulator({ dialect: '13', cdrManager: true, speed: 0, authFailDelayMs: 10 });
const probe = new LatencyProbe();
let written = 0;
// Events emitted while the agent had no AMI session (it reconnects after an unanswered Ping) reach nobody.
let unheard = 0;
sim.onEventWritten = (name, at, text) => {
  written++;
  if (sim.connections() === 0) unheard++;
  probe.onAmi(name, at, text);
};

const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clean: true, reconnectPeriod: 0 });
(sub.stream as unknown as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
let online = false;
let callsSnapshot = false;
sub.on('message', (topic, payload) => {
  const at = performance.now();
  if (topic.includes('/events/')) probe.onMqtt(topic, payload, at);
  else if (topic.endsWith('/status')) online = payload.includes('"online":true');
  else if (topic.endsWith('/state/calls')) callsSnapshot = true;
});
await sub.subscribeAsync(`${PREFIX}/${AGENT}/#`, { qos: 1 });

const env: NodeJS.ProcessEnv = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PBXLINK_')) env[k] = v;
const service = serviceLaunch();
const profFlags = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
const nodeArgs = [...service.nodeFlags, ...agentFlags, ...profFlags, 'dist/pbxlink.js', 'run'];
say(`agent: node ${nodeArgs.join(' ')} (flags and environment from packaging/sysconfig/pbxlink)`);
const agent: ChildProcess = spawn(process.execPath, nodeArgs, {
  stdio: ['ignore', 'pipe', 'pipe'],
  env: {
    ...env,
    ...service.env,
    PBXLINK_AGENT_ID: AGENT,
    PBXLINK_BROKER_URL: broker.url,
    PBXLINK_AMI_URL: `ami://admin:amp111@127.0.0.1:${sim.port}`,
    PBXLINK_STATE_DIR: join(dir, 'state'),
    PBXLINK_MONITOR_DIR: join(dir, 'monitor'),
    PBXLINK_TRUSTED_KEYS: join(dir, 'trusted-keys.json'),
    PBXLINK_APPLY_CMD: '/bin/true',
    PBXLINK_DISCOVERY: 'off',
    PBXLINK_LOG_LEVEL: 'warn',
  },
});
const agentLog: string[] = [];
let amiLost = 0;
const onLog = (d: Buffer) => {
  for (const l of d.toString('utf8').split('\n')) {
    if (!l) continue;
    agentLog.push(l);
    if (agentLog.length > 200) agentLog.shift();
    // The agent logs at warn: only transitions (shedding, AMI or broker lost/back), each worth showing.
    say(`  agent log: ${l.slice(0, 220)}`);
    if (l.includes('AMI connection lost')) amiLost++;
  }
};
agent.stdout!.on('data', onLog);
agent.stderr!.on('data', onLog);
const sampler = new ProcSampler(agent.pid!);

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > end)
      throw new Error(`timed out waiting for ${what}\n${agentLog.slice(-20).join('\n')}`);
    await sleep(20);
  }
}

/** Waits until no event arrived for `quietMs` (at most `maxMs`). */
async function drain(quietMs = 1000, maxMs = 20_000): Promise<void> {
  const end = performance.now() + maxMs;
  while (performance.now() < end && performance.now() - probe.lastArrival < quietMs) await sleep(50);
}

async function cleanup(): Promise<void> {
  agent.kill('SIGTERM');
  await Promise.race([new Promise((r) => agent.once('exit', r)), sleep(5000)]);
  if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  await sub.endAsync(true).catch(() => {});
  await sim.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
}

try {
  await until(() => online && callsSnapshot, 20_000, 'the agent birth and its calls snapshot');
  // Warm-up (not measured): JIT, and the mean AMI events per call of the mix.
  const w0 = written;
  const warm = await sim.runLoad({ scenario: MIX, ratePerSec: 50, durationMs: 2000 });
  await drain(500);
  const perCall = (written - w0) / warm.started;
  const startupRss = sampler.rssMb();
  say(
    `warm-up: ${warm.started} calls, ${perCall.toFixed(1)} AMI events per call; agent RSS ${startupRss.toFixed(1)} MB`,
  );

  const rates: Record<string, unknown>[] = [];
  for (const [i, rate] of RATES.entries()) {
    probe.phase = i;
    const eld = monitorEventLoopDelay({ resolution: 1 });
    eld.enable();
    const win = sampler.window();
    const phaseT0 = performance.now();
    const w1 = written;
    const load = await sim.runLoad({ scenario: MIX, ratePerSec: rate / perCall, durationMs: RATE_S * 1000 });
    const achieved = (written - w1) / (load.elapsedMs / 1000);
    const m = win();
    eld.disable();
    const benchEldP99 = eld.percentile(99) / 1e6;
    await drain();
    probe.phase = -1;
    const f = probe.figures(i);
    probe.forget(i);
    say(
      `rate ${rate} AMI ev/s (achieved ${achieved.toFixed(0)}/s, ${(load.started / (load.elapsedMs / 1000)).toFixed(0)} calls/s, ${f.calls} calls): ` +
        `p50 ${f.p50.toFixed(2)} ms p99 ${f.p99.toFixed(2)} ms max ${f.max.toFixed(1)} ms, lost ${f.lost}` +
        `${f.negative ? ` (${f.negative} NEGATIVE: matching rule wrong)` : ''}; agent CPU ${m.cpuPct.toFixed(1)}% RSS peak ${m.peakRssMb.toFixed(1)} MB`,
    );
    say(
      `  by kind p50/p99 ms: call.started ${f.byKind.started.p50.toFixed(2)}/${f.byKind.started.p99.toFixed(2)}, ` +
        `call.ended ${f.byKind.ended.p50.toFixed(2)}/${f.byKind.ended.p99.toFixed(2)}, cdr.new ${f.byKind.cdr.p50.toFixed(2)}/${f.byKind.cdr.p99.toFixed(2)}; ` +
        `${f.mqttEvents} MQTT events (${f.updated} call.updated, not timed); this process's event-loop delay p99 ${benchEldP99.toFixed(1)} ms`,
    );
    say(
      `  split at the envelope ts (±1 ms): AMI→agent envelope p50 ${f.split.toEnvelope.p50.toFixed(1)} p99 ${f.split.toEnvelope.p99.toFixed(1)} ms; ` +
        `envelope→subscriber p50 ${f.split.fromEnvelope.p50.toFixed(1)} p99 ${f.split.fromEnvelope.p99.toFixed(1)} ms`,
    );
    const slow = f.slowest
      .slice(0, 6)
      .map((x) => `${x.kind} ${x.ms.toFixed(0)} ms at +${((x.at - phaseT0) / 1000).toFixed(1)} s`);
    if (slow.length) say(`  slowest: ${slow.join(', ')}`);
    rates.push({
      rate,
      p50_ms: r2(f.p50),
      p99_ms: r2(f.p99),
      lost: f.lost,
      cpu_pct: r2(m.cpuPct),
      rss_mb: r2(m.peakRssMb),
      max_ms: r2(f.max),
      achieved_ami_events_per_s: Math.round(achieved),
      calls_per_s: r2(load.started / (load.elapsedMs / 1000)),
      mqtt_events: f.mqttEvents,
      load_avg_1m: r2(os.loadavg()[0]!),
      bench_loop_delay_p99_ms: r2(benchEldP99),
      to_envelope_p99_ms: r2(f.split.toEnvelope.p99),
      from_envelope_p99_ms: r2(f.split.fromEnvelope.p99),
    });
    await sleep(2000);
  }

  // Overload: the agent must live, stay bounded, and say what it shed.
  const oi = RATES.length;
  probe.phase = oi;
  const shedBefore = probe.shedReports.length;
  const amiLostBefore = amiLost;
  const unheardBefore = unheard;
  const ow = sampler.window(100);
  const w2 = written;
  const load = await sim.runLoad({
    scenario: MIX,
    ratePerSec: OVERLOAD.rate / perCall,
    durationMs: OVERLOAD.s * 1000,
  });
  const achieved = (written - w2) / (load.elapsedMs / 1000);
  const loadEnd = performance.now();
  // CPU over the offered load; peak RSS also over the backlog the agent works through afterwards.
  const cpuWin = ow();
  const rw = sampler.window(100);
  await drain(5000, 90_000);
  const backlogS = (probe.lastArrival - loadEnd) / 1000;
  // Alive: the process exists and a call made now reaches the subscriber end to end. Its messages queue
  // behind whatever the agent still held, so once they arrive, everything of the overload that is
  // coming has come, and `link.shed` (published when the send queue empties) has been seen.
  probe.phase = oi + 1;
  await sim.runScenario('internal', { speed: 0 });
  let alive = sampler.alive();
  try {
    await until(() => probe.figures(oi + 1).lost === 0, 60_000, 'a call after the overload');
  } catch {
    alive = false;
  }
  probe.phase = -1;
  const om = { cpuPct: cpuWin.cpuPct, peakRssMb: Math.max(cpuWin.peakRssMb, rw().peakRssMb) };
  await sleep(500);
  const of = probe.figures(oi);
  probe.forget(oi);
  const reports = probe.shedReports.slice(shedBefore);
  const shed = reports.reduce((n, r) => {
    const d = r.data as { shed?: number; dropped?: number };
    return n + (d.shed ?? 0) + (d.dropped ?? 0);
  }, 0);
  say(
    `overload ${OVERLOAD.rate} AMI ev/s (achieved ${achieved.toFixed(0)}/s, ${of.calls} calls) for ${OVERLOAD.s} s: alive ${alive}, ` +
      `RSS peak ${om.peakRssMb.toFixed(1)} MB, CPU ${om.cpuPct.toFixed(1)}%, backlog delivered ${backlogS.toFixed(1)} s after the load, ` +
      `p99 ${of.p99.toFixed(1)} ms, call messages not delivered ${of.lost}, AMI connection lost ${amiLost - amiLostBefore}× (${unheard - unheardBefore} AMI events emitted with no agent session); agent reported shed ${shed} ` +
      `(${reports.map((r) => `${r.type} ${JSON.stringify(r.data)}`).join('; ') || 'no report'})`,
  );

  await sleep(5000);
  const iw = sampler.window(1000);
  say(`idle for ${IDLE_S} s …`);
  await sleep(IDLE_S * 1000);
  const im = iw();
  say(
    `idle: RSS ${im.rssMb.toFixed(1)} MB (startup ${startupRss.toFixed(1)} MB), CPU ${im.cpuPct.toFixed(2)}%; overload peak / idle RSS = ${(om.peakRssMb / im.rssMb).toFixed(2)}`,
  );
  await cleanup();
  const maxLoad = Math.max(...rates.map((r) => Number(r.load_avg_1m)), os.loadavg()[0]!);
  if (maxLoad > os.cpus().length)
    say(
      `WARNING: load average reached ${maxLoad.toFixed(1)} on ${os.cpus().length} CPUs: other processes competed for the CPU; tail latencies and overload figures reflect that, not the agent alone`,
    );
  say(
    JSON.stringify({
      bench: 'event-latency',
      quick,
      cpus: os.cpus().length,
      load_avg_1m: r2(os.loadavg()[0]!),
      contended: maxLoad > os.cpus().length,
      ami_events_per_call: r2(perCall),
      agent_node_flags: [...service.nodeFlags, ...agentFlags],
      rates,
      overload: {
        rate: OVERLOAD.rate,
        alive,
        rss_mb: r2(om.peakRssMb),
        shed,
        not_delivered: of.lost,
        backlog_s: r2(backlogS),
        ami_reconnects: amiLost - amiLostBefore,
        ami_events_without_session: unheard - unheardBefore,
        achieved_ami_events_per_s: Math.round(achieved),
        cpu_pct: r2(om.cpuPct),
      },
      idle: { rss_mb: r2(im.rssMb), cpu_pct: r2(im.cpuPct), startup_rss_mb: r2(startupRss) },
    }),
  );
} catch (e) {
  say(`event-latency failed: ${(e as Error).stack ?? e}`);
  await cleanup().catch(() => {});
  process.exit(1);
}
process.exit(0);
