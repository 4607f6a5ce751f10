/** recordings.get behind the real command router and link (agent/src/link), through a real Mosquitto. */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingsGetCommand } from '../../agent/src/commands/recordings';
import { PbxlinkClient } from '../../protocol/src/client/client';
import { CommandFailedError } from '../../protocol/src/client/replies';
import { downloadRecording } from '../../protocol/src/client/transfer';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { type Rig, startRig, testKey } from '../unit/router/harness';
import { fileSha256, writeWav } from './recordings-harness';

const MAX_PACKET = 32 * 1024;
const reader = testKey('rec-1', ['recordings:read']);
const other = testKey('ops-1', ['read', 'cdr:read']);
const NAME = 'exten-201-200-20240115-093012-1705307412.34.wav';
const BIG = 'out-555-200-20240115-100000-1705309200.36.wav';
let broker: MosquittoBroker;
let rig: Rig;
let base: string;
let root: string;

beforeAll(async () => {
  // A broker with a small Maximum Packet Size: chunks must shrink to fit it.
  broker = await startMosquitto({ maxPacketSize: MAX_PACKET });
  base = await mkdtemp(join(tmpdir(), 'pbxl-rrouter-'));
  root = join(base, 'monitor');
  await mkdir(join(root, '2024/01/15'), { recursive: true });
  await writeWav(join(root, '2024/01/15', NAME), 3 * 1024 * 1024, 16 * 1024);
  await writeWav(join(root, '2024/01/15', BIG), 40 * 1024 * 1024, 256 * 1024);
  rig = await startRig({
    url: broker.url,
    keys: [reader, other],
    handlers: () => [
      createRecordingsGetCommand({ root, blobTopic: (id) => `pbxlink/v1/${rig.agent}/blob/${id}` }),
    ],
  });
}, 60_000);

afterAll(async () => {
  await rig?.close();
  await broker?.close();
  if (base) await rm(base, { recursive: true, force: true });
});

const connect = () => PbxlinkClient.connect({ url: broker.url });

describe('recordings.get through the router', () => {
  it('transfers within the broker maximum packet size, sha256 verified', async () => {
    const largest = { bytes: 0 };
    const watcher = await connect();
    watcher.mqtt.on('message', (_t, p) => {
      largest.bytes = Math.max(largest.bytes, p.length);
    });
    await watcher.mqtt.subscribeAsync(`pbxlink/v1/${rig.agent}/blob/#`, { qos: 0 });
    const out = join(base, 'a.wav');
    const r = await downloadRecording(
      connect,
      rig.agent,
      { name: `2024/01/15/${NAME}` },
      { kid: reader.kid, privateKey: reader.privateKey, output: out },
    );
    await watcher.close();
    expect(r.sha256).toBe(await fileSha256(join(root, '2024/01/15', NAME)));
    expect((await readFile(out)).equals(await readFile(join(root, '2024/01/15', NAME)))).toBe(true);
    expect(largest.bytes).toBeGreaterThan(1024);
    expect(largest.bytes).toBeLessThan(MAX_PACKET - 100);
  });

  it('the broker killed mid-transfer: the agent link reconnects, the client resumes with an offset', async () => {
    let killed = false;
    const out = join(base, 'big.wav');
    const r = await downloadRecording(
      connect,
      rig.agent,
      { name: `2024/01/15/${BIG}` },
      {
        kid: reader.kid,
        privateKey: reader.privateKey,
        output: out,
        timeoutMs: 3000,
        retryDelayMs: 500,
        retries: 10,
        onProgress: (p) => {
          if (!killed && p.received > 8 * 1024 * 1024) {
            killed = true;
            void broker
              .kill()
              .then(() => new Promise((x) => setTimeout(x, 300)))
              .then(() => broker.start());
          }
        },
      },
    );
    expect(killed).toBe(true);
    expect(r.offsets.length).toBeGreaterThan(1);
    expect(r.offsets.at(-1)).toBeGreaterThan(0);
    expect(await fileSha256(out)).toBe(await fileSha256(join(root, '2024/01/15', BIG)));
  }, 60_000);

  it('a key without recordings:read is forbidden; a traversal is invalid_args', async () => {
    const code = async (key: typeof reader, args: Record<string, unknown>) => {
      try {
        await downloadRecording(connect, rig.agent, args, {
          kid: key.kid,
          privateKey: key.privateKey,
          output: join(base, 'x.wav'),
          retries: 0,
        });
        return 'ok';
      } catch (e) {
        return e instanceof CommandFailedError ? e.code : String(e);
      }
    };
    expect(await code(other, { name: NAME })).toBe('forbidden');
    expect(await code(reader, { name: '../../etc/passwd' })).toBe('invalid_args');
    expect(await code(reader, { name: '2024/01/15/missing.wav' })).toBe('not_found');
    // The seed's '/YYYY/MM/DD/file' form: the client sends it root-relative, as the wire schema wants.
    expect(await code(reader, { name: `/2024/01/15/${NAME}` })).toBe('ok');
    expect(await code(reader, { name: '/etc/passwd' })).toBe('invalid_args');
  });
});
