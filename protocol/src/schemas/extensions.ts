import { Type } from '@sinclair/typebox';
import { Applied, ChangePlan, Enum, Nullable } from './common';

/** Extension number (`users.extension`, `devices.id`, `sip.id`; reference §8.2): digits, ≤ 20. */
export const Account = Type.String({
  pattern: '^[0-9]{1,20}$',
  maxLength: 20,
  description: 'extension number',
});

const YesNo = Enum(['yes', 'no']);
const Pat = (pattern: string, maxLength: number, description?: string) =>
  Type.String({ pattern, maxLength, ...(description ? { description } : {}) });
const IP_MASK = '[0-9A-Fa-f.:]{1,45}/[0-9A-Fa-f.:]{1,45}';
const CODEC_LIST = '^([a-z0-9_.]{1,32}([&,][a-z0-9_.]{1,32}){0,31})?$';
/** Display-name text: no control characters, quotes, angle brackets or `;` (they break `callerid`/sip.conf). */
const NAME_TEXT = '^[^\\u0000-\\u001f\\u007f<>";]*$';

/** SIP device fields written to the `sip` table (reference §9.1 step 6), with chan_sip's accepted values. */
const SipFields = {
  name: Type.Optional(Pat(NAME_TEXT, 50, 'display name (users.name, callerid name)')),
  secret: Type.Optional(Pat('^[!-:<-~]{1,128}$', 128, 'SIP password: printable ASCII, no space or ";"')),
  context: Type.Optional(Pat('^[A-Za-z0-9_-]{1,80}$', 80)),
  host: Type.Optional(Pat('^[A-Za-z0-9.:_-]{1,255}$', 255, "'dynamic' or a host name / IP")),
  type: Type.Optional(Enum(['friend', 'peer', 'user'])),
  dtmfmode: Type.Optional(Enum(['rfc2833', 'inband', 'info', 'auto'])),
  nat: Type.Optional(
    Enum([
      'yes',
      'no',
      'never',
      'route',
      'force_rport',
      'comedia',
      'force_rport,comedia',
      'auto_force_rport',
      'auto_comedia',
      'auto_force_rport,auto_comedia',
    ]),
  ),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  qualify: Type.Optional(Pat('^(yes|no|[1-9][0-9]{0,4})$', 5, "'yes', 'no' or the maximum latency in ms")),
  qualifyfreq: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  transport: Type.Optional(
    Pat('^(udp|tcp|tls|ws|wss)(,(udp|tcp|tls|ws|wss)){0,4}$', 24, 'e.g. udp or udp,tcp,tls'),
  ),
  encryption: Type.Optional(YesNo),
  canreinvite: Type.Optional(Enum(['yes', 'no', 'nonat', 'update', 'update,nonat'])),
  trustrpid: Type.Optional(YesNo),
  sendrpid: Type.Optional(Enum(['yes', 'no', 'pai', 'rpid'])),
  callgroup: Type.Optional(Pat('^[0-9,-]{0,80}$', 80)),
  pickupgroup: Type.Optional(Pat('^[0-9,-]{0,80}$', 80)),
  deny: Type.Optional(Pat(`^(${IP_MASK}(&${IP_MASK}){0,31})?$`, 1024, 'ip/mask list joined with &')),
  permit: Type.Optional(Pat(`^(${IP_MASK}(&${IP_MASK}){0,31})?$`, 1024, 'ip/mask list joined with &')),
  disallow: Type.Optional(Pat(CODEC_LIST, 255, "codecs joined with & (or ','), e.g. all")),
  allow: Type.Optional(Pat(CODEC_LIST, 255, 'codecs joined with &, e.g. ulaw&alaw')),
  accountcode: Type.Optional(Pat('^[A-Za-z0-9_.@+-]{0,80}$', 80)),
  mailbox: Type.Optional(Pat('^[A-Za-z0-9_@.&,-]{0,255}$', 255, 'e.g. 101@device')),
  callerid: Type.Optional(
    Pat('^([^\\u0000-\\u001f\\u007f<>";]{0,60} )?<[0-9A-Za-z*#+_.-]{1,40}>$', 110, 'Name <number>'),
  ),
  username: Type.Optional(Pat('^[A-Za-z0-9_.@+-]{0,80}$', 80)),
  avpf: Type.Optional(YesNo),
  icesupport: Type.Optional(YesNo),
  vmexten: Type.Optional(Pat('^[0-9*#]{0,20}$', 20)),
  voicemail: Type.Optional(
    Pat('^(novm|[A-Za-z0-9_-]{1,50})$', 50, "'novm' or a voicemail context (users.voicemail)"),
  ),
  outboundcid: Type.Optional(
    Pat('^[^\\u0000-\\u001f\\u007f;]*$', 50, 'users.outboundcid, e.g. Sales <5551234>'),
  ),
  ringtimer: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 120, description: 'users.ringtimer, 0 = default' }),
  ),
  dry_run: Type.Optional(
    Type.Boolean({ description: 'validate and report what would change, write nothing' }),
  ),
};

