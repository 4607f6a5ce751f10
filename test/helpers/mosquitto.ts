import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from './ports';
import { generateTestPki, type TestPki } from './tls';

const run = promisify(execFile);

/** The broker binary tests use; never the system instance on 1883. */
export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

/** Options for a test broker. */
export interface MosquittoOptions {
  /** Add an MQTT-over-WebSocket listener. */
  websockets?: boolean;
  /** Add a TLS listener with a freshly generated CA and server cert for 127.0.0.1/localhost. */
  tls?: boolean;
  /** On the TLS listener, require a client certificate signed by the test CA. */
  requireClientCert?: boolean;
  /** Username → password; turns anonymous access off. */
  users?: Record<string, string>;
  /** Mosquitto `max_packet_size` in bytes. */
  maxPacketSize?: number;
  /** Mosquitto `max_queued_messages` (default 1000 in mosquitto). */
  maxQueuedMessages?: number;
  /** Lines of an ACL file (`user x`, `topic readwrite p/#`, `pattern …`). */
  acl?: string[];
  /** Extra raw config lines appended at the end. */
  extraConfig?: string[];
}

/** A running (or stopped) test broker with its own config, ports and persistence dir. */
export interface MosquittoBroker {
  /** `mqtt://127.0.0.1:PORT` (TCP listener). */
  url: string;
  port: number;
  /** `ws://127.0.0.1:PORT` when websockets were requested. */
  wsUrl?: string;
  wsPort?: number;
  /** `mqtts://127.0.0.1:PORT` when tls was requested. */
  tlsUrl?: string;
  tlsPort?: number;
  /** `wss://127.0.0.1:PORT` when both websockets and tls were requested. */
  wssUrl?: string;
  wssPort?: number;
  /** The CA to pin for the TLS listener. */
  caFile?: string;
  /** The test PKI (client cert/key for client-cert auth). */
  pki?: TestPki;
  /** The broker's temp dir (config, persistence, certs). */
  dir: string;
  /** Process id of the running broker, undefined when stopped. */
  pid(): number | undefined;
  /** The last lines mosquitto logged (stderr), for diagnostics. */
  logs(): string[];
  /** SIGTERM, wait for exit; persistence is saved and the data kept for start(). */
  stop(): Promise<void>;
  /** Start again on the same ports and persistence dir. */
  start(): Promise<void>;
  /** SIGKILL (no persistence save), wait for exit. */
  kill(): Promise<void>;
  /** Final stop: stop the broker and delete its temp dir. */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Make sure no broker or temp dir outlives the test worker, even when a test forgets close(). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of running) c.kill('SIGKILL');
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}

