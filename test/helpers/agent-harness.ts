import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { generateKeyPair, publicJwk } from '../../protocol/src/signing';
import { type AmiSimulator, type AmiSimulatorOptions, startAmiSimulator } from '../sim/server';
import { createTestDatabases, type TestDatabases } from './mariadb';
import { type MosquittoBroker, type MosquittoOptions, startMosquitto } from './mosquitto';
import { spawnProcess, type TestProcess } from './process';

/** One message a consumer saw, payload parsed when it is JSON. */
export interface Seen {
  topic: string;
  payload: any;
  raw: Buffer;
  retain: boolean;
  at: number;
}

/** A consumer subscribed to everything one agent publishes (`P/A/#`). */
export class Consumer {
  readonly seen: Seen[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (topic, raw, packet) => {
      let payload: any = raw;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch {}
      this.seen.push({ topic, payload, raw, retain: packet.retain, at: Date.now() });
      for (const w of [...this.waiters]) w();
    });
  }

  /** Messages on topics ending with `suffix` (e.g. `/events/call.ended`). */
  on(suffix: string): Seen[] {
    return this.seen.filter((s) => s.topic.endsWith(suffix));
  }

  /** Resolves when `pred` holds, else rejects after `ms` naming `what` and listing the topics seen. */
  waitFor(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred()) return;
        clearTimeout(t);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        const topics = [...new Set(this.seen.map((s) => s.topic))].join(', ');
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; topics seen: ${topics}`));
      }, ms);
      this.waiters.push(check);
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Subscribes a fresh MQTT 5 consumer to `filter` and waits for the SUBACK. */
export async function connectConsumer(url: string, filter: string): Promise<Consumer> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 200, clean: true });
  const c = new Consumer(client);
  await client.subscribeAsync(filter, { qos: 1 });
  return c;
}

/** Options of a whole test PBX: broker, simulator, databases, and the agent as a child process. */
export interface TestPbxOptions {
  dialect?: AmiSimulatorOptions['dialect'];
  sim?: Partial<AmiSimulatorOptions>;
  broker?: MosquittoOptions;
  agentId?: string;
  /** Extra environment for the agent. */
  env?: Record<string, string>;
  /** Scopes of the generated command key (default admin). */
  scopes?: string[];
}

/** A running test PBX. */
export interface TestPbx {
  broker: MosquittoBroker;
  sim: AmiSimulator;
  dbs: TestDatabases;
  dir: string;
  stateDir: string;
  monitorDir: string;
  agentId: string;
  prefix: string;
  env: Record<string, string>;
  key: { kid: string; privateKey: import('node:crypto').KeyObject; privatePem: string; keyFile: string };
  agent: TestProcess | undefined;
  /** Starts (or restarts) the agent process: `node dist/pbxlink.js run`. Waits for its start log line. */
  startAgent(extraEnv?: Record<string, string>): Promise<TestProcess>;
  close(): Promise<void>;
}

let counter = 0;

/** Starts Mosquitto, the AMI simulator and unique databases, writes a trusted key, and returns a
 * harness to start the real agent process against them (run `node scripts/build.mjs` first: npm test does). */
export async function startTestPbx(opts: TestPbxOptions = {}): Promise<TestPbx> {
  const dir = mkdtempSync(join(tmpdir(), 'pbxlink-e2e-'));
  const stateDir = join(dir, 'state');
  const monitorDir = join(dir, 'monitor');
  const broker = await startMosquitto(opts.broker);
  const sim = await startAmiSimulator({
    dialect: opts.dialect ?? '13',
    speed: 0,
    authFailDelayMs: 10,
    ...opts.sim,
  });
  const dbs = await createTestDatabases({ cdr: 'freepbx-2.11', config: 'freepbx-2.11', seed: true });
  const { privateKey, publicKey } = generateKeyPair();
  const kid = 'e2e-key';
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const keyFile = join(dir, 'e2e-key.pem');
  writeFileSync(keyFile, privatePem, { mode: 0o600 });
  const trusted = join(dir, 'trusted-keys.json');
  writeFileSync(
    trusted,
    JSON.stringify([{ kid, publicKey: publicJwk(publicKey), scopes: opts.scopes ?? ['admin'] }]),
  );
  const agentId = opts.agentId ?? `pbx-e2e-${process.pid}-${++counter}`;
  const prefix = 'pbxlink/v1';
  const env: Record<string, string> = {
    PBXLINK_AGENT_ID: agentId,
    PBXLINK_BROKER_URL: broker.url,
    PBXLINK_AMI_URL: `ami://admin:amp111@127.0.0.1:${sim.port}`,
    PBXLINK_DB_URL: `mysql://root@127.0.0.1:${dbs.port}`,
    PBXLINK_CDR_DB: dbs.cdrDb,
    PBXLINK_CONFIG_DB: dbs.configDb,
    PBXLINK_STATE_DIR: stateDir,
    PBXLINK_MONITOR_DIR: monitorDir,
    PBXLINK_TRUSTED_KEYS: trusted,
    PBXLINK_APPLY_CMD: '/bin/true',
    PBXLINK_LOG_LEVEL: 'info',
    ...opts.env,
  };
  const pbx: TestPbx = {
    broker,
    sim,
    dbs,
    dir,
    stateDir,
    monitorDir,
    agentId,
    prefix,
    env,
    key: { kid, privateKey, privatePem, keyFile },
    agent: undefined,
    async startAgent(extraEnv = {}) {
      const p = spawnProcess(process.execPath, ['dist/pbxlink.js', 'run'], {
        env: { ...process.env, ...env, ...extraEnv },
      });
      pbx.agent = p;
      await p.waitForLine(/agent started/, 15_000);
      return p;
    },
    async close() {
      await pbx.agent?.stop('SIGKILL', 1000).catch(() => {});
      await sim.close().catch(() => {});
      await broker.close().catch(() => {});
      await dbs.drop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  writeFileSync(join(dir, '.keep'), '');
  return pbx;
}

/** A command key of a test PBX: its kid and private-key file, for `pbxctl --kid --key`. */
export interface TestKey {
  kid: string;
  file: string;
}

/** Generates another Ed25519 key with `scopes`, writes its private key beside the PBX and adds it to the
 * agent's trusted-keys file (next to the harness's admin key; the agent re-reads the file on change). */
export function addTrustedKey(pbx: TestPbx, kid: string, scopes: string[]): TestKey {
  const { privateKey, publicKey } = generateKeyPair();
  const file = join(pbx.dir, `${kid}.pem`);
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  const trusted = join(pbx.dir, 'trusted-keys.json');
  const entries = JSON.parse(readFileSync(trusted, 'utf8')) as unknown[];
  entries.push({ kid, publicKey: publicJwk(publicKey), scopes });
  writeFileSync(trusted, JSON.stringify(entries));
  return { kid, file };
}

/**
 * The node argv of `pbxctl WORDS… AGENT POSITIONAL… --broker URL --key FILE [--kid KID] [--timeout S] ARGS…`
 * (the built dist/pbxctl.js) against the test PBX, with its admin key unless `key` is given (`kid` left out when
 * the key has none: pbxctl then takes it from the file name). `timeoutS: null` leaves pbxctl's own default.
 */
export function pbxctlArgv(
  pbx: TestPbx,
  words: string[],
  args: string[] = [],
  opts: { positional?: string[]; key?: { file: string; kid?: string }; timeoutS?: number | null } = {},
): string[] {
  const key = opts.key ?? { file: pbx.key.keyFile, kid: pbx.key.kid };
  const timeout = opts.timeoutS === undefined ? 20 : opts.timeoutS;
  return [
    'dist/pbxctl.js',
    ...words,
    pbx.agentId,
    ...(opts.positional ?? []),
    ...['--broker', pbx.broker.url, '--key', key.file],
    ...(key.kid ? ['--kid', key.kid] : []),
    ...(timeout === null ? [] : ['--timeout', String(timeout)]),
    ...args,
  ];
}

/** Runs `pbxctl send AGENT CMD ARGS` (the built dist/pbxctl.js) with the admin key or `key`; returns the
 * exit code, stdout parsed as JSON when it is, and the raw output. */
export async function pbxctlSend(
  runNode: (
    args: string[],
    opts?: { timeoutMs?: number },
  ) => Promise<{ code: number | null; stdout: string; stderr: string }>,
  pbx: TestPbx,
  cmd: string,
  args: string[],
  key?: TestKey,
): Promise<{ code: number | null; data: any; stdout: string; stderr: string }> {
  const r = await runNode(pbxctlArgv(pbx, ['send'], args, { positional: [cmd], ...(key ? { key } : {}) }), {
    timeoutMs: 40_000,
  });
  let data: any;
  try {
    data = JSON.parse(r.stdout);
  } catch {}
  return { code: r.code, data, stdout: r.stdout, stderr: r.stderr };
}
