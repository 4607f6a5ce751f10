import type { Static } from '@sinclair/typebox';
import type { AgentInfoResult } from '../../../protocol/src/schemas/agent-info';
import { NoArgs } from '../../../protocol/src/schemas/common';
import { dialectName } from '../collectors/asterisk-info';
import type { AmiClient } from '../pbx/ami/types';
import type { CommandHandler } from './types';

/** What agent.info reports; nothing here is a credential. */
export interface AgentInfoDeps {
  agentId: string;
  version: string;
  bootId: string;
  /** Agent start, ms since the epoch. */
  startedAt: number;
  /** The AMI client, for the dialect it detected. */
  ami: Pick<AmiClient, 'dialect'>;
  /** The command names this agent runs. */
  capabilities(): readonly string[];
}

/** The `pbx` block of agent.info and of the birth message: what the agent knows of its Asterisk right now. */
export function pbxInfo(ami: Pick<AmiClient, 'dialect'>): Static<typeof AgentInfoResult>['pbx'] {
  const d = ami.dialect;
  return d
    ? {
        dialect: dialectName(d.major),
        asterisk_version: d.asteriskVersion || null,
        ami_version: d.amiVersion || null,
        chan_sip: d.chanSip,
        pjsip: d.pjsip,
      }
    : { dialect: null, asterisk_version: null, ami_version: null, chan_sip: null, pjsip: null };
}

/**
 * `agent.info` (scope read; replaces the seed's `auth`, which returned the admin password): who the agent is,
 * its version, the commands it runs, the PBX dialect, and the caller's own kid and scopes — never a credential.
 */
export function createAgentInfoCommand(deps: AgentInfoDeps): CommandHandler<Record<string, never>> {
  return {
    name: 'agent.info',
    scope: 'read',
    args: NoArgs,
    timeoutMs: 5_000,
    async handle(_args, ctx): Promise<Static<typeof AgentInfoResult>> {
      return {
        agent: deps.agentId,
        version: deps.version,
        boot_id: deps.bootId,
        started_at: new Date(deps.startedAt).toISOString(),
        capabilities: [...deps.capabilities()],
        pbx: pbxInfo(deps.ami),
        caller: { kid: ctx.caller.kid, scopes: [...ctx.caller.scopes] },
      };
    },
  };
}
