import { NoArgs } from '../../../protocol/src/schemas/common';
import { STATE_NAMES } from '../../../protocol/src/topics';
import type { Bus } from '../core/bus';
import type { AgentEvents, StateName } from '../core/module';
import type { CommandHandler } from './types';

/** What agent.refresh needs: the bus its snapshot owners listen on, and which snapshots they publish. */
export interface AgentRefreshDeps {
  bus: Bus<AgentEvents>;
  /** The state snapshots published by the running modules (the owners of `refresh.request` listeners). */
  snapshots(): readonly StateName[];
}

/** True when `name` is one of the state snapshot names of DESIGN.md. */
export function isStateName(name: string): name is StateName {
  return (STATE_NAMES as readonly string[]).includes(name);
}

/**
 * `agent.refresh` (scope read): a "rebirth" for a consumer that joined late or suspects stale state. Emits the
 * bus's `refresh.request`, on which every snapshot owner republishes its retained `state/<name>` now; returns the
 * snapshots republished.
 */
export function createAgentRefreshCommand(deps: AgentRefreshDeps): CommandHandler<Record<string, never>> {
  return {
    name: 'agent.refresh',
    scope: 'read',
    args: NoArgs,
    timeoutMs: 5_000,
    async handle(_args, ctx): Promise<{ republished: StateName[] }> {
      const listeners = deps.bus.count('refresh.request');
      deps.bus.emit('refresh.request', { reason: `agent.refresh by ${ctx.caller.kid}` });
      const republished = listeners === 0 ? [] : STATE_NAMES.filter((n) => deps.snapshots().includes(n));
      return { republished };
    },
  };
}
