import { type SchemaOptions, type TLiteral, type TSchema, type TUnion, Type } from '@sinclair/typebox';

/** A string enumeration as a union of literals (keeps the literal types for Static<>). */
export function Enum<const T extends readonly string[]>(
  values: T,
  options?: SchemaOptions,
): TUnion<{ -readonly [K in keyof T]: TLiteral<T[K] & string> }> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TUnion<{ -readonly [K in keyof T]: TLiteral<T[K] & string> }>;
}

/** `T | null`, the wire's way of saying "not known". */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** ISO-8601 UTC timestamp as the agent writes it (`2026-01-02T03:04:05.678Z`). */
export const IsoTime = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$',
  maxLength: 40,
  description: 'ISO-8601 timestamp',
});

/** A MySQL DATETIME as the PBX stores it (`YYYY-MM-DD HH:MM:SS`, PBX local time). */
export const SqlDateTime = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$',
  maxLength: 19,
});

/** Agent id, `[A-Za-z0-9_-]{1,64}` (DESIGN.md). */
export const AgentId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', maxLength: 64 });

/** Key id of a trusted key (the JWS `kid` and claim `iss`). */
export const KeyId = Type.String({ pattern: '^[A-Za-z0-9._:@-]{1,128}$', maxLength: 128 });

/** The scopes of DESIGN.md ("Commands"); `admin` implies all. */
export const SCOPES = [
  'read',
  'cdr:read',
  'recordings:read',
  'extensions:write',
  'followme:write',
  'secrets:read',
  'admin',
] as const;
/** Schema of one scope. */
export const ScopeSchema = Enum(SCOPES);

/** Boot id: random per agent start (UUID or similar). */
export const BootId = Type.String({ minLength: 1, maxLength: 64 });

/** Non-negative integer. */
export const Count = Type.Integer({ minimum: 0 });

/** A short one-line text: no control characters, bounded. */
export const Line = (maxLength: number, extra: Record<string, unknown> = {}) =>
  Type.String({ maxLength, pattern: '^[^\\u0000-\\u001f\\u007f]*$', ...extra });

/** No arguments: `{}` only. */
export const NoArgs = Type.Object({}, { additionalProperties: false });

/** Outcome of applying a configuration change (PBXLINK_APPLY_CMD, reference §9.3). */
export const Applied = Type.Object({
  ok: Type.Boolean(),
  output: Type.Optional(Type.String({ maxLength: 4000 })),
});

/** Components health status. */
export const ComponentStatus = Enum(['ok', 'degraded', 'down']);

/** Health of one component the agent depends on. */
export const ComponentHealth = Type.Object({
  status: ComponentStatus,
  reason: Type.Optional(Type.String({ maxLength: 500 })),
  since: IsoTime,
});

/** Asterisk dialect family the agent detected ('1.8', '11', '13', '16', …). */
export const Dialect = Nullable(Type.String({ maxLength: 16 }));

/** What the agent knows of its PBX (birth message and agent.info). */
export const PbxInfo = Type.Object({
  dialect: Dialect,
  asterisk_version: Nullable(Type.String({ maxLength: 64 })),
  ami_version: Nullable(Type.String({ maxLength: 32 })),
  chan_sip: Nullable(Type.Boolean()),
  pjsip: Nullable(Type.Boolean()),
});

/** What a `dry_run` write would do: the exact table rows and AstDB keys, in the order they would be written. */
export const ChangePlan = Type.Object(
  {
    rows: Type.Array(Type.Unknown(), { description: 'SQL row operations (table, op, row)' }),
    astdb: Type.Array(Type.Unknown(), {
      description: 'AstDB operations (put/del/deltree, family, key, value)',
    }),
  },
  { additionalProperties: false },
);
