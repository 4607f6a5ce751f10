/**
 * Issue 7, the watcher across an agent restart (agent process): a recording that Asterisk is still writing when the
 * agent starts must be announced once, complete — not with the size it had during the startup scan — and a file
 * that arrived while the agent was down is announced after start.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavHeader } from '../../agent/src/recordings/audio-info';
import { type Consumer, connectConsumer, startTestPbx, type TestPbx } from '../helpers/agent-harness';

let pbx: TestPbx;
let consumer: Consumer;
const DAY = '2026/11/29';

beforeAll(async () => {
  pbx = await startTestPbx({ dialect: '13' });
  mkdirSync(join(pbx.monitorDir, DAY), { recursive: true });
  consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
  // A first run makes the watcher's state (the first start announces no history), then the agent stops.
  await pbx.startAgent();
  await pbx.agent!.waitForLine(/watching recordings/, 15_000);
  await pbx.agent!.stop('SIGTERM', 10_000);
}, 60_000);
afterAll(async () => {
  await consumer?.close();
  await pbx?.close();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const wavOf = (seconds: number) => {
  const n = seconds * 16_000;
  return Buffer.concat([wavHeader(n), randomFillSync(Buffer.alloc(n))]);
};

describe('recordings watcher across an agent restart', () => {
  it('a file that arrived while the agent was down is announced; one still being written is announced complete', async () => {
    const doneWav = wavOf(2);
    const doneName = 'exten-100-200-20261129-101000-1764411000.7.wav';
    writeFileSync(join(pbx.monitorDir, DAY, doneName), doneWav);
    const liveWav = wavOf(4);
    const liveName = 'exten-106-200-20261129-101100-1764411060.8.wav';
    const live = join(pbx.monitorDir, DAY, liveName);
    writeFileSync(live, liveWav.subarray(0, 44 + 16_000)); // the call is in progress: 1 s written so far
    await pbx.startAgent();
    // Asterisk keeps writing for 3 more seconds after the agent started.
    for (let pos = 44 + 16_000; pos < liveWav.length; pos += 8000) {
      await new Promise((r) => setTimeout(r, 250));
      appendFileSync(live, liveWav.subarray(pos, Math.min(liveWav.length, pos + 8000)));
    }
    const announced = () => consumer.on('/events/recording.new').map((s) => s.payload.data);
    await consumer.waitFor(() => announced().length >= 2, 20_000, 'two recording.new');
    await new Promise((r) => setTimeout(r, 4000)); // nothing more may come
    const byPath = new Map(announced().map((d) => [d.path, d]));
    expect(announced()).toHaveLength(2);
    expect(byPath.get(`${DAY}/${doneName}`)).toMatchObject({
      size: doneWav.length,
      sha256: sha256(doneWav),
      uniqueid: '1764411000.7',
    });
    expect(byPath.get(`${DAY}/${liveName}`)).toMatchObject({
      size: liveWav.length,
      duration_s: 4,
      sha256: sha256(liveWav),
      uniqueid: '1764411060.8',
    });
  });
});
