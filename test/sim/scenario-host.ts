/** What scenarios get from the simulator, and the shared pacing helper. */
import type { CallKit } from './calls';
import type { SimEvent } from './events';
import type { PeerSpec } from './model';
import type { SimState } from './sim-state';

/** Scenario environment. */
export interface ScenarioHost {
  readonly state: SimState;
  readonly kit: CallKit;
  emit(e: SimEvent): void;
  /** Default time factor (1 = realistic). */
  readonly speed: number;
}

/** Per-run options. */
export interface ScenarioOptions {
  /** Time factor for this run (overrides the simulator's). 0 = no waiting. */
  speed?: number;
  /** Calling peer name (extension), default: first registered extension. */
  caller?: string;
  /** Called peer name (extension), default: second registered extension. */
  callee?: string;
  /** Peer for peer-* scenarios. */
  peer?: string;
  /** Number of calls for `concurrent` (default 10). */
  count?: number;
  /** External number for trunk scenarios. */
  number?: string;
}

/** Result of one scenario run. */
export interface ScenarioResult {
  /** Uniqueids of every channel the scenario created, in creation order. */
  uniqueids: string[];
  /** Linkedid (= uniqueid of the first channel) of the (first) call. */
  linkedid: string;
  /** Channel names created. */
  channels: string[];
}

/** Sleeps `ms × speed` (speed 0: yields one macrotask so event order and I/O stay realistic). */
export function pause(ms: number, speed: number): Promise<void> {
  const d = ms * speed;
  return new Promise((resolve) => (d <= 0 ? setImmediate(resolve) : setTimeout(resolve, d)));
}

/** Registered, non-trunk peers (scenario defaults). */
export function extensions(state: SimState): PeerSpec[] {
  return state.peers.filter((p) => !p.trunk && p.ip !== undefined && p.status !== 'unreachable');
}

/** Finds a peer by name or throws a readable error. */
export function peerNamed(state: SimState, name: string): PeerSpec {
  const p = state.peers.find((x) => x.name === name);
  if (!p) throw new Error(`simulator has no peer "${name}"`);
  return p;
}
