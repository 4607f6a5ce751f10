import { type TSchema, Type } from '@sinclair/typebox';
import { AgentInfoResult, AgentRefreshResult } from './agent-info';
import { AuditEvent, ConfigChangedEvent } from './audit';
import { CallChangeEvent, CallEndedEvent, CallsListPart, CallsState } from './calls';
import { CdrQueryArgs, CdrQueryPart, CdrQueryResult, CdrRecord } from './cdr';
import { Count, IsoTime, NoArgs, Nullable, type SCOPES } from './common';
import { eventExamples, stateExamples } from './examples';
import { commandExamples } from './examples-commands';
import {
  Extension,
  ExtensionsCreateArgs,
  ExtensionsDeleteArgs,
  ExtensionsGetArgs,
  ExtensionsListPart,
  ExtensionsListResult,
  ExtensionsUpdateArgs,
  ExtensionsWriteResult,
} from './extensions';
import {
  Followme,
  FollowmeCreateArgs,
  FollowmeDeleteArgs,
  FollowmeGetArgs,
  FollowmeListPart,
  FollowmeListResult,
  FollowmeUpdateArgs,
  FollowmeWriteResult,
} from './followme';
import { ListCount, PeerStatusEvent, PeersListPart, PeersState } from './peers';
import { RecordingNewEvent, RecordingsGetArgs, RecordingsGetMeta, RecordingsGetResult } from './recordings';
import { DisksState, FirewallState, HealthState, SystemResources } from './system';

/** A key scope of DESIGN.md. */
export type ScopeName = (typeof SCOPES)[number];

/** One command of the wire contract: what the router validates and the AsyncAPI document describes. */
export interface CommandSpec {
  readonly name: string;
  readonly scope: ScopeName;
  readonly description: string;
  readonly args: TSchema;
  /** Data of the single ok reply, or of the final `done` reply when the command sends parts. */
  readonly result: TSchema;
  /** Data of each `part` reply, for commands that stream. */
  readonly part?: TSchema;
  readonly example: { readonly args: unknown; readonly result: unknown; readonly parts?: readonly unknown[] };
}

/** One event type (`P/A/events/<name>`). */
export interface EventSpec {
  readonly name: string;
  readonly description: string;
  readonly schema: TSchema;
  readonly example: unknown;
}

/** One state snapshot (`P/A/state/<name>`, envelope type `state.<name>`). */
export interface StateSpec {
  readonly name: string;
  readonly description: string;
  readonly schema: TSchema;
  readonly example: unknown;
}

const cmd = (
  name: string,
  scope: ScopeName,
  description: string,
  args: TSchema,
  result: TSchema,
  part?: TSchema,
): CommandSpec => {
  const example = commandExamples[name];
  if (!example) throw new Error(`no example for command ${name}`);
  return part
    ? { name, scope, description, args, result, part, example }
    : { name, scope, description, args, result, example };
};

