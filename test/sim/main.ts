/**
 * CLI: `node dist/ami-sim.js --dialect 13 --port 5038 [--loop] [--speed 1] [--cdr] [--timestamp]
 * [--username admin] [--secret amp111] [--rate N --duration-ms M] [--stamp]`. Runs the simulator; with --loop, its
 * scenarios one after another; with --rate, a call mix at N calls/s (for M ms, default forever).
 */
import { parseArgs } from 'node:util';
import { isDialect } from './profiles';
import { SCENARIOS } from './scenarios';
import { startAmiSimulator } from './server';

function fail(msg: string): never {
  process.stderr.write(`ami-sim: ${msg}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    dialect: { type: 'string', default: '13' },
    port: { type: 'string', default: '5038' },
    host: { type: 'string', default: '127.0.0.1' },
    loop: { type: 'boolean', default: false },
    speed: { type: 'string', default: '1' },
    cdr: { type: 'boolean', default: false },
    timestamp: { type: 'boolean', default: false },
    username: { type: 'string', default: 'admin' },
    secret: { type: 'string', default: 'amp111' },
    rate: { type: 'string' },
    'duration-ms': { type: 'string' },
    stamp: { type: 'boolean', default: false },
  },
  strict: true,
});

if (!isDialect(values.dialect)) fail(`--dialect must be one of 1.8, 11, 13, 16 (got "${values.dialect}")`);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port must be 0..65535 (got "${values.port}")`);
const speed = Number(values.speed);
if (!(speed >= 0)) fail(`--speed must be a number >= 0 (got "${values.speed}")`);
if (values.host !== '127.0.0.1' && values.host !== '::1' && values.host !== 'localhost') {
  fail('--host must be a loopback address');
}

const sim = await startAmiSimulator({
  dialect: values.dialect,
  port,
  host: values.host,
  speed,
  cdrManager: values.cdr,
  timestampEvents: values.timestamp,
  username: values.username,
  secret: values.secret,
  stampEvents: values.stamp,
});
process.stdout.write(
  `${JSON.stringify({
    msg: 'ami simulator listening',
    dialect: sim.dialect,
    port: sim.port,
    asterisk: sim.profile.asteriskVersion,
  })}\n`,
);

let stopping = false;
const stop = () => {
  stopping = true;
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

if (values.loop) {
  // Registration scenarios act on the offline extension 101 and qualify ones on 102, so the call scenarios
  // always find registered extensions (100, 103); the loop restores the peers after each round.
  const peerOf: Partial<Record<string, string>> = {
    'peer-register': '101',
    'peer-unregister': '101',
    'peer-lagged': '102',
    'peer-unreachable': '102',
  };
  const calls = SCENARIOS.filter((s) => !s.startsWith('peer-'));
  const order = ['peer-register', 'peer-lagged', 'peer-unreachable', ...calls, 'peer-unregister'] as const;
  while (!stopping) {
    for (const name of order) {
      if (stopping) break;
      try {
        await sim.runScenario(name, { count: 5, peer: peerOf[name] });
      } catch (e) {
        process.stderr.write(`ami-sim: scenario ${name} failed: ${(e as Error).message}\n`);
      }
      await new Promise((r) => setTimeout(r, 1000 * speed));
    }
    for (const p of sim.peers) {
      if (p.ip && (p.status === 'unreachable' || p.status === 'lagged')) {
        p.status = 'ok';
        p.latencyMs = 12;
      }
    }
  }
}

if (values.rate !== undefined) {
  const rate = Number(values.rate);
  if (!(rate > 0)) fail(`--rate must be > 0 calls/s (got "${values.rate}")`);
  const total =
    values['duration-ms'] === undefined ? Number.POSITIVE_INFINITY : Number(values['duration-ms']);
  if (!(total > 0)) fail('--duration-ms must be > 0');
  const mix = ['internal', 'inbound-queue', 'outbound-trunk', 'no-answer', 'busy'] as const;
  let left = total;
  while (!stopping && left > 0) {
    const slice = Math.min(left, 60_000);
    const r = await sim.runLoad({ scenario: mix, ratePerSec: rate, durationMs: slice, speed });
    process.stdout.write(`${JSON.stringify({ msg: 'load slice done', ...r })}\n`);
    left -= slice;
  }
  if (values['duration-ms'] !== undefined) stop();
}
