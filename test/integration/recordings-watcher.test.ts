import {
  appendFile,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingsWatcher } from '../../agent/src/collectors/recordings-watcher';
import { Bus } from '../../agent/src/core/bus';
import { systemClock } from '../../agent/src/core/clock';
import type { AgentEvents, ModuleContext } from '../../agent/src/core/module';
import { Scheduler } from '../../agent/src/core/scheduler';
import type { AmiClient } from '../../agent/src/pbx/ami/types';
import { wavHeader } from '../../agent/src/recordings/audio-info';
import { RecordingNewEvent } from '../../protocol/src/schemas/recordings';
import { validate } from '../../protocol/src/schemas/validate';
import { RecordingPublisher } from '../helpers/recording-publisher';
import { fileSha256 } from './recordings-harness';

let base: string;
let root: string;
let stateDir: string;
const running: RecordingsWatcher[] = [];

function startWatcher(extra: Partial<ConstructorParameters<typeof RecordingsWatcher>[0]> = {}) {
  const publisher = new RecordingPublisher();
  const log = pino({ level: 'silent' });
  const ctx: ModuleContext = {
    log,
    clock: systemClock,
    scheduler: new Scheduler(log),
    bus: new Bus<AgentEvents>(),
    publisher,
    ami: undefined as unknown as AmiClient,
  };
  const w = new RecordingsWatcher({ root, stateDir, stabilityMs: 400, rootCheckMs: 200, ...extra });
  w.start(ctx);
  running.push(w);
  return { w, publisher, paths: () => publisher.eventsOf('recording.new').map((d) => d.path as string) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A complete PCM WAV of `seconds` (8 kHz, 16-bit mono). */
async function wav(path: string, seconds: number): Promise<void> {
  await writeFile(path, Buffer.concat([wavHeader(16000 * seconds), Buffer.alloc(16000 * seconds, 7)]));
}

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'pbxl-rwatch-'));
  root = join(base, '.spool', 'monitor'); // a hidden folder above the root must not hide recordings
  stateDir = join(base, 'state');
  await mkdir(join(root, '2024/01/15'), { recursive: true });
});

afterEach(async () => {
  for (const w of running.splice(0)) await w.stop();
  await rm(base, { recursive: true, force: true });
});

