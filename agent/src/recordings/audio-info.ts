import { open } from 'node:fs/promises';

/** What a RIFF/WAVE header says. */
export interface WavInfo {
  /** 1 = PCM, 6 = A-law, 7 = µ-law, 0x31 = GSM 6.10 (Asterisk's `WAV`/wav49). */
  audio_format: number;
  channels: number;
  sample_rate: number;
  byte_rate: number;
  /** Bytes of audio in the data chunk (from the header, or to end of file when the header was not finalized). */
  data_bytes: number;
  /** Offset of the first audio byte. */
  data_offset: number;
}

/** Most header bytes examined: Asterisk writes a 44/60-byte header; room for LIST/fact chunks. */
const HEADER_SPAN = 64 * 1024;

/** Parses a RIFF/WAVE header from its first bytes; `fileSize` fixes a data size Asterisk has not yet written. Null when not WAVE. */
export function parseWavHeader(buf: Uint8Array, fileSize: number): WavInfo | null {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE')
    return null;
  let pos = 12;
  let fmt: Omit<WavInfo, 'data_bytes' | 'data_offset'> | null = null;
  while (pos + 8 <= b.length) {
    const id = b.toString('latin1', pos, pos + 4);
    const size = b.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ' && body + 16 <= b.length) {
      fmt = {
        audio_format: b.readUInt16LE(body),
        channels: b.readUInt16LE(body + 2),
        sample_rate: b.readUInt32LE(body + 4),
        byte_rate: b.readUInt32LE(body + 8),
      };
    } else if (id === 'data') {
      if (!fmt) return null;
      const rest = Math.max(0, fileSize - body);
      // 0 or 0xFFFFFFFF while MixMonitor still writes, or larger than the file: count to the end instead.
      const data_bytes = size === 0 || size > rest ? rest : size;
      return { ...fmt, data_bytes, data_offset: body };
    }
    pos = body + size + (size & 1); // chunks are word-aligned
  }
  return null;
}

/** Bytes per second of headerless formats (§12.1: `gsm` is 33-byte frames of 20 ms). */
const RAW_RATES: Record<string, number> = { gsm: 33 / 0.02, sln: 16000, ulaw: 8000, alaw: 8000, g729: 1000 };

/** Duration in seconds of a recording: from the WAV header, or from the size for raw formats; null when unknown (mp3, bad header). */
export async function recordingDuration(path: string, format: string, size: number): Promise<number | null> {
  const f = format.toLowerCase();
  const rate = RAW_RATES[f];
  if (rate !== undefined) return round3(size / rate);
  if (f !== 'wav') return null;
  if (size < 12) return size === 0 ? 0 : null;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(HEADER_SPAN, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const info = parseWavHeader(buf.subarray(0, bytesRead), size);
    if (!info || info.byte_rate <= 0) return null;
    return round3(info.data_bytes / info.byte_rate);
  } finally {
    await fh.close();
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A 44-byte PCM WAV header for `dataBytes` of audio (tests and tools make valid files with it). */
export function wavHeader(dataBytes: number, sampleRate = 8000, channels = 1, bitsPerSample = 16): Buffer {
  const h = Buffer.alloc(44);
  const blockAlign = (channels * bitsPerSample) / 8;
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(Math.min(0xffffffff, 36 + dataBytes), 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bitsPerSample, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(Math.min(0xffffffff, dataBytes), 40);
  return h;
}
