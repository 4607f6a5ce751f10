/**
 * Helpers of the daemon robustness tests (test/e2e/daemon-*.test.ts): start the agent process with a
 * config file, a consumer with a persistent MQTT 5 session, and checks of `seq` over what a consumer saw.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { Consumer, type Seen, startTestPbx, type TestPbx } from './agent-harness';
import { spawnProcess, type TestProcess } from './process';

/** Writes `config` as YAML into the test's dir (mode 600: it may hold credentials) and returns its path. */
export function writeAgentConfig(pbx: TestPbx, name: string, config: Record<string, unknown>): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`writeAgentConfig: bad name ${name}`);
  const file = join(pbx.dir, `${name}.yaml`);
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

/** Agent options of the robustness tests: quick broker reconnects, so a test waits seconds, not a minute. */
export const FAST_RECONNECT = { broker: { reconnect_min_ms: 200, reconnect_max_ms: 1500 } };

/**
 * Starts `node dist/pbxlink.js run [--config FILE]` with the harness environment plus `env`, records it
 * as `pbx.agent` (so pbx.close() kills it), and waits for its start log line.
 */
export async function startAgentProcess(
  pbx: TestPbx,
  opts: { config?: string; env?: Record<string, string> } = {},
): Promise<TestProcess> {
  const args = ['dist/pbxlink.js', 'run', ...(opts.config ? ['--config', opts.config] : [])];
  const p = spawnProcess(process.execPath, args, { env: { ...process.env, ...pbx.env, ...opts.env } });
  pbx.agent = p;
  await p.waitForLine(/agent started/, 15_000);
  return p;
}

/** Options of a consumer with a persistent session. */
export interface PersistentConsumerOptions {
  clientId: string;
  username?: string;
  password?: string;
  /** MQTT 5 Session Expiry Interval (default 600 s). */
  sessionExpiryS?: number;
}

/**
 * An MQTT 5 consumer with a persistent session (clean start off, session expiry, fixed client id),
 * subscribed to `filter` at QoS 1 before it returns: the broker keeps what it misses while away.
 */
export async function connectPersistentConsumer(
  url: string,
  filter: string,
  o: PersistentConsumerOptions,
): Promise<Consumer> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clean: false,
    clientId: o.clientId,
    username: o.username,
    password: o.password,
    reconnectPeriod: 300,
    connectTimeout: 5000,
    properties: { sessionExpiryInterval: o.sessionExpiryS ?? 600 },
  });
  const c = new Consumer(client);
  await client.subscribeAsync(filter, { qos: 1 });
  return c;
}

/** An MQTT 5 consumer with a clean session and a login (connectConsumer has none). */
export async function connectConsumerAs(
  url: string,
  filter: string,
  login: { username?: string; password?: string } = {},
): Promise<Consumer> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clean: true,
    reconnectPeriod: 300,
    ...login,
  });
  const c = new Consumer(client);
  await client.subscribeAsync(filter, { qos: 1 });
  return c;
}

/** A snapshot or event envelope as received. */
export interface SeenEnvelope {
  seq: number;
  bootId: string;
  type: string;
  topic: string;
  retain: boolean;
  raw: string;
  data: any;
}

/** Every message that carries an envelope (`v:1` with a numeric seq), in arrival order. */
export function envelopes(seen: readonly Seen[]): SeenEnvelope[] {
  return seen
    .filter(
      (s) =>
        s.payload && typeof s.payload === 'object' && s.payload.v === 1 && typeof s.payload.seq === 'number',
    )
    .map((s) => ({
      seq: s.payload.seq as number,
      bootId: String(s.payload.boot_id),
      type: String(s.payload.type),
      topic: s.topic,
      retain: s.retain,
      raw: s.raw.toString('utf8'),
      data: s.payload.data,
    }));
}

/** First arrival of each seq (QoS 1 may deliver a message twice), in arrival order. */
export function firstBySeq(list: readonly SeenEnvelope[]): SeenEnvelope[] {
  const seen = new Set<number>();
  return list.filter((e) => {
    if (seen.has(e.seq)) return false;
    seen.add(e.seq);
    return true;
  });
}