async function waitForPort(port: number, deadline: number, alive: () => boolean): Promise<boolean> {
  while (Date.now() < deadline) {
    if (!alive()) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

type Ports = { tcp: number; ws?: number; tls?: number; wss?: number };

function buildConfig(o: MosquittoOptions, dir: string, ports: Ports, pki?: TestPki): string {
  const lines = [
    `persistence true`,
    `persistence_location ${dir}/data/`,
    `autosave_interval 0`,
    `log_dest stderr`,
    `log_type error`,
    `log_type warning`,
    `log_type notice`,
    `log_type information`,
    `connection_messages true`,
    `log_timestamp false`,
    `set_tcp_nodelay true`,
    // As root, mosquitto would switch to the `mosquitto` user, which cannot read our temp dir.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    ...(o.maxPacketSize ? [`max_packet_size ${o.maxPacketSize}`] : []),
    ...(o.maxQueuedMessages ? [`max_queued_messages ${o.maxQueuedMessages}`] : []),
    ...(o.users ? [`allow_anonymous false`, `password_file ${dir}/passwd`] : [`allow_anonymous true`]),
    ...(o.acl ? [`acl_file ${dir}/acl`] : []),
    `listener ${ports.tcp} 127.0.0.1`,
  ];
  if (ports.ws) lines.push(`listener ${ports.ws} 127.0.0.1`, `protocol websockets`);
  if (ports.tls && pki) {
    lines.push(
      `listener ${ports.tls} 127.0.0.1`,
      `cafile ${pki.caFile}`,
      `certfile ${pki.serverCertFile}`,
      `keyfile ${pki.serverKeyFile}`,
      `require_certificate ${o.requireClientCert ? 'true' : 'false'}`,
    );
  }
  if (ports.wss && pki) {
    lines.push(
      `listener ${ports.wss} 127.0.0.1`,
      `protocol websockets`,
      `cafile ${pki.caFile}`,
      `certfile ${pki.serverCertFile}`,
      `keyfile ${pki.serverKeyFile}`,
    );
  }
  lines.push(...(o.extraConfig ?? []));
  return `${lines.join('\n')}\n`;
}

/** Starts /usr/sbin/mosquitto on OS-chosen free ports with its own generated config in a temp dir. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoBroker> {
  if (!existsSync(MOSQUITTO_BIN)) {
    throw new Error(`${MOSQUITTO_BIN} is missing: install it (apt-get install -y mosquitto) or run .ci/run`);
  }
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'pbxlink-mosq-'));
  liveDirs.add(dir);
  try {
    return await launch(opts, dir);
  } catch (e) {
    liveDirs.delete(dir);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** Sets up `dir` and starts the broker; retries with new ports when another process took one meanwhile. */
async function launch(opts: MosquittoOptions, dir: string): Promise<MosquittoBroker> {
  await mkdir(join(dir, 'data'));
  const pki = opts.tls ? await generateTestPki(dir) : undefined;
  if (opts.users) {
    const pw = Object.entries(opts.users).map(([u, p]) => `${u}:${p}`);
    await writeFile(join(dir, 'passwd'), `${pw.join('\n')}\n`, { mode: 0o600 });
    await run('mosquitto_passwd', ['-U', join(dir, 'passwd')], { timeout: 30_000 });
  }
  if (opts.acl) await writeFile(join(dir, 'acl'), `${opts.acl.join('\n')}\n`);
  const confFile = join(dir, 'mosquitto.conf');
  let ports: Ports = { tcp: 0 };

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const log: string[] = [];

  const start = async (): Promise<void> => {
    if (child) return;
    const c = spawn(MOSQUITTO_BIN, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    running.add(c);
    let buf = '';
    c.stderr!.setEncoding('utf8');
    c.stderr!.on('data', (d: string) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      log.push(...parts);
      if (log.length > 500) log.splice(0, log.length - 500);
    });
    exited = new Promise<void>((resolve) => {
      c.once('exit', () => {
        running.delete(c);
        if (child === c) child = undefined;
        resolve();
      });
    });
    c.once('error', (e) => log.push(`spawn error: ${e.message}`));
    const deadline = Date.now() + 10_000;
    const alive = () => child === c;
    for (const p of [ports.tcp, ports.ws, ports.tls, ports.wss]) {
      if (p === undefined) continue;
      if (!(await waitForPort(p, deadline, alive))) {
        c.kill('SIGKILL');
        await exited;
        throw new Error(
          `mosquitto did not start listening on 127.0.0.1:${p} (config ${confFile}):\n${log.slice(-30).join('\n')}`,
        );
      }
    }
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c) return;
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };

  // Ports are chosen by the OS, then closed and handed to mosquitto: another process may grab one in between.
  for (let attempt = 1; ; attempt++) {
    const free = await freePorts(4);
    ports = {
      tcp: free[0]!,
      ws: opts.websockets ? free[1] : undefined,
      tls: opts.tls ? free[2] : undefined,
      wss: opts.websockets && opts.tls ? free[3] : undefined,
    };
    await writeFile(confFile, buildConfig(opts, dir, ports, pki));
    try {
      await start();
      break;
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/i.test((e as Error).message)) throw e;
      log.length = 0;
    }
  }
  return {
    url: `mqtt://127.0.0.1:${ports.tcp}`,
    port: ports.tcp,
    wsUrl: ports.ws ? `ws://127.0.0.1:${ports.ws}` : undefined,
    wsPort: ports.ws,
    tlsUrl: ports.tls ? `mqtts://127.0.0.1:${ports.tls}` : undefined,
    tlsPort: ports.tls,
    wssUrl: ports.wss ? `wss://127.0.0.1:${ports.wss}` : undefined,
    wssPort: ports.wss,
    caFile: pki?.caFile,
    pki,
    dir,
    pid: () => child?.pid,
    logs: () => log.slice(),
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    close: async () => {
      await halt('SIGTERM');
      liveDirs.delete(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
