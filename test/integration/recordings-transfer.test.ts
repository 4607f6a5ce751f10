import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingsGetCommand } from '../../agent/src/commands/recordings';
import { TransferLimiter } from '../../agent/src/recordings/transfer';
import { PbxlinkClient } from '../../protocol/src/client/client';
import { CommandFailedError } from '../../protocol/src/client/replies';
import { downloadRecording } from '../../protocol/src/client/transfer';
import { agentTopics } from '../../protocol/src/topics';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { fileSha256, type StandIn, startStandIn, testKey, writeWav } from './recordings-harness';

const AGENT = 'rec-xfer';
const topics = agentTopics('pbxlink/v1', AGENT);
const key = testKey();
let broker: MosquittoBroker;
let base: string;
let root: string;
let out: string;
let agent: StandIn;
const limiter = new TransferLimiter(2);
const DAY = '2024/01/15';
const SMALL = 'exten-201-200-20240115-093012-1705307412.34.wav';
const EMPTY = 'exten-201-200-20240115-093100-1705307460.35.wav';
const BIG = 'out-5551234-200-20240115-100000-1705309200.36.wav';
const MID = 'out-5551234-200-20240115-110000-1705312800.37.wav';

beforeAll(async () => {
  broker = await startMosquitto();
  base = await mkdtemp(join(tmpdir(), 'pbxl-rxfer-'));
  root = join(base, 'monitor');
  out = join(base, 'out');
  await mkdir(join(root, DAY), { recursive: true });
  await mkdir(out);
  await writeWav(join(root, DAY, SMALL), 16000 * 3, 4096); // 3 s of 8 kHz 16-bit, random blocks every 4 KiB
  await writeWav(join(root, DAY, EMPTY), 0);
  await writeWav(join(root, DAY, BIG), 200 * 1024 * 1024);
  await writeWav(join(root, DAY, MID), 60 * 1024 * 1024, 1024 * 1024);
  await writeFile(join(base, 'secret.txt'), 'outside the root');
  await symlink(join(base, 'secret.txt'), join(root, 'link-out.wav'));
  const handler = createRecordingsGetCommand({
    root,
    blobTopic: (id) => `${topics.prefix}/${AGENT}/blob/${id}`,
    limiter,
  });
  agent = await startStandIn(broker.url, AGENT, [handler]);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await broker?.close();
  if (base) await rm(base, { recursive: true, force: true });
});

const connect = () => PbxlinkClient.connect({ url: broker.url });

async function fetch(
  name: string,
  file: string,
  extra: Partial<Parameters<typeof downloadRecording>[3]> = {},
) {
  return downloadRecording(
    connect,
    AGENT,
    { name },
    { ...key, output: join(out, file), retryDelayMs: 200, ...extra },
  );
}

async function errorCode(args: Record<string, unknown>): Promise<string> {
  const c = await connect();
  try {
    const replies = await c.sendCommand(AGENT, 'recordings.get', args, key);
    for await (const _ of replies) {
      /* drain */
    }
    return 'ok';
  } catch (e) {
    if (e instanceof CommandFailedError) return e.code;
    throw e;
  } finally {
    await c.close();
  }
}

