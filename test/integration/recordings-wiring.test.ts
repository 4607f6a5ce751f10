/** buildRecordings from a loaded config, over the real link (agent/src/link) and a real Mosquitto. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecordings } from '../../agent/src/collectors/recordings-wiring';
import { loadConfig } from '../../agent/src/config/load';
import { Bus } from '../../agent/src/core/bus';
import { systemClock } from '../../agent/src/core/clock';
import type { AgentEvents, ModuleContext } from '../../agent/src/core/module';
import { Scheduler } from '../../agent/src/core/scheduler';
import type { AmiClient } from '../../agent/src/pbx/ami/types';
import { RecordingNewEvent } from '../../protocol/src/schemas/recordings';
import { validate } from '../../protocol/src/schemas/validate';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { makeLink, tempDir, testAgentId, until } from '../unit/link/harness';
import { writeWav } from './recordings-harness';

let broker: MosquittoBroker;
const tmp = tempDir('pbxl-rwire-');

beforeAll(async () => {
  broker = await startMosquitto();
}, 60_000);

afterAll(async () => {
  await broker?.close();
  tmp.cleanup();
});

describe('buildRecordings (push: mqtt)', () => {
  it('announces through the link as an envelope and pushes the chunks; recordings.get deps point at the same root', async () => {
    const agent = testAgentId();
    const root = join(tmp.dir, 'monitor');
    const state = join(tmp.dir, 'state');
    await mkdir(join(root, '2024/01/15'), { recursive: true });
    const cfgFile = join(tmp.dir, 'agent.yaml');
    await writeFile(
      cfgFile,
      `agent_id: ${agent}\nbroker:\n  url: ${broker.url}\nrecordings:\n  push: mqtt\n  max_concurrent_transfers: 3\n`,
    );
    const keys = join(tmp.dir, 'keys.json');
    await writeFile(keys, '[]');
    const loaded = loadConfig({
      configFile: cfgFile,
      env: {
        PBXLINK_DISCOVERY: '0',
        PBXLINK_MONITOR_DIR: root,
        PBXLINK_STATE_DIR: state,
        PBXLINK_TRUSTED_KEYS: keys,
      },
    });
    expect(loaded.problems).toEqual([]);
    const config = loaded.config!;
    const { link, publisher } = makeLink({ url: broker.url, stateDir: state, agent });
    const consumer = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const events: Array<{ topic: string; json: any }> = [];
    const blobs = new Map<string, Map<number, Buffer>>();
    consumer.on('message', (topic, payload) => {
      if (topic.includes('/events/')) events.push({ topic, json: JSON.parse(payload.toString()) });
      else {
        const [id, i] = topic.split('/').slice(-2) as [string, string];
        if (!blobs.has(id)) blobs.set(id, new Map());
        blobs.get(id)?.set(Number(i), payload);
      }
    });
    await consumer.subscribeAsync([`pbxlink/v1/${agent}/events/+`, `pbxlink/v1/${agent}/blob/#`], { qos: 1 });
    const log = pino({ level: 'silent' });
    const parts = buildRecordings({ config, link: publisher, clock: systemClock, log });
    expect(parts.pusher).toBeDefined();
    expect(parts.commandDeps.root).toBe(root);
    expect(parts.commandDeps.limiter?.max).toBe(3);
    expect(parts.commandDeps.blobTopic('abc')).toBe(`pbxlink/v1/${agent}/blob/abc`);
    const ctx: ModuleContext = {
      log,
      clock: systemClock,
      scheduler: new Scheduler(log),
      bus: new Bus<AgentEvents>(),
      publisher,
      ami: undefined as unknown as AmiClient,
    };
    link.start();
    await until(() => link.connected, 10_000, 'link');
    parts.watcher.start(ctx);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const name = 'exten-201-200-20240115-093012-1705307412.34.wav';
      await writeWav(join(root, '2024/01/15', name), 300_000, 8192);
      await until(() => events.some((e) => e.topic.endsWith('/recording.push')), 15_000, 'recording.push');
      const announced = events.find((e) => e.topic.endsWith('/events/recording.new'))?.json;
      expect(announced).toMatchObject({
        v: 1,
        agent,
        type: 'recording.new',
        data: { path: `2024/01/15/${name}`, uniqueid: '1705307412.34' },
      });
      expect(validate(RecordingNewEvent, announced.data).ok).toBe(true);
      const meta = events.find((e) => e.topic.endsWith('/recording.push'))?.json.data;
      await until(() => (blobs.get(meta.transfer_id)?.size ?? 0) === meta.chunks, 10_000, 'chunks');
      const m = blobs.get(meta.transfer_id) as Map<number, Buffer>;
      const whole = Buffer.concat([...m.keys()].sort((a, b) => a - b).map((k) => m.get(k) as Buffer));
      expect(createHash('sha256').update(whole).digest('hex')).toBe(announced.data.sha256);
      expect(whole.equals(await readFile(join(root, '2024/01/15', name)))).toBe(true);
    } finally {
      parts.pusher?.stop();
      await parts.watcher.stop();
      await link.stop();
      await consumer.endAsync();
    }
  }, 40_000);
});
