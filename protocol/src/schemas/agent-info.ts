import { Type } from '@sinclair/typebox';
import { STATE_NAMES } from '../topics';
import { AgentId, BootId, Enum, IsoTime, KeyId, PbxInfo, SCOPES, ScopeSchema } from './common';

/** `agent.info` result (seed `auth`, without any credential). */
export const AgentInfoResult = Type.Object(
  {
    agent: AgentId,
    version: Type.String({ maxLength: 64 }),
    boot_id: BootId,
    started_at: IsoTime,
    capabilities: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 256 }),
    pbx: PbxInfo,
    caller: Type.Object({ kid: KeyId, scopes: Type.Array(ScopeSchema, { maxItems: SCOPES.length }) }),
  },
  { additionalProperties: false },
);

/** `agent.refresh` result: the state snapshots republished now. */
export const AgentRefreshResult = Type.Object(
  { republished: Type.Array(Enum(STATE_NAMES), { maxItems: STATE_NAMES.length }) },
  { additionalProperties: false },
);
