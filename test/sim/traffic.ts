/**
 * Simulator-format AMI traffic without sockets: runs call scenarios at full speed and hands the framed
 * event bytes to `onChunk` in ~64 KB chunks (for parser benchmarks such as test/bench/ami-parse).
 */
import type { Dialect } from './profiles';
import { runScenario, type ScenarioName } from './scenarios';
import { createSimCore, frameEvent } from './sim-core';

/** Options of generateTraffic. */
export interface TrafficOptions {
  dialect: Dialect;
  /** Stop starting calls once this many bytes were produced. */
  targetBytes: number;
  /** Call scenarios used round-robin (default: internal, inbound-queue, outbound-trunk, no-answer, busy). */
  mix?: readonly ScenarioName[];
  /** Include `Timestamp:` headers (timestampevents=yes). */
  timestampEvents?: boolean;
  cdrManager?: boolean;
  /** Calls run concurrently (interleaving their events), default 20. */
  concurrency?: number;
  onChunk(chunk: string): void;
}

/** What was produced. */
export interface TrafficResult {
  bytes: number;
  events: number;
  calls: number;
}

const DEFAULT_MIX: readonly ScenarioName[] = [
  'internal',
  'inbound-queue',
  'outbound-trunk',
  'no-answer',
  'busy',
];

/** Generates traffic until `targetBytes`; memory stays bounded by one chunk plus the running calls. */
export async function generateTraffic(o: TrafficOptions): Promise<TrafficResult> {
  const mix = o.mix ?? DEFAULT_MIX;
  if (mix.length === 0 || mix.some((m) => m === 'concurrent' || m.startsWith('peer-'))) {
    throw new Error('generateTraffic needs call scenarios');
  }
  let buf = '';
  let bytes = 0;
  let events = 0;
  let calls = 0;
  const core = createSimCore({ dialect: o.dialect, cdrManager: o.cdrManager ?? true, speed: 0 }, (e) => {
    const t = frameEvent(e, { timestampMs: o.timestampEvents ? Date.now() : undefined });
    buf += t;
    bytes += t.length;
    events++;
    if (buf.length >= 65536) {
      o.onChunk(buf);
      buf = '';
    }
  });
  const worker = async () => {
    while (bytes < o.targetBytes) {
      await runScenario(core.scenarioHost, mix[calls++ % mix.length]!, { speed: 0 });
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 20 }, worker));
  if (buf) o.onChunk(buf);
  return { bytes, events, calls };
}
