import type { AmiClient } from '../pbx/ami/types';
import type { Bus } from './bus';
import type { Clock } from './clock';
import type { Logger } from './log';
import type { Scheduler } from './scheduler';

/** Names of retained snapshots under `P/A/state/<name>` (DESIGN.md "Topics"). */
export type StateName = 'health' | 'peers' | 'calls' | 'disks' | 'firewall';

/**
 * The agent's side of the MQTT link as modules see it. Envelopes (v, agent, boot_id, seq, ts, type)
 * are built by the link; modules hand over only `data`. Publishing never throws and never blocks on
 * the broker: while the link is down, messages go to the on-disk outbox.
 */
export interface Publisher {
  /** Retained snapshot on `P/A/state/<name>`; envelope type `state.<name>`. */
  publishState(name: StateName, data: unknown): void;
  /** Event on `P/A/events/<type>` (not retained). */
  publishEvent(type: string, data: unknown): void;
}

/** In-process events between modules (typed, grouped by owner). */
export interface AgentEvents extends Record<string, unknown> {
  /** A module asks every snapshot owner to republish now (agent.refresh). */
  'refresh.request': { reason: string };
  /** A module's health changed; health collector folds these into state/health. */
  'component.status': { component: string; status: 'ok' | 'degraded' | 'down'; reason?: string };
}

/** What every module gets at start. Constructors only store what they are given; no singletons. */
export interface ModuleContext {
  readonly log: Logger;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly bus: Bus<AgentEvents>;
  readonly publisher: Publisher;
  readonly ami: AmiClient;
}

/** A feature module: `start` returns quickly (subscribes, schedules; never waits on a remote side);
 * `stop` is idempotent and clears its own timers and listeners. */
export interface Module {
  readonly name: string;
  start(ctx: ModuleContext): void | Promise<void>;
  stop(): void | Promise<void>;
  /** Optional: this module's status for state/health. */
  health?(): { status: 'ok' | 'degraded' | 'down'; reason?: string };
}
