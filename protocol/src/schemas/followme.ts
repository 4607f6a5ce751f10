import { Type } from '@sinclair/typebox';
import { Applied, ChangePlan, Enum, Nullable } from './common';
import { Account } from './extensions';

/** Follow-me strategies (reference §10.2; same list in FreePBX 2.8, 2.11, 13). */
export const FOLLOWME_STRATEGIES = [
  'ringallv2',
  'ringallv2-prim',
  'ringall',
  'ringall-prim',
  'hunt',
  'hunt-prim',
  'memoryhunt',
  'memoryhunt-prim',
  'firstavailable',
  'firstnotonphone',
] as const;

/** One follow-me number: `[0-9#*+]`, a trailing `#` marks an external number (reference §10.2). */
const GrpEntry = Type.String({ pattern: '^[0-9*+#]{1,40}$', maxLength: 40 });
const RecordingId = Nullable(Type.Integer({ minimum: 0, maximum: 2_147_483_647 }));

/** Follow-me fields of `findmefollow` (reference §10.1) as accepted by create/update. */
const FollowmeFields = {
  strategy: Type.Optional(Enum(FOLLOWME_STRATEGIES)),
  // §10.2: the follow-me form validates grptime 1..60 (2.11 and 13).
  grptime: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
  grppre: Type.Optional(Type.String({ maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f;]*$' })),
  grplist: Type.Optional(
    Type.Union([
      Type.Array(GrpEntry, { minItems: 1, maxItems: 64 }),
      Type.String({
        maxLength: 255,
        pattern: '^[0-9*+#]{1,40}([-,\\n][0-9*+#]{1,40}){0,63}$',
        description: "the seed's string form: numbers joined with '-', ',' or newlines",
      }),
    ]),
  ),
  annmsg_id: Type.Optional(RecordingId),
  postdest: Type.Optional(
    Type.String({
      maxLength: 255,
      pattern: '^([A-Za-z0-9_-]{1,80},[A-Za-z0-9_*#+-]{1,80},[A-Za-z0-9_-]{1,20})?$',
      description: 'context,exten,priority',
    }),
  ),
  dring: Type.Optional(
    Type.String({ maxLength: 255, pattern: '^[^\\u0000-\\u001f\\u007f;]*$', description: 'Alert-Info' }),
  ),
  remotealert_id: Type.Optional(RecordingId),
  needsconf: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('CHECKED'), Type.Literal('')])),
  toolate_id: Type.Optional(RecordingId),
  pre_ring: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 })),
  ringing: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9_-]{1,80}$', maxLength: 80, description: "'Ring' or a MoH class" }),
  ),
  enabled: Type.Optional(
    Type.Boolean({
      description:
        'follow-me active (AstDB ddial DIRECT) or not (EXTENSION: calls ring the extension only); default on create: FOLLOWME_DISABLED',
    }),
  ),
  dry_run: Type.Optional(Type.Boolean()),
};

/** `followme.create` args (seed `addfollowmeextension`). */
export const FollowmeCreateArgs = Type.Object(
  { grpnum: Account, ...FollowmeFields },
  { additionalProperties: false },
);
/** `followme.update` args (seed `updatefollowmeextension`): only the fields to change. */
export const FollowmeUpdateArgs = Type.Object(
  { grpnum: Account, ...FollowmeFields },
  { additionalProperties: false },
);
/** `followme.delete` args. */
export const FollowmeDeleteArgs = Type.Object(
  { grpnum: Account, dry_run: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
/** `followme.get` args. */
export const FollowmeGetArgs = Type.Object({ grpnum: Account }, { additionalProperties: false });

/** One follow-me as stored (findmefollow row, AstDB winning where it holds the value; reference §10.3). */
export const Followme = Type.Object(
  {
    grpnum: Type.String({ maxLength: 20 }),
    strategy: Type.String({ maxLength: 50 }),
    grptime: Type.Integer(),
    grppre: Type.String({ maxLength: 100 }),
    grplist: Type.Array(Type.String({ maxLength: 40 })),
    annmsg_id: RecordingId,
    postdest: Nullable(Type.String({ maxLength: 255 })),
    dring: Nullable(Type.String({ maxLength: 255 })),
    remotealert_id: RecordingId,
    needsconf: Type.Boolean(),
    toolate_id: RecordingId,
    pre_ring: Type.Integer(),
    ringing: Nullable(Type.String({ maxLength: 80 })),
    ddial: Type.Optional(Nullable(Enum(['EXTENSION', 'DIRECT']))),
  },
  { additionalProperties: false },
);

/** `followme.list` part data. */
export const FollowmeListPart = Type.Object(
  { followme: Type.Array(Followme) },
  { additionalProperties: false },
);
/** `followme.list` final data. */
export const FollowmeListResult = Type.Object(
  { count: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

/** `followme.create/update/delete` result. */
export const FollowmeWriteResult = Type.Object(
  {
    grpnum: Type.String({ maxLength: 20 }),
    action: Enum(['create', 'update', 'delete']),
    dry_run: Type.Boolean(),
    fields: Type.Array(Type.String({ maxLength: 30 }), { maxItems: 50 }),
    applied: Nullable(Applied),
    plan: Type.Optional(ChangePlan),
  },
  { additionalProperties: false },
);