describe('recordings.get through a real Mosquitto', () => {
  it('a few seconds of WAV arrive byte for byte, sha256 verified, progress reported', async () => {
    const seen: number[] = [];
    const r = await fetch(`/${DAY}/${SMALL}`, 'small.wav', { onProgress: (p) => seen.push(p.received) });
    const a = await readFile(join(root, DAY, SMALL));
    const b = await readFile(join(out, 'small.wav'));
    expect(b.equals(a)).toBe(true);
    expect(r).toMatchObject({
      name: `${DAY}/${SMALL}`,
      size: a.length,
      sha256: await fileSha256(join(root, DAY, SMALL)),
    });
    expect(seen.at(-1)).toBe(a.length);
    await expect(stat(join(out, 'small.wav.part'))).rejects.toThrow();
  });

  it('a WAV with 0 bytes of audio (header only) arrives whole', async () => {
    await fetch(EMPTY, 'empty.wav'); // base name → dated folder
    expect((await readFile(join(out, 'empty.wav'))).equals(await readFile(join(root, DAY, EMPTY)))).toBe(
      true,
    );
    // A file with no bytes at all (a recording cut before MixMonitor wrote its header) arrives as such.
    await writeFile(join(root, DAY, 'zero-1-2-20240115-000000-1.0.wav'), Buffer.alloc(0));
    const r = await fetch(`${DAY}/zero-1-2-20240115-000000-1.0.wav`, 'zero.wav');
    expect(r).toMatchObject({
      size: 0,
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    expect((await stat(join(out, 'zero.wav'))).size).toBe(0);
  });

  it('a 200 MB WAV arrives complete with the same sha256, in chunks within 96 KB', async () => {
    const watcher = await connect();
    let largest = 0;
    let blobs = 0;
    watcher.mqtt.on('message', (_t, p) => {
      blobs++;
      largest = Math.max(largest, p.length);
    });
    await watcher.mqtt.subscribeAsync(`${topics.prefix}/${AGENT}/blob/#`, { qos: 0 });
    const retried: string[] = [];
    const r = await fetch(`${DAY}/${BIG}`, 'big.wav', { onRetry: (i) => retried.push(i.reason) });
    expect(retried).toEqual([]); // no chunk lost on the way, nothing asked twice
    await watcher.close();
    expect(largest).toBeLessThanOrEqual(96 * 1024);
    expect(blobs).toBeGreaterThanOrEqual(Math.ceil((200 * 1024 * 1024) / (96 * 1024)));
    expect((await stat(join(out, 'big.wav'))).size).toBe(200 * 1024 * 1024 + 44);
    expect(await fileSha256(join(out, 'big.wav'))).toBe(await fileSha256(join(root, DAY, BIG)));
    expect(r.offsets).toEqual([0]);
    await rm(join(out, 'big.wav'));
  }, 120_000);

  it('the broker killed mid-transfer: the download resumes with an offset and completes', async () => {
    let killed = false;
    const retries: number[] = [];
    const r = await fetch(`${DAY}/${MID}`, 'mid.wav', {
      timeoutMs: 3000,
      onProgress: (p) => {
        if (!killed && p.received > 15 * 1024 * 1024) {
          killed = true;
          void broker
            .kill()
            .then(() => new Promise((x) => setTimeout(x, 500)))
            .then(() => broker.start());
        }
      },
      onRetry: (i) => retries.push(i.offset),
    });
    expect(killed).toBe(true);
    expect(r.offsets.length).toBeGreaterThan(1);
    expect(r.offsets.at(-1)).toBeGreaterThan(0);
    expect(await fileSha256(join(out, 'mid.wav'))).toBe(await fileSha256(join(root, DAY, MID)));
    // The agent was asked again with the offset (not from 0).
    expect(agent.seen.filter((s) => s.args.name === `${DAY}/${MID}`).map((s) => s.args.offset)).toContain(
      r.offsets.at(-1),
    );
    await rm(join(out, 'mid.wav'));
  }, 120_000);

  it('an interrupted earlier run (.part left behind) is resumed from its last whole chunk, not restarted', async () => {
    const src = join(root, DAY, MID);
    const prefix = (await readFile(src)).subarray(0, 3 * 64 * 1024 + 1000); // 3 whole chunks and a torn 4th
    const side = {
      request: { name: `${DAY}/${MID}` },
      sha256: await fileSha256(src),
      size: (await stat(src)).size,
      chunk_size: 64 * 1024,
    };
    await writeFile(join(out, 'again.wav.part'), prefix);
    await writeFile(join(out, 'again.wav.part.json'), JSON.stringify(side));
    const r = await fetch(`${DAY}/${MID}`, 'again.wav');
    expect(r.offsets).toEqual([3 * 64 * 1024]);
    expect(await fileSha256(join(out, 'again.wav'))).toBe(side.sha256);
    await rm(join(out, 'again.wav'));
  }, 60_000);

  it('every traversal attempt is refused with invalid_args', async () => {
    for (const name of [
      '../secret.txt',
      `${DAY}/../../../secret.txt`,
      '/etc/passwd',
      'link-out.wav',
      'a\u0000.wav',
      '..\\secret.txt',
    ]) {
      expect(await errorCode({ name }), name).toBe('invalid_args');
    }
  });

  it('missing → not_found; both or neither of name/uniqueid → invalid_args; a bad offset → invalid_args', async () => {
    expect(await errorCode({ name: `${DAY}/none.wav` })).toBe('not_found');
    expect(await errorCode({})).toBe('invalid_args');
    expect(await errorCode({ name: SMALL, uniqueid: '1.2' })).toBe('invalid_args');
    expect(await errorCode({ name: SMALL, offset: 7 })).toBe('invalid_args');
  });

  it('more concurrent transfers than the limit → busy', async () => {
    // Hold both slots with transfers that cannot finish quickly, then ask a third time.
    const held = [limiter.acquire(), limiter.acquire()];
    try {
      expect(await errorCode({ name: SMALL })).toBe('busy');
    } finally {
      for (const r of held) r();
    }
    expect(await errorCode({ name: SMALL })).toBe('ok');
  });
});