describe('recordings watcher', () => {
  it('announces a new dated recording once, with the §12 fields, duration, sha256 (schema-valid)', async () => {
    const { publisher } = startWatcher();
    await sleep(300);
    const name = 'exten-201-200-20240115-093012-1705307412.34.wav';
    await wav(join(root, '2024/01/15', name), 2);
    await publisher.waitFor(() => publisher.eventsOf('recording.new').length === 1, 5000, 'recording.new');
    await sleep(800);
    const events = publisher.eventsOf('recording.new');
    expect(events).toHaveLength(1);
    const d = events[0];
    expect(d).toMatchObject({
      path: `2024/01/15/${name}`,
      size: 44 + 32000,
      format: 'wav',
      duration_s: 2,
      uniqueid: '1705307412.34',
      kind: 'exten',
      to: '201',
      from: '200',
      recorded_at: '2024-01-15 09:30:12',
      sha256: await fileSha256(join(root, '2024/01/15', name)),
    });
    expect(validate(RecordingNewEvent, d).ok).toBe(true);
  });

  it('flat layout (§12.1), raw GSM duration from the size; non-audio and symlinks out are ignored', async () => {
    await writeFile(join(base, 'outside.wav'), 'x');
    const { publisher, paths } = startWatcher();
    await sleep(300);
    await writeFile(join(root, 'OUT200-20100302-101500-1267524900.13.gsm'), Buffer.alloc(33 * 150));
    await writeFile(join(root, 'notes.txt'), 'not audio');
    await writeFile(join(root, '.partial-1-2-20100302-101500-1.1.wav'), 'hidden temp file');
    await symlink(join(base, 'outside.wav'), join(root, 'escape.wav'));
    await publisher.waitFor(() => paths().length >= 1, 5000, 'flat recording');
    await sleep(800);
    expect(paths()).toEqual(['OUT200-20100302-101500-1267524900.13.gsm']);
    expect(publisher.eventsOf('recording.new')[0]).toMatchObject({
      kind: 'out',
      from: '200',
      duration_s: 3,
      format: 'gsm',
    });
  });

  it('a file that grows while watched is announced once, when complete, with its final size', async () => {
    const { publisher } = startWatcher();
    await sleep(300);
    const p = join(root, '2024/01/15', 'out-555-200-20240115-100000-1705309200.36.wav');
    await writeFile(p, wavHeader(0)); // MixMonitor: header first, sizes filled in at close
    for (let i = 0; i < 12; i++) {
      await appendFile(p, Buffer.alloc(1600, i)); // 100 ms of audio every 100 ms, as in real time
      await sleep(100);
    }
    expect(publisher.eventsOf('recording.new')).toHaveLength(0); // still growing: nothing yet
    await publisher.waitFor(() => publisher.eventsOf('recording.new').length === 1, 5000, 'grown file');
    await sleep(1000);
    const events = publisher.eventsOf('recording.new');
    expect(events).toHaveLength(1);
    expect(events[0].size).toBe(44 + 12 * 1600);
    expect(events[0].duration_s).toBe(1.2); // header data size 0 (not finalized): counted to the end
  });

  it('a restart does not announce again; files created while stopped are announced after start', async () => {
    const first = startWatcher();
    await sleep(300);
    await wav(join(root, '2024/01/15', 'exten-1-2-20240115-000001-1.1.wav'), 1);
    await first.publisher.waitFor(() => first.paths().length === 1, 5000, 'first file');
    await first.w.stop();
    await wav(join(root, '2024/01/15', 'exten-1-2-20240115-000002-1.2.wav'), 1);
    await mkdir(join(root, '2024/01/16'));
    await wav(join(root, '2024/01/16', 'exten-1-2-20240116-000003-1.3.wav'), 1);
    const second = startWatcher();
    await second.publisher.waitFor(() => second.paths().length === 2, 5000, 'files from downtime');
    await sleep(1000);
    expect(second.paths().sort()).toEqual([
      '2024/01/15/exten-1-2-20240115-000002-1.2.wav',
      '2024/01/16/exten-1-2-20240116-000003-1.3.wav',
    ]);
    const state = JSON.parse(await readFile(join(stateDir, 'recordings-seen.json'), 'utf8'));
    expect(Object.keys(state.entries)).toHaveLength(3);
  });

  it('on the very first start the existing history is not announced', async () => {
    await wav(join(root, '2024/01/15', 'exten-1-2-20240115-000001-9.1.wav'), 1);
    await sleep(50);
    const { paths } = startWatcher();
    await sleep(1500);
    expect(paths()).toEqual([]);
  });

  it('a large history (3000 files older than the floor) is not announced; a new file among it is', async () => {
    const first = startWatcher(); // creates the state (floor = now)
    await sleep(300);
    await first.w.stop();
    const old = new Date(Date.now() - 3 * 24 * 3600_000);
    for (let d = 1; d <= 30; d++) {
      const dir = join(root, `2023/11/${String(d).padStart(2, '0')}`);
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < 100; i++) {
        const p = join(
          dir,
          `exten-1-2-202311${String(d).padStart(2, '0')}-0000${String(i % 60).padStart(2, '0')}-${d}.${i}.wav`,
        );
        await writeFile(p, wavHeader(0));
        await utimes(p, old, old);
      }
    }
    const { publisher, paths } = startWatcher();
    await sleep(300);
    await wav(join(root, '2024/01/15', 'exten-1-2-20240115-000001-7.1.wav'), 1);
    await publisher.waitFor(() => paths().length === 1, 8000, 'the new file');
    await sleep(800);
    expect(paths()).toEqual(['2024/01/15/exten-1-2-20240115-000001-7.1.wav']);
  }, 30_000);

  it('survives the monitor folder removed and recreated', async () => {
    const { w, publisher, paths } = startWatcher();
    await sleep(300);
    await wav(join(root, 'a-1-2-20240115-000001-2.1.wav'), 1);
    await publisher.waitFor(() => paths().length === 1, 5000, 'before removal');
    await rename(root, join(base, '.spool', 'monitor.old'));
    await sleep(600);
    expect(w.health()).toMatchObject({ status: 'degraded' });
    await mkdir(join(root, '2024/02/01'), { recursive: true });
    await sleep(600);
    await wav(join(root, '2024/02/01', 'a-1-2-20240201-000001-2.2.wav'), 1);
    await publisher.waitFor(() => paths().length === 2, 8000, 'after re-creation');
    expect(paths()[1]).toBe('2024/02/01/a-1-2-20240201-000001-2.2.wav');
    expect(w.health()).toEqual({ status: 'ok' });
  });
});
