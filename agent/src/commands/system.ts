import { NoArgs } from '../../../protocol/src/schemas/common';
import { type DisksData, readDisks } from '../collectors/disks';
import { type FirewallData, readFirewall } from '../collectors/firewall';
import type { CollectorSources } from '../collectors/sources';
import { readSystemResources, type SystemResourcesData } from '../collectors/system-resources';
import { PbxlinkError } from '../core/errors';
import type { CommandHandler } from './types';

/** Wraps a host read failure as a coded error reply (the host, not the caller, is at fault). */
function unavailable(what: string, err: unknown): PbxlinkError {
  return new PbxlinkError(
    'unavailable',
    `could not read ${what}: ${err instanceof Error ? err.message : String(err)}`,
    {
      cause: err,
    },
  );
}

/**
 * The read-only host commands (DESIGN.md "Commands"; issue 5 part 2): `system.resources` (seed systemresources),
 * `system.disks` (seed getharddrivers), `system.firewall` (seed getiptablesstatus). Each returns fresh data shaped
 * exactly like its snapshot, read by the same functions the collectors use, from the same `sources`.
 */
export function createSystemCommands(sources: CollectorSources): CommandHandler<Record<string, never>>[] {
  const resources: CommandHandler<Record<string, never>> = {
    name: 'system.resources',
    scope: 'read',
    args: NoArgs,
    timeoutMs: 15_000,
    async handle(): Promise<SystemResourcesData> {
      try {
        return await readSystemResources(sources.system);
      } catch (err) {
        throw unavailable('the system resources', err);
      }
    },
  };
  const disks: CommandHandler<Record<string, never>> = {
    name: 'system.disks',
    scope: 'read',
    args: NoArgs,
    // Folder sizes may take a while on a big monitor folder; each folder has its own budget inside.
    timeoutMs: 5 * 60_000,
    async handle(_args, ctx): Promise<DisksData> {
      try {
        return await readDisks(sources.disks, ctx.signal);
      } catch (err) {
        throw unavailable('the disks', err);
      }
    },
  };
  const firewall: CommandHandler<Record<string, never>> = {
    name: 'system.firewall',
    scope: 'read',
    args: NoArgs,
    timeoutMs: 30_000,
    // Never throws: an absent or forbidden iptables is `available: false` with the reason.
    handle: (): Promise<FirewallData> => readFirewall(sources.firewall),
  };
  return [resources, disks, firewall];
}
