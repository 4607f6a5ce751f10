/**
 * Issue 7 against the agent process: a WAV written into PBXLINK_MONITOR_DIR (FreePBX 2.11 dated folder and name,
 * reference §12.2) is announced once, when complete, as recording.new (uniqueid parsed, sha256 of the file);
 * `pbxctl recording get` by seed-style name and by CDR uniqueid (cdr.recordingfile) reassembles it byte for byte;
 * traversal names are invalid_args; a missing file is not_found.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wavHeader } from '../../agent/src/recordings/audio-info';
import {
  type Consumer,
  connectConsumer,
  pbxctlArgv,
  startTestPbx,
  type TestPbx,
} from '../helpers/agent-harness';
import { useProcesses } from '../helpers/process';

const procs = useProcesses();
let pbx: TestPbx;
let consumer: Consumer;

const DAY = '2026/11/29';
const UNIQUEID = '1764411300.42';
const NAME = `out-5551234-200-20261129-101500-${UNIQUEID}.wav`;
/** 3 s of 8 kHz 16-bit mono. */
const DATA_BYTES = 3 * 16_000;
let wav: Buffer;

beforeAll(async () => {
  pbx = await startTestPbx({ dialect: '13' });
  mkdirSync(join(pbx.monitorDir, DAY), { recursive: true });
  consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
  await pbx.startAgent();
  await consumer.waitFor(() => consumer.on('/status').some((s) => s.payload.online), 15_000, 'birth');
  // The watcher's initial scan is over (chokidar 'ready'): from here on, files are tracked until written.
  await pbx.agent!.waitForLine(/watching recordings/, 15_000);
  wav = Buffer.concat([wavHeader(DATA_BYTES), randomFillSync(Buffer.alloc(DATA_BYTES))]);
}, 60_000);
afterAll(async () => {
  await consumer?.close();
  await pbx?.close();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function recordingGet(args: string[]) {
  return procs.runNode(pbxctlArgv(pbx, ['recording', 'get'], ['-q', ...args]), { timeoutMs: 60_000 });
}

describe('recordings on the agent process', () => {
  it('a WAV written over ~1.5 s into the dated folder is announced once, complete, with uniqueid and sha256', async () => {
    const file = join(pbx.monitorDir, DAY, NAME);
    // Asterisk writes for the whole call: the header first, then the audio in pieces.
    writeFileSync(file, wav.subarray(0, 44));
    for (let pos = 44; pos < wav.length; pos += 8000) {
      await new Promise((r) => setTimeout(r, 250));
      appendFileSync(file, wav.subarray(pos, Math.min(wav.length, pos + 8000)));
    }
    await consumer.waitFor(() => consumer.on('/events/recording.new').length > 0, 20_000, 'recording.new');
    await new Promise((r) => setTimeout(r, 3000)); // a second announcement would come by now
    const events = consumer.on('/events/recording.new').map((s) => s.payload);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ v: 1, agent: pbx.agentId, type: 'recording.new' });
    expect(events[0].data).toMatchObject({
      path: `${DAY}/${NAME}`,
      size: wav.length,
      format: 'wav',
      duration_s: 3,
      uniqueid: UNIQUEID,
      kind: 'out',
      sha256: sha256(wav),
    });
  });

  it('pbxctl recording get --name /YYYY/MM/DD/file.wav reassembles it byte for byte', async () => {
    const out = join(pbx.dir, 'by-name.wav');
    const r = await recordingGet(['--name', `/${DAY}/${NAME}`, '-o', out]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(readFileSync(out).equals(wav)).toBe(true);
  });

  it('pbxctl recording get --uniqueid U (CDR row with recordingfile) reassembles it byte for byte', async () => {
    await pbx.dbs.conn.query(
      `INSERT INTO \`${pbx.dbs.cdrDb}\`.cdr (calldate, src, dst, disposition, billsec, uniqueid, recordingfile) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ['2026-11-29 10:15:00', '200', '5551234', 'ANSWERED', 3, UNIQUEID, NAME],
    );
    const out = join(pbx.dir, 'by-uniqueid.wav');
    const r = await recordingGet(['--uniqueid', UNIQUEID, '-o', out]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(readFileSync(out).equals(wav)).toBe(true);
  });

  it('traversal names are invalid_args, a missing file not_found; nothing is written', async () => {
    writeFileSync(join(pbx.dir, 'outside.wav'), wav);
    for (const name of ['../outside.wav', `${DAY}/../../../../outside.wav`, join(pbx.dir, 'outside.wav')]) {
      const out = join(pbx.dir, 'refused.wav');
      const r = await recordingGet(['--name', name, '-o', out]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(/invalid_args/);
    }
    // A symlink inside the root whose target leaves it.
    symlinkSync(
      join(pbx.dir, 'outside.wav'),
      join(pbx.monitorDir, DAY, 'exten-1-2-20261129-101600-1764411360.1.wav'),
    );
    const link = await recordingGet([
      '--name',
      `/${DAY}/exten-1-2-20261129-101600-1764411360.1.wav`,
      '-o',
      join(pbx.dir, 'link.wav'),
    ]);
    expect(link.code).toBe(1);
    expect(link.stderr).toMatch(/invalid_args/);
    // A CDR row whose recordingfile points out of the root is never followed.
    await pbx.dbs.conn.query(
      `INSERT INTO \`${pbx.dbs.cdrDb}\`.cdr (calldate, src, dst, disposition, uniqueid, recordingfile) VALUES (?, ?, ?, ?, ?, ?)`,
      ['2026-11-29 10:17:00', '200', '100', 'ANSWERED', '1764411420.5', '../../outside.wav'],
    );
    const viaCdr = await recordingGet(['--uniqueid', '1764411420.5', '-o', join(pbx.dir, 'cdr.wav')]);
    expect(viaCdr.code).toBe(1);
    expect(viaCdr.stderr).toMatch(/invalid_args|not_found/);
    expect(existsSync(join(pbx.dir, 'cdr.wav'))).toBe(false);
    expect(existsSync(join(pbx.dir, 'link.wav'))).toBe(false);
    const missing = await recordingGet([
      '--name',
      `/${DAY}/exten-100-200-20261129-101500-1.1.wav`,
      '-o',
      join(pbx.dir, 'm.wav'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not_found/);
    const noCdr = await recordingGet(['--uniqueid', '1764411399.99', '-o', join(pbx.dir, 'n.wav')]);
    expect(noCdr.code).toBe(1);
    expect(noCdr.stderr).toMatch(/not_found/);
  });
});
