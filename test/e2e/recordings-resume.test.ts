/**
 * Issue 7 against the agent process: the broker is killed in the middle of `pbxctl recording get`; once it is back
 * the agent reconnects, pbxctl asks again from the bytes it already has (offset > 0) and the file it writes is
 * byte-for-byte the recording.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Consumer,
  connectConsumer,
  pbxctlArgv,
  startTestPbx,
  type TestPbx,
} from '../helpers/agent-harness';
import { useProcesses } from '../helpers/process';
import { fileSha256, writeWav } from '../integration/recordings-harness';

const procs = useProcesses();
let pbx: TestPbx;
let consumer: Consumer;
const DAY = '2026/11/29';
const NAME = `q-600-200-20261129-103000-1764412200.9.wav`;
let file: string;

beforeAll(async () => {
  // A queue deep enough for the whole file: the test is about the broker going away, not about its queue limit.
  pbx = await startTestPbx({ dialect: '13', broker: { maxQueuedMessages: 10_000 } });
  mkdirSync(join(pbx.monitorDir, DAY), { recursive: true });
  file = join(pbx.monitorDir, DAY, NAME);
  await writeWav(file, 40 * 1024 * 1024, 256 * 1024);
  consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/status`);
  await pbx.startAgent();
  await consumer.waitFor(() => consumer.on('/status').some((s) => s.payload.online), 15_000, 'birth');
}, 60_000);
afterAll(async () => {
  await consumer?.close();
  await pbx?.close();
});

function partSize(out: string): number {
  try {
    return statSync(`${out}.part`).size;
  } catch {
    return 0;
  }
}

describe('recording transfer across a broker outage (agent process)', () => {
  it('the broker killed mid-transfer: pbxctl resumes from an offset and the file is byte-for-byte equal', async () => {
    const out = join(pbx.dir, 'resumed.wav');
    const run = procs.runNode(
      pbxctlArgv(pbx, ['recording', 'get'], ['--name', `/${DAY}/${NAME}`, '-o', out]),
      { timeoutMs: 120_000 },
    );
    const deadline = Date.now() + 30_000;
    while (partSize(out) < 4 * 1024 * 1024 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    const atKill = partSize(out);
    expect(atKill).toBeGreaterThan(0);
    await pbx.broker.kill();
    await new Promise((r) => setTimeout(r, 1000));
    await pbx.broker.start();
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    const resumed = [...r.stderr.matchAll(/resuming from byte (\d+)/g)].map((m) => Number(m[1]));
    expect(resumed.length).toBeGreaterThan(0);
    expect(Math.max(...resumed)).toBeGreaterThan(0);
    expect(statSync(out).size).toBe(statSync(file).size);
    expect(await fileSha256(out)).toBe(await fileSha256(file));
  }, 150_000);
});
