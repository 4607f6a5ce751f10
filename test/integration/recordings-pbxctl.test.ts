import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingsGetCommand } from '../../agent/src/commands/recordings';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { buildPbxctl } from './pbxctl-helpers';
import { fileSha256, type StandIn, startStandIn, testKey, writeWav } from './recordings-harness';

const AGENT = 'rec-cli';
const NAME = 'exten-201-200-20240115-093012-1705307412.34.wav';
const BIG = 'out-555-200-20240115-100000-1705309200.36.wav';
let broker: MosquittoBroker;
let base: string;
let root: string;
let keyFile: string;
let agent: StandIn;
let bundle: Awaited<ReturnType<typeof buildPbxctl>>;

beforeAll(async () => {
  broker = await startMosquitto();
  bundle = await buildPbxctl();
  base = await mkdtemp(join(tmpdir(), 'pbxl-rcli-'));
  root = join(base, 'monitor');
  await mkdir(join(root, '2024/01/15'), { recursive: true });
  await writeWav(join(root, '2024/01/15', NAME), 16000 * 5, 4096);
  await writeWav(join(root, '2024/01/15', BIG), 120 * 1024 * 1024, 512 * 1024);
  keyFile = join(base, 'ops.key');
  await writeFile(keyFile, testKey().privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const handler = createRecordingsGetCommand({ root, blobTopic: (id) => `pbxlink/v1/${AGENT}/blob/${id}` });
  agent = await startStandIn(broker.url, AGENT, [handler]);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  await bundle?.cleanup();
  if (base) await rm(base, { recursive: true, force: true });
});

function pbxctl(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; out: string; err: string }>;
} {
  const child = spawn(process.execPath, [bundle.file, ...args], {
    env: { PATH: process.env.PATH, PBXCTL_BROKER_URL: broker.url, PBXCTL_KEY: keyFile },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out, err })),
  );
  return { child, done };
}

describe('pbxctl recording get', () => {
  it('downloads, verifies the sha256, shows progress on stderr', async () => {
    const out = join(base, 'a.wav');
    const r = await pbxctl(['recording', 'get', AGENT, '--name', `/2024/01/15/${NAME}`, '-o', out]).done;
    expect(r.code, r.err).toBe(0);
    expect((await readFile(out)).equals(await readFile(join(root, '2024/01/15', NAME)))).toBe(true);
    expect(r.out).toContain('verified');
    expect(r.err).toMatch(/100%/);
  });

  it('killed mid-download, run again: resumes from the .part file with an offset', async () => {
    const out = join(base, 'big.wav');
    const first = pbxctl(['recording', 'get', AGENT, '--name', BIG, '-o', out, '-q']);
    for (;;) {
      const size = await stat(`${out}.part`)
        .then((s) => s.size)
        .catch(() => 0);
      if (size > 20 * 1024 * 1024) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    first.child.kill('SIGKILL');
    await first.done;
    await expect(stat(out)).rejects.toThrow();
    const r = await pbxctl(['recording', 'get', AGENT, '--name', BIG, '-o', out]).done;
    expect(r.code, r.err).toBe(0);
    expect(await fileSha256(out)).toBe(await fileSha256(join(root, '2024/01/15', BIG)));
    const offsets = agent.seen.filter((s) => s.args.name === BIG).map((s) => s.args.offset);
    expect(offsets[0]).toBe(0);
    expect(offsets.at(-1)).toBeGreaterThan(20 * 1024 * 1024 - 64 * 1024);
  }, 60_000);

  it('error replies and bad usage have their exit codes', async () => {
    const missing = await pbxctl(['recording', 'get', AGENT, '--name', 'nope.wav', '-o', join(base, 'n.wav')])
      .done;
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('error not_found');
    const outside = await pbxctl([
      'recording',
      'get',
      AGENT,
      '--name',
      '../../etc/passwd',
      '-o',
      join(base, 'p'),
    ]).done;
    expect(outside.code).toBe(1);
    expect(outside.err).toContain('error invalid_args');
    const both = await pbxctl([
      'recording',
      'get',
      AGENT,
      '--name',
      'a',
      '--uniqueid',
      'b',
      '-o',
      join(base, 'x'),
    ]).done;
    expect(both.code).toBe(2);
    const noOut = await pbxctl(['recording', 'get', AGENT, '--name', 'a']).done;
    expect(noOut.code).toBe(2);
    expect(noOut.err).toContain('-o FILE');
  });
});
