import { Type } from '@sinclair/typebox';
import { AgentId, KeyId } from './common';

/** Longest jti accepted (DESIGN.md "Commands"). */
export const MAX_JTI_LENGTH = 128;

/** The JWS protected header of a command (DESIGN.md "Commands"). */
export const CommandHeader = Type.Object(
  { alg: Type.Literal('EdDSA'), kid: KeyId, typ: Type.Literal('pbxlink-cmd+jwt') },
  { additionalProperties: false },
);

/** Command claims: the JWS payload. `args` is checked against the command's own schema afterwards. */
export const CommandClaims = Type.Object(
  {
    iss: KeyId,
    aud: AgentId,
    jti: Type.String({ minLength: 1, maxLength: MAX_JTI_LENGTH, pattern: '^[\\x21-\\x7e]+$' }),
    iat: Type.Integer({ minimum: 0 }),
    exp: Type.Integer({ minimum: 0 }),
    cmd: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$' }),
    args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    nbf: Type.Optional(Type.Integer({ minimum: 0 })),
    reply_to: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
);