/** Every command, in documentation order (DESIGN.md "Commands"). */
export const COMMANDS: readonly CommandSpec[] = [
  cmd(
    'agent.info',
    'read',
    'Who the agent is, what it can do, and who is asking (seed `auth`, never a credential).',
    NoArgs,
    AgentInfoResult,
  ),
  cmd('agent.refresh', 'read', 'Republish every state snapshot now.', NoArgs, AgentRefreshResult),
  cmd(
    'peers.list',
    'read',
    'SIP/PJSIP peers with status and latency, in parts of `{peers}`; done carries `{count}` (seed `sippeers`).',
    NoArgs,
    ListCount,
    PeersListPart,
  ),
  cmd(
    'calls.list',
    'read',
    'Live calls with their channels, in parts of `{calls}`; done carries `{count}` (seed `activecall`).',
    NoArgs,
    ListCount,
    CallsListPart,
  ),
  cmd(
    'system.resources',
    'read',
    'Uptime, load, memory, CPU (seed `systemresources`).',
    NoArgs,
    SystemResources,
  ),
  cmd(
    'system.disks',
    'read',
    'Root filesystem usage and watched folder sizes (seed `getharddrivers`).',
    NoArgs,
    DisksState,
  ),
  cmd(
    'system.firewall',
    'read',
    'iptables status and chains (seed `getiptablesstatus`).',
    NoArgs,
    FirewallState,
  ),
  cmd(
    'extensions.list',
    'read',
    'SIP extensions, in parts of `{extensions}`; done carries `{count}` (seed `sipextensions`).',
    NoArgs,
    ExtensionsListResult,
    ExtensionsListPart,
  ),
  cmd(
    'extensions.get',
    'read',
    'One SIP extension; `sip.secret` only with scope `secrets:read`.',
    ExtensionsGetArgs,
    Extension,
  ),
  cmd(
    'extensions.create',
    'extensions:write',
    'Create a SIP extension as FreePBX does (reference §9.1); `dry_run` writes nothing.',
    ExtensionsCreateArgs,
    ExtensionsWriteResult,
  ),
  cmd(
    'extensions.update',
    'extensions:write',
    'Change only the given fields of a SIP extension or trunk (read-modify-write; every other field is kept).',
    ExtensionsUpdateArgs,
    ExtensionsWriteResult,
  ),
  cmd(
    'extensions.delete',
    'extensions:write',
    'Delete a SIP extension and its AstDB keys (reference §9.2).',
    ExtensionsDeleteArgs,
    ExtensionsWriteResult,
  ),
  cmd('followme.get', 'read', 'One follow-me (reference §10).', FollowmeGetArgs, Followme),
  cmd(
    'followme.list',
    'read',
    'Every follow-me, in parts of `{followme}`; done carries `{count}`.',
    NoArgs,
    FollowmeListResult,
    FollowmeListPart,
  ),
  cmd(
    'followme.create',
    'followme:write',
    'Create a follow-me (findmefollow row + AstDB keys, reference §10.3).',
    FollowmeCreateArgs,
    FollowmeWriteResult,
  ),
  cmd(
    'followme.update',
    'followme:write',
    'Change a follow-me (delete + add, reference §10.3).',
    FollowmeUpdateArgs,
    FollowmeWriteResult,
  ),
  cmd('followme.delete', 'followme:write', 'Delete a follow-me.', FollowmeDeleteArgs, FollowmeWriteResult),
  cmd(
    'cdr.query',
    'cdr:read',
    'CDR search streamed in parts of rows; done carries `{count, next_cursor}` (seed `cdrreport`).',
    CdrQueryArgs,
    CdrQueryResult,
    CdrQueryPart,
  ),
  cmd(
    'recordings.get',
    'recordings:read',
    'Send a recording: part 1 is the transfer metadata, chunks go to `P/A/blob/<transfer_id>/<index>`, done ends it (seed `getwavfile`).',
    RecordingsGetArgs,
    RecordingsGetResult,
    RecordingsGetMeta,
  ),
];

/** `outbox.dropped` / `link.shed` data: how many, and since when. */
const LinkLossEvent = (field: 'dropped' | 'shed') =>
  Type.Object({ [field]: Count, since: Nullable(IsoTime) }, { additionalProperties: false });

const ev = (name: string, description: string, schema: TSchema): EventSpec => ({
  name,
  description,
  schema,
  example: eventExamples[name],
});

/** Every event type (DESIGN.md "Topics"). */
export const EVENTS: readonly EventSpec[] = [
  ev(
    'peer.status',
    'A peer registered, unregistered, became reachable, lagged or unreachable (AMI PeerStatus).',
    PeerStatusEvent,
  ),
  ev('call.started', 'A new call appeared.', CallChangeEvent),
  ev('call.updated', 'A call changed (answered, held, transferred, new channel).', CallChangeEvent),
  ev('call.ended', 'A call ended, with the reason.', CallEndedEvent),
  ev('cdr.new', 'A CDR row was written.', CdrRecord),
  ev('recording.new', 'A recording file was completed under the monitor root.', RecordingNewEvent),
  ev(
    'recording.push',
    'Push mode over MQTT: a new recording follows as chunks on `topic` (`P/A/blob/<transfer_id>/<index>`), as for recordings.get.',
    RecordingsGetMeta,
  ),
  ev('config.changed', 'A command changed PBX configuration.', ConfigChangedEvent),
  ev('audit', 'One audit record per command or refused message, hash-chained.', AuditEvent),
  ev(
    'outbox.dropped',
    'The on-disk outbox hit its bound while the broker was away: this many of the oldest events were dropped (their seqs are missing).',
    LinkLossEvent('dropped'),
  ),
  ev(
    'link.shed',
    'An overload ended: this many events were shed from the in-memory queue before they got a seq.',
    LinkLossEvent('shed'),
  ),
];

const st = (name: string, description: string, schema: TSchema): StateSpec => ({
  name,
  description,
  schema,
  example: stateExamples[name],
});

/** Every state snapshot (DESIGN.md "Topics"). */
export const STATES: readonly StateSpec[] = [
  st('health', 'The agent, its components (AMI, database, broker), the host and Asterisk.', HealthState),
  st('peers', 'Every SIP/PJSIP peer.', PeersState),
  st('calls', 'Every live call.', CallsState),
  st('disks', 'Disk usage.', DisksState),
  st('firewall', 'Firewall status.', FirewallState),
];

/** The command spec named `name`, or undefined. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The event spec of type `name`, or undefined. */
export function findEvent(name: string): EventSpec | undefined {
  return EVENTS.find((e) => e.name === name);
}

/** The state spec named `name`, or undefined. */
export function findState(name: string): StateSpec | undefined {
  return STATES.find((s) => s.name === name);
}