/** Seqs missing between the smallest and the largest seq of `list`. */
export function seqGaps(list: readonly SeenEnvelope[]): number[] {
  const all = [...new Set(list.map((e) => e.seq))].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < all.length; i++) for (let s = all[i - 1]! + 1; s < all[i]!; s++) gaps.push(s);
  return gaps;
}

/** Pairs (previous, next) where a later arrival carries a smaller seq than the one before it. */
export function outOfOrder(list: readonly SeenEnvelope[]): Array<[number, number]> {
  const bad: Array<[number, number]> = [];
  for (let i = 1; i < list.length; i++)
    if (list[i]!.seq <= list[i - 1]!.seq) bad.push([list[i - 1]!.seq, list[i]!.seq]);
  return bad;
}

/** Seqs that were used for two different payloads (a reused seq), with both payload types. */
export function reusedSeqs(list: readonly SeenEnvelope[]): Array<{ seq: number; a: string; b: string }> {
  const bySeq = new Map<number, SeenEnvelope>();
  const out: Array<{ seq: number; a: string; b: string }> = [];
  for (const e of list) {
    const prev = bySeq.get(e.seq);
    if (!prev) bySeq.set(e.seq, e);
    else if (prev.raw !== e.raw)
      out.push({ seq: e.seq, a: `${prev.bootId}/${prev.type}`, b: `${e.bootId}/${e.type}` });
  }
  return out;
}

/**
 * Lines of the agent's on-disk outbox (`STATE/outbox/*.seg`, `topic\tpayload`) whose topic ends with
 * `suffix` (and whose payload holds `contains`). Only a wait condition ("the agent has spooled N
 * events"), never what a test asserts.
 */
export function outboxLines(stateDir: string, suffix: string, contains = ''): number {
  const dir = join(stateDir, 'outbox');
  let n = 0;
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.seg'));
  } catch {
    return 0;
  }
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const tab = line.indexOf('\t');
      if (tab > 0 && line.slice(0, tab).endsWith(suffix) && line.includes(contains, tab)) n++;
    }
  }
  return n;
}

/** Resolves when `pred()` holds (polled every 50 ms), else rejects after `ms` naming `what`. */
export async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sleeps `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Per seq, one envelope: the first arrival of each, among messages that were not retained replays. */
export function liveEnvelopes(consumer: Consumer): SeenEnvelope[] {
  return firstBySeq(envelopes(consumer.seen).filter((e) => !e.retain));
}

/** A test PBX for outage tests: CDR events on, a persistent consumer on `P/A/#`, a fast-reconnect config. */
export async function startOutagePbx(
  tag: string,
  protocol: 4 | 5 = 5,
): Promise<{ pbx: TestPbx; consumer: Consumer; config: string }> {
  const pbx = await startTestPbx({
    agentId: `daemon-${tag}-${process.pid}-${Date.now()}`,
    sim: { cdrManager: true },
    // Mosquitto drops what exceeds 1000 queued messages for an offline persistent client: not the agent's loss.
    broker: { maxQueuedMessages: 100_000 },
  });
  const consumer = await connectPersistentConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`, {
    clientId: `consumer-${pbx.agentId}`.slice(0, 64),
  });
  const config = writeAgentConfig(pbx, 'fast-reconnect', {
    ...FAST_RECONNECT,
    broker: { ...FAST_RECONNECT.broker, protocol_version: protocol },
  });
  return { pbx, consumer, config };
}

/** Waits for birth, health with AMI ok, and a first state/peers. */
export async function waitReady(consumer: Consumer): Promise<void> {
  await consumer.waitFor(
    () => consumer.on('/status').some((s) => s.payload.online === true),
    10_000,
    'birth',
  );
  await consumer.waitFor(
    () => consumer.on('/state/health').some((s) => s.payload.data.components.ami?.status === 'ok'),
    15_000,
    'health: ami ok',
  );
  await consumer.waitFor(() => consumer.on('/state/peers').length > 0, 10_000, 'state/peers');
}
