import { Type } from '@sinclair/typebox';
import { AgentId, BootId, IsoTime, Line, PbxInfo } from './common';

/** Birth payload on `P/A/status` (retained): the agent is online and its `P/A/cmd` subscription is acknowledged. */
export const StatusBirth = Type.Object(
  {
    online: Type.Literal(true),
    agent: AgentId,
    boot_id: BootId,
    version: Type.String({ maxLength: 64 }),
    started_at: IsoTime,
    capabilities: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 256 }),
    pbx: PbxInfo,
  },
  { additionalProperties: false },
);

/** Last will / clean stop payload on `P/A/status` (retained). */
export const StatusWill = Type.Object(
  {
    online: Type.Literal(false),
    agent: AgentId,
    boot_id: BootId,
    reason: Line(200, { description: "'connection lost' (last will), 'stopped', …" }),
  },
  { additionalProperties: false },
);

/** Either status payload. */
export const StatusPayload = Type.Union([StatusBirth, StatusWill]);
