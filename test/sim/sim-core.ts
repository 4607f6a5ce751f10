/** The socket-free core of a simulator: state, call kit and scenario host (shared by server and traffic). */
import { SimAstDb } from './astdb';
import { CallKit } from './calls';
import type { SimEvent } from './events';
import type { PeerSpec } from './model';
import { defaultPeers } from './model';
import { type Dialect, type DialectProfile, PROFILES } from './profiles';
import type { ScenarioHost } from './scenario-host';
import type { SimState } from './sim-state';
import { timestamp } from './wire';

/** Options shared by the server and the traffic generator. */
export interface SimCoreOptions {
  dialect: Dialect;
  peers?: PeerSpec[];
  cdrManager?: boolean;
  speed?: number;
  now?: () => number;
  astdb?: Record<string, string>;
  /**
   * Profile fields to override, to simulate versions between the four dialects — e.g. 13.1 (ActionID last),
   * 13 with chan_pjsip loaded, or 14.0 (banner 2.8.0 like 13.5–13.12 but the Output: Command format, §0.3).
   */
  profileOverrides?: Partial<Omit<DialectProfile, 'dialect'>>;
}

/** State plus the call/scenario machinery, emitting through `emit`. */
export interface SimCore {
  state: SimState;
  kit: CallKit;
  scenarioHost: ScenarioHost;
}

/** Builds the core; uptime is 3 days 4:05:06 and the last reload 1:02:00 ago (for `core show uptime`). */
export function createSimCore(opts: SimCoreOptions, emit: (e: SimEvent) => void): SimCore {
  const base = PROFILES[opts.dialect];
  if (!base) throw new Error(`unknown dialect ${String(opts.dialect)}`);
  const profile: DialectProfile = { ...base, ...opts.profileOverrides, dialect: base.dialect };
  const now = opts.now ?? (() => Date.now());
  const state: SimState = {
    profile,
    peers: opts.peers ?? defaultPeers(),
    channels: [],
    astdb: new SimAstDb(new Map(Object.entries(opts.astdb ?? {})), profile),
    counters: { activeCalls: 0, processed: 0 },
    startedAt: now() - 3 * 86400_000 - 4 * 3600_000 - 5 * 60_000 - 6_000,
    reloadedAt: now() - 3600_000 - 120_000,
    now,
  };
  let chanSeq = 0;
  let uidSeq = 0;
  const epoch = Math.floor(now() / 1000);
  const kit = new CallKit({
    state,
    emit,
    nextChannelSeq: () => ++chanSeq,
    // `<epoch>.<counter>` (§4.3)
    nextUniqueid: () => `${epoch}.${uidSeq++}`,
    cdrManager: opts.cdrManager ?? false,
  });
  return { state, kit, scenarioHost: { state, kit, emit, speed: opts.speed ?? 1 } };
}

/**
 * Frames an event: `Event`, `Privilege: <class>,all`, optional `Timestamp` (timestampevents=yes, §1), the
 * body, and — only when `stamp` is given — a trailing non-Asterisk `SimSentAt: <epoch ms>` header that
 * latency benchmarks read. Off by default so the bytes stay Asterisk's.
 */
export function frameEvent(e: SimEvent, o: { timestampMs?: number; stamp?: number } = {}): string {
  let text = `Event: ${e.name}\r\nPrivilege: ${e.cls},all\r\n`;
  if (o.timestampMs !== undefined) text += `Timestamp: ${timestamp(o.timestampMs)}\r\n`;
  for (const [k, v] of e.body) text += `${k}: ${v}\r\n`;
  if (o.stamp !== undefined) text += `SimSentAt: ${o.stamp.toFixed(3)}\r\n`;
  return `${text}\r\n`;
}
