import { posix } from 'node:path';
import { recordingDuration } from './audio-info';
import type { RecordingFile } from './confine';
import type { HashCache } from './hash';
import { parseRecordingName } from './name';

/** `recording.new` event data (protocol RecordingNewEvent). */
export interface RecordingNewData {
  path: string;
  size: number;
  format: string;
  duration_s: number | null;
  uniqueid: string | null;
  kind: string | null;
  from: string | null;
  to: string | null;
  recorded_at: string | null;
  sha256: string;
  mtime: string;
}

/** Builds the announcement of a complete recording: name fields (§12), duration, streamed sha256. */
export async function describeRecording(file: RecordingFile, hashes: HashCache): Promise<RecordingNewData> {
  const parsed = parseRecordingName(posix.basename(file.rel));
  const format = parsed.format || posix.extname(file.rel).slice(1);
  let duration: number | null = null;
  try {
    duration = await recordingDuration(file.abs, format, file.size);
  } catch {
    duration = null; // unreadable header: announce without a duration
  }
  return {
    path: file.rel,
    size: file.size,
    format: format.slice(0, 16),
    duration_s: duration,
    uniqueid: parsed.uniqueid?.slice(0, 150) ?? null,
    kind: parsed.kind?.slice(0, 32) ?? null,
    from: parsed.from?.slice(0, 128) ?? null,
    to: parsed.to?.slice(0, 128) ?? null,
    recorded_at: parsed.recorded_at,
    sha256: await hashes.get(file),
    mtime: new Date(file.mtimeMs).toISOString(),
  };
}
