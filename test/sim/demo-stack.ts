/**
 * What `npm run demo` runs: an embedded aedes broker (MQTT 3.1.1) on a free 127.0.0.1 port, the AMI
 * simulator, a temp dir holding state, monitor folder and a generated command key, and the REAL agent
 * process (`node dist/pbxlink.js run`) against them, without a database (it runs degraded and says so).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import { generateKeyPair, publicJwk } from '../../protocol/src/signing';
import type { Dialect } from './profiles';
import { type AmiSimulator, startAmiSimulator } from './server';

/** Options of startDemoStack. */
export interface DemoStackOptions {
  dialect: Dialect;
  agentId: string;
  /** Called with each line the agent logs (pino JSON). */
  onAgentLog(line: string): void;
  /** Called once if the agent process exits by itself. */
  onAgentExit(code: number | null, signal: NodeJS.Signals | null): void;
}

/** A running demo: broker, simulator, agent process; `stop()` ends them all and removes the temp dir. */
export interface DemoStack {
  readonly brokerUrl: string;
  readonly sim: AmiSimulator;
  readonly agent: ChildProcess;
  readonly dir: string;
  readonly keyFile: string;
  readonly kid: string;
  /** Stops the agent (SIGTERM, SIGKILL after 8 s); it publishes its clean `offline` status first. */
  stopAgent(): Promise<void>;
  stop(): Promise<void>;
}

/** dist/pbxlink.js next to this bundle (dist/demo.js), or under the checkout when run from source. */
function agentEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.endsWith('dist') ? join(here, 'pbxlink.js') : resolve(here, '../../dist/pbxlink.js');
}

async function listenBroker(): Promise<{ aedes: Aedes; server: Server; port: number; sockets: Set<Socket> }> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    aedes.handle(s);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  return { aedes, server, sockets, port: typeof addr === 'object' && addr ? addr.port : 0 };
}

/** The agent's environment: only what the demo sets (PBXLINK_* from the caller's shell are dropped). */
function agentEnv(o: {
  agentId: string;
  brokerUrl: string;
  amiPort: number;
  dir: string;
}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PBXLINK_')) env[k] = v;
  return {
    ...env,
    PBXLINK_AGENT_ID: o.agentId,
    PBXLINK_BROKER_URL: o.brokerUrl,
    // aedes speaks MQTT 3.1.1 only.
    PBXLINK_BROKER_PROTOCOL_VERSION: '4',
    PBXLINK_AMI_URL: `ami://admin:amp111@127.0.0.1:${o.amiPort}`,
    PBXLINK_STATE_DIR: join(o.dir, 'state'),
    PBXLINK_MONITOR_DIR: join(o.dir, 'monitor'),
    PBXLINK_TRUSTED_KEYS: join(o.dir, 'trusted-keys.json'),
    PBXLINK_APPLY_CMD: '/bin/true',
    // No database, and nothing discovered from this machine's /etc: the agent runs degraded.
    PBXLINK_DISCOVERY: 'off',
    PBXLINK_LOG_LEVEL: 'info',
  };
}

/** Starts broker, simulator and agent; resolves once the agent process is spawned. */
export async function startDemoStack(o: DemoStackOptions): Promise<DemoStack> {
  const dir = mkdtempSync(join(tmpdir(), 'pbxlink-demo-'));
  mkdirSync(join(dir, 'monitor'));
  const kid = 'demo';
  const keyFile = join(dir, `${kid}.key`);
  const { privateKey, publicKey } = generateKeyPair();
  writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
  writeFileSync(
    join(dir, 'trusted-keys.json'),
    JSON.stringify([{ kid, publicKey: publicJwk(publicKey), scopes: ['admin'] }], null, 2),
  );
  const broker = await listenBroker();
  const brokerUrl = `mqtt://127.0.0.1:${broker.port}`;
  const sim = await startAmiSimulator({ dialect: o.dialect, cdrManager: true, speed: 1 });
  const agent = spawn(process.execPath, [agentEntry(), 'run'], {
    env: agentEnv({ agentId: o.agentId, brokerUrl, amiPort: sim.port, dir }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stopping = false;
  let buf = '';
  const onData = (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (l) o.onAgentLog(l);
  };
  agent.stdout!.setEncoding('utf8').on('data', onData);
  agent.stderr!.setEncoding('utf8').on('data', onData);
  const exited = new Promise<void>((r) => agent.once('exit', () => r()));
  agent.once('exit', (code, signal) => {
    if (!stopping) o.onAgentExit(code, signal);
  });

  const stopAgent = async () => {
    stopping = true;
    if (agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGTERM');
      const t = setTimeout(() => agent.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(t);
    }
  };
  return {
    brokerUrl,
    sim,
    agent,
    dir,
    keyFile,
    kid,
    stopAgent,
    async stop() {
      await stopAgent();
      await sim.close().catch(() => {});
      await new Promise<void>((r) => broker.aedes.close(() => r()));
      for (const s of broker.sockets) s.destroy();
      await new Promise<void>((r) => broker.server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
