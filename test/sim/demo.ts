/**
 * `npm run demo` (`node dist/demo.js [--dialect 13] [--duration S] [--speed 1] [--agent demo-pbx] [--verbose]`):
 * an embedded broker, the AMI simulator playing its scenarios in a loop, and the real agent process, with a
 * live feed of what a consumer sees, until Ctrl-C (or `--duration` seconds). See docs/demo.md.
 */
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { DEFAULT_TOPIC_PREFIX, isValidAgentId } from '../../protocol/src/topics';
import { formatFeedLine, paint } from './demo-format';
import { runDemoLoop } from './demo-loop';
import { type DemoStack, startDemoStack } from './demo-stack';
import { isDialect } from './profiles';

const HELP = `Usage: npm run demo -- [--dialect 1.8|11|13|16] [--duration SECONDS] [--speed FACTOR] [--agent ID] [--verbose]

Starts an embedded MQTT broker (aedes, MQTT 3.1.1) on a free 127.0.0.1 port, the AMI simulator, and the real
pbxlink agent process (no database: it runs degraded and says so in state/health), then prints what a
consumer sees until Ctrl-C.

  --dialect D     Asterisk dialect the simulator speaks (default 13)
  --duration S    stop by itself after S seconds (default: run until Ctrl-C)
  --speed F       scenario time factor, 1 = real time (default 1; 0.2 = five times faster)
  --agent ID      the agent id (default demo-pbx)
  --verbose       also show the agent's info log lines (default: warnings and errors only)`;

function fail(msg: string): never {
  process.stderr.write(`demo: ${msg}\nTry \`npm run demo -- --help\`.\n`);
  process.exit(2);
}

function options() {
  let v: ReturnType<typeof parse>['values'];
  try {
    v = parse().values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  if (!isDialect(v.dialect)) fail(`--dialect must be one of 1.8, 11, 13, 16 (got "${v.dialect}")`);
  const duration = v.duration === undefined ? undefined : Number(v.duration);
  if (duration !== undefined && !(duration > 0 && duration <= 86_400))
    fail(`--duration must be seconds, more than 0 (got "${v.duration}")`);
  const speed = Number(v.speed);
  if (!(speed > 0 && speed <= 100)) fail(`--speed must be a number above 0 (got "${v.speed}")`);
  if (!isValidAgentId(v.agent)) fail(`--agent must match [A-Za-z0-9_-]{1,64} (got "${v.agent}")`);
  return { dialect: v.dialect, duration, speed, agent: v.agent, verbose: v.verbose };
}

function parse() {
  return parseArgs({
    options: {
      dialect: { type: 'string', default: '13' },
      duration: { type: 'string' },
      speed: { type: 'string', default: '1' },
      agent: { type: 'string', default: 'demo-pbx' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
}

const opts = options();
const c = paint(process.stdout.isTTY === true && !process.env.NO_COLOR);
const out = (l: string) => process.stdout.write(`${l}\n`);
const prefix = DEFAULT_TOPIC_PREFIX;

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Agent log line (pino JSON) → a dim feed line when it is a warning/error, or always with --verbose. */
function agentLog(line: string): void {
  let j: {
    level?: number | string;
    msg?: string;
    detail?: string;
    reason?: string;
    component?: string;
    status?: string;
  };
  try {
    j = JSON.parse(line);
  } catch {
    out(c.dim(`agent: ${line.slice(0, 200)}`));
    return;
  }
  // The agent's logger writes level labels ("info"); plain pino writes numbers.
  const level = typeof j.level === 'number' ? j.level : (LEVELS[j.level ?? 'info'] ?? 30);
  if (level < 40 && !opts.verbose) return;
  const extra = [j.component, j.status, j.reason, j.detail].filter(Boolean).join(' ');
  const text = `agent ${level >= 50 ? 'error' : level >= 40 ? 'warn' : 'log'}: ${j.msg ?? ''}${extra ? ` (${extra})` : ''}`;
  out(level >= 50 ? c.red(text) : c.dim(text));
}

out(c.bold(`pbxlink demo — Asterisk ${opts.dialect} simulator, embedded broker, the real agent process`));
const ended = new AbortController();
let stack: DemoStack;
try {
  stack = await startDemoStack({
    dialect: opts.dialect,
    agentId: opts.agent,
    onAgentLog: agentLog,
    onAgentExit: (code, signal) => {
      out(c.red(`agent exited by itself (code ${code}, signal ${signal}); stopping the demo`));
      process.exitCode = 1;
      ended.abort();
    },
  });
} catch (e) {
  process.stderr.write(`demo: could not start: ${(e as Error).message}\n`);
  process.exit(1);
}

const consumer: MqttClient = await mqtt.connectAsync(stack.brokerUrl, {
  protocolVersion: 4,
  clean: true,
  reconnectPeriod: 500,
});
let born: () => void = () => {};
const birth = new Promise<void>((r) => {
  born = r;
});
consumer.on('message', (topic, payload) => {
  const line = formatFeedLine(prefix, topic, payload, c);
  if (line) out(line);
  if (topic.endsWith('/state/calls')) born();
});
await consumer.subscribeAsync(`${prefix}/${opts.agent}/#`, { qos: 1 });

const url = stack.brokerUrl;
out(
  `broker    ${url} (aedes, MQTT 3.1.1)   AMI simulator 127.0.0.1:${stack.sim.port}   agent pid ${stack.agent.pid}`,
);
out(`state dir ${stack.dir}   command key ${stack.keyFile} (kid "${stack.kid}", scope admin)`);
out('In another terminal, watch or ask the agent with pbxctl:');
out(c.bold(`  npx pbxctl tail ${opts.agent} all --broker ${url} --mqtt3`));
out(c.bold(`  npx pbxctl send ${opts.agent} agent.info --broker ${url} --mqtt3 --key ${stack.keyFile}`));
out(c.bold(`  npx pbxctl send ${opts.agent} calls.list --broker ${url} --mqtt3 --key ${stack.keyFile}`));
out(`${opts.duration ? `Stopping by itself after ${opts.duration} s; ` : ''}Ctrl-C stops everything.`);
out('');

const stopSignal = () => ended.abort();
process.once('SIGINT', stopSignal);
process.once('SIGTERM', stopSignal);
const timer = opts.duration ? setTimeout(stopSignal, opts.duration * 1000) : undefined;

// Calls start once the agent has synced calls (birth and first snapshots are on screen).
await Promise.race([
  birth,
  new Promise((r) => setTimeout(r, 15_000)),
  new Promise((r) => ended.signal.addEventListener('abort', r)),
]);
const loop = ended.signal.aborted
  ? Promise.resolve()
  : runDemoLoop(stack.sim, {
      speed: opts.speed,
      signal: ended.signal,
      onError: (name, e) => out(c.yellow(`simulator: scenario ${name} failed: ${e.message}`)),
    });

await new Promise<void>((r) =>
  ended.signal.aborted ? r() : ended.signal.addEventListener('abort', () => r()),
);
if (timer) clearTimeout(timer);
// A second Ctrl-C while stopping forces the exit.
process.once('SIGINT', () => process.exit(130));
out(c.dim('stopping: agent, then simulator and broker …'));
await stack.stopAgent();
await new Promise((r) => setTimeout(r, 200));
await consumer.endAsync(true).catch(() => {});
await stack.stop();
// The scenario in flight may still be pausing; nothing it emits reaches anyone now.
void loop;
out(c.dim('demo stopped'));
process.stdout.write('', () => process.exit(process.exitCode ?? 0));
