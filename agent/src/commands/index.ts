import type { CollectorSources } from '../collectors/sources';
import type { StateName } from '../core/module';
import { type AgentInfoDeps, createAgentInfoCommand } from './agent-info';
import { type AgentRefreshDeps, createAgentRefreshCommand } from './agent-refresh';
import { type CallsSource, createCallsListCommand } from './calls';
import { type CdrCommandDeps, createCdrQueryCommand } from './cdr';
import { createExtensionCommands, type ExtensionCommandDeps } from './extensions';
import { createFollowmeCommands, type FollowmeCommandDeps } from './followme';
import { createPeersListCommand, type PeersSource } from './peers';
import { createRecordingsGetCommand, type RecordingsCommandDeps } from './recordings';
import { createSystemCommands } from './system';
import type { CommandHandler } from './types';

/** Everything the command handlers need; a part left out (no database, no recordings root) drops its commands. */
export interface CommandDeps {
  /** agent.info (its `capabilities` are filled in here: the names of the handlers built). */
  info: Omit<AgentInfoDeps, 'capabilities'>;
  /** agent.refresh. */
  refresh: { bus: AgentRefreshDeps['bus']; snapshots(): readonly StateName[] };
  /** peers.list: the live peer table. */
  peers: PeersSource;
  /** calls.list: the live calls. */
  calls: CallsSource;
  /** system.resources, system.disks, system.firewall. */
  sources?: CollectorSources;
  /** cdr.query (needs the database). */
  cdr?: CdrCommandDeps;
  /** recordings.get. */
  recordings?: RecordingsCommandDeps;
  /** extensions.list/get/create/update/delete (needs the database and a ConfigChanger). */
  extensions?: ExtensionCommandDeps;
  /** followme.get/list/create/update/delete. */
  followme?: FollowmeCommandDeps;
  /** Further handlers built elsewhere, added as given. */
  extra?: readonly CommandHandler[];
}

/** Builds every command handler of this agent from its dependencies (the router's `handlers`). */
export function buildCommandHandlers(deps: CommandDeps): CommandHandler[] {
  const handlers: CommandHandler[] = [];
  const names = () => handlers.map((h) => h.name);
  handlers.push(
    createAgentInfoCommand({ ...deps.info, capabilities: names }),
    createAgentRefreshCommand(deps.refresh),
    createPeersListCommand(deps.peers),
    createCallsListCommand(deps.calls),
  );
  if (deps.sources) handlers.push(...createSystemCommands(deps.sources));
  if (deps.cdr) handlers.push(createCdrQueryCommand(deps.cdr));
  if (deps.recordings) handlers.push(createRecordingsGetCommand(deps.recordings));
  if (deps.extensions) handlers.push(...createExtensionCommands(deps.extensions));
  if (deps.followme) handlers.push(...createFollowmeCommands(deps.followme));
  for (const h of deps.extra ?? []) handlers.push(h);
  const seen = new Set<string>();
  for (const h of handlers) {
    if (seen.has(h.name)) throw new Error(`two handlers for command ${h.name}`);
    seen.add(h.name);
  }
  return handlers;
}
