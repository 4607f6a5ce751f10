/** The link in a child process that is SIGKILLed: what the broker and a consumer see, and what survives on disk. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Link } from '../../agent/src/link/link';
import { parseEnvelope } from '../../protocol/src/envelope';
import { StatusWill } from '../../protocol/src/schemas/status';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { type Consumer, makeLink, startConsumer, tempDir, testAgentId, until } from '../unit/link/harness';

const HARNESS = resolve(import.meta.dirname, '../unit/link/harness.ts');

/** Child program: start a link; on stdin line "events N" publish N events and answer "queued"; print "ready" when connected. */
const CHILD = `
import { makeLink } from ${JSON.stringify(HARNESS)};
const [url, dir, agent] = process.argv.slice(-3);
const { link, publisher } = makeLink({ url, stateDir: dir, agent });
link.onStatus((s) => { if (s.state === 'connected') process.stdout.write('ready ' + link.bootId + '\\n'); });
link.start();
process.stdout.write('started ' + link.bootId + '\\n');
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) {
    const [cmd, n] = buf.slice(0, i).split(' ');
    buf = buf.slice(i + 1);
    if (cmd === 'events') {
      for (let k = 1; k <= Number(n); k++) publisher.publishEvent('cdr.new', { k });
      setTimeout(() => process.stdout.write('queued\\n'), 50);
    }
  }
});
setInterval(() => {}, 1000);
`;

let broker: MosquittoBroker;
let consumer: Consumer;
let state: ReturnType<typeof tempDir>;
let agent: string;
let base: string;
let child: ChildProcess | undefined;
const links: Link[] = [];

beforeEach(async () => {
  broker = await startMosquitto();
  agent = testAgentId();
  base = `pbxlink/v1/${agent}`;
  state = tempDir();
  consumer = await startConsumer(broker.url, [`${base}/#`], {
    clean: false,
    clientId: `consumer-${agent}`,
    properties: { sessionExpiryInterval: 600 },
  });
});
afterEach(async () => {
  child?.kill('SIGKILL');
  for (const l of links.splice(0)) await l.stop();
  await consumer?.close();
  await broker?.close();
  state?.cleanup();
});

/** Spawns the child link and resolves with a reader of its stdout lines. */
function spawnChild(): { lines: string[]; proc: ChildProcess } {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', CHILD, broker.url, state.dir, agent],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: resolve(import.meta.dirname, '../..'),
    },
  );
  child = proc;
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  });
  return { lines, proc };
}

async function kill(proc: ChildProcess): Promise<void> {
  const exited = once(proc, 'exit');
  proc.kill('SIGKILL');
  await exited;
}

describe('link killed abruptly', () => {
  it('makes the broker publish the last will: online:false, reason "connection lost", retained', async () => {
    const { lines, proc } = spawnChild();
    await until(() => lines.some((l) => l.startsWith('ready ')), 20_000, 'child connected');
    const bootId = lines.find((l) => l.startsWith('ready '))!.split(' ')[1];
    await consumer.waitFor((m) => m.topic === `${base}/status` && m.json?.online === true);
    const from = consumer.seen.length;
    await kill(proc);
    const will = await consumer.waitFor((m) => m.topic === `${base}/status`, 10_000, from);
    expect(will.json).toEqual({ online: false, agent, boot_id: bootId, reason: 'connection lost' });
    expect(Value.Check(StatusWill, will.json)).toBe(true);
    const late = await startConsumer(broker.url, [`${base}/status`]);
    try {
      const retained = await late.waitFor(() => true);
      expect(retained.retain).toBe(true);
      expect(retained.json.online).toBe(false);
    } finally {
      await late.close();
    }
  });

  it('keeps what it queued while the broker was down across a SIGKILL; a new process delivers it', async () => {
    const { lines, proc } = spawnChild();
    await until(() => lines.some((l) => l.startsWith('ready ')), 20_000, 'child connected');
    await broker.stop();
    proc.stdin!.write('events 40\n');
    await until(() => lines.includes('queued'), 10_000, 'child queued events');
    await kill(proc);
    const { link, publisher } = makeLink({ url: broker.url, stateDir: state.dir, agent });
    links.push(link);
    link.start();
    expect(link.stats().outboxEntries).toBe(40);
    await broker.start();
    const got = await consumer.waitCount((m) => m.topic === `${base}/events/cdr.new`, 40, 20_000);
    expect(got.map((m) => m.json.data.k)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const seqs = got.map((m) => parseEnvelope(m.payload)!.seq);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => seqs[0]! + i));
    // The new process never reuses a seq of the killed one.
    publisher.publishEvent('audit', { after: 'crash' });
    const next = await consumer.waitFor((m) => m.topic === `${base}/events/audit`);
    expect(parseEnvelope(next.payload)!.seq).toBeGreaterThan(seqs[39]!);
    expect(next.json.boot_id).not.toBe(got[0]!.json.boot_id);
  });
});
