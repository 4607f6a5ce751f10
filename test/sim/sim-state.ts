/** The state one simulator instance holds, shared by its sessions, actions, CLI and scenarios. */
import type { SimAstDb } from './astdb';
import type { CallCounters } from './cli-render';
import type { PeerSpec, SimChannel } from './model';
import type { DialectProfile } from './profiles';

/** Mutable simulator state (tests may edit `peers` and read `channels` directly). */
export interface SimState {
  readonly profile: DialectProfile;
  readonly peers: PeerSpec[];
  readonly channels: SimChannel[];
  readonly astdb: SimAstDb;
  readonly counters: CallCounters;
  readonly startedAt: number;
  reloadedAt: number;
  /** Wall clock in ms (injectable). */
  now(): number;
}