/** `kind` picks an extension (default) or a SIP trunk, whose `account` is the trunk number (§8.2 `tr-peer-<n>`). */
const Kind = Type.Optional(
  Enum(['extension', 'trunk'], {
    description: "'trunk': account is the FreePBX trunk number (sip ids tr-peer-<n>, tr-reg-<n>)",
  }),
);
/** sip.conf register string of a trunk (`user[:secret[:authuser]]@host[:port][/exten]`); '' removes it. */
const Register = Type.Optional(
  Type.String({
    maxLength: 255,
    pattern:
      '^([A-Za-z0-9_.+-]{1,80}(:[!-9<-?A-~]{0,128})?(:[A-Za-z0-9_.+-]{1,80})?@[A-Za-z0-9.-]{1,255}(:[0-9]{1,5})?(/[A-Za-z0-9_+*#-]{1,80})?)?$',
    description: "trunks only: user[:secret[:authuser]]@host[:port][/exten]; '' removes it",
  }),
);

/** The SIP field names an extension write may carry (every key of the create args but `account`/`dry_run`). */
export const EXTENSION_FIELDS = Object.keys(SipFields).filter((k) => k !== 'dry_run');

/** `extensions.create` args (seed `addextension`): `account` plus SIP fields; FreePBX defaults fill the rest. */
export const ExtensionsCreateArgs = Type.Object(
  { account: Account, kind: Kind, register: Register, ...SipFields },
  { additionalProperties: false },
);
/** `extensions.update` args (seed `updateextension`): `account` plus the fields to change. */
export const ExtensionsUpdateArgs = Type.Object(
  { account: Account, kind: Kind, register: Register, ...SipFields },
  { additionalProperties: false },
);
/** `extensions.delete` args (seed `deleteextension`). */
export const ExtensionsDeleteArgs = Type.Object(
  { account: Account, kind: Kind, dry_run: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
/** `extensions.get` args. */
export const ExtensionsGetArgs = Type.Object(
  { account: Account, kind: Kind },
  { additionalProperties: false },
);

/** One extension or trunk in `extensions.list` (seed `sipextensions`): who it is, then every `sip` keyword
 * flat under its own name (deny, secret, dtmfmode, canreinvite, context, host, …); secrets are "********"
 * without scope `secrets:read`. */
export const ExtensionSummary = Type.Object(
  {
    account: Type.String({
      maxLength: 20,
      description: "extension number, or the sip id of a trunk ('tr-peer-1')",
    }),
    tech: Type.String({ maxLength: 10 }),
    trunk: Type.Boolean(),
    name: Nullable(Type.String({ maxLength: 80 })),
    dial: Nullable(Type.String({ maxLength: 50 })),
    context: Nullable(Type.String({ maxLength: 80 })),
    host: Nullable(Type.String({ maxLength: 255 })),
    type: Nullable(Type.String({ maxLength: 16 })),
    callerid: Nullable(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: Type.String({ maxLength: 255 }) },
);

/** `extensions.list` part data (a page of extensions; the final reply carries the count). */
export const ExtensionsListPart = Type.Object(
  { extensions: Type.Array(ExtensionSummary) },
  { additionalProperties: false },
);
/** `extensions.list` final data. */
export const ExtensionsListResult = Type.Object(
  { count: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

/** `extensions.get` result: users/devices columns plus every `sip` keyword; `sip.secret` only with scope `secrets:read`. */
export const Extension = Type.Object(
  {
    account: Type.String({ maxLength: 20 }),
    tech: Type.String({ maxLength: 10 }),
    name: Nullable(Type.String({ maxLength: 50 })),
    dial: Nullable(Type.String({ maxLength: 50 })),
    voicemail: Nullable(Type.String({ maxLength: 50 })),
    outboundcid: Nullable(Type.String({ maxLength: 50 })),
    ringtimer: Nullable(Type.Integer()),
    sip: Type.Record(Type.String({ maxLength: 30 }), Type.String({ maxLength: 255 })),
    secret_set: Type.Boolean({ description: 'a secret is configured (its value only with secrets:read)' }),
  },
  { additionalProperties: false },
);

/** `extensions.create/update/delete` result: the field names written (never values) and the apply outcome (null on dry_run). */
export const ExtensionsWriteResult = Type.Object(
  {
    account: Type.String({ maxLength: 20 }),
    action: Enum(['create', 'update', 'delete']),
    dry_run: Type.Boolean(),
    fields: Type.Array(Type.String({ maxLength: 30 }), { maxItems: 200 }),
    applied: Nullable(Applied),
    plan: Type.Optional(ChangePlan),
  },
  { additionalProperties: false },
);
