import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWavHeader, recordingDuration, wavHeader } from '../../../agent/src/recordings/audio-info';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pbxl-audio-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('audio duration', () => {
  it('reads PCM duration from the WAV header', async () => {
    const p = join(dir, 'a.wav');
    await writeFile(p, Buffer.concat([wavHeader(16000 * 3), Buffer.alloc(16000 * 3)]));
    expect(await recordingDuration(p, 'wav', 44 + 48000)).toBe(3);
  });

  it('counts to the end of the file when MixMonitor has not finalized the data size', async () => {
    const h = wavHeader(0);
    const p = join(dir, 'b.wav');
    await writeFile(p, Buffer.concat([h, Buffer.alloc(8000)]));
    expect(await recordingDuration(p, 'wav', 44 + 8000)).toBe(0.5);
  });

  it('reads GSM-in-RIFF (WAV, wav49) by its byte rate and skips extra chunks', () => {
    const fmt = Buffer.alloc(8 + 20);
    fmt.write('fmt ', 0, 'latin1');
    fmt.writeUInt32LE(20, 4);
    fmt.writeUInt16LE(0x31, 8);
    fmt.writeUInt16LE(1, 10);
    fmt.writeUInt32LE(8000, 12);
    fmt.writeUInt32LE(1625, 16);
    const fact = Buffer.alloc(12);
    fact.write('fact', 0, 'latin1');
    fact.writeUInt32LE(4, 4);
    const data = Buffer.alloc(8);
    data.write('data', 0, 'latin1');
    data.writeUInt32LE(1625 * 4, 4);
    const riff = Buffer.alloc(12);
    riff.write('RIFF', 0, 'latin1');
    riff.write('WAVE', 8, 'latin1');
    const head = Buffer.concat([riff, fmt, fact, data]);
    const info = parseWavHeader(head, head.length + 1625 * 4);
    expect(info).toMatchObject({ audio_format: 0x31, byte_rate: 1625, data_bytes: 6500 });
  });

  it('raw GSM: 33 bytes per 20 ms; mp3 unknown; zero-length WAV is 0 s; garbage is null', async () => {
    expect(await recordingDuration('/nonexistent', 'gsm', 33 * 50)).toBe(1);
    expect(await recordingDuration('/nonexistent', 'mp3', 1234)).toBeNull();
    expect(await recordingDuration('/nonexistent', 'wav', 0)).toBe(0);
    const p = join(dir, 'c.wav');
    await writeFile(p, Buffer.from('this is not a riff file at all'));
    expect(await recordingDuration(p, 'wav', 30)).toBeNull();
  });
});
