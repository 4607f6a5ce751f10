/**
 * FreePBX 2.11's defaults and write order for a SIP extension, a SIP trunk and a follow-me (reference §9.1, §8.2,
 * §10.2). Orders are FreePBX's form order: the `sip` rows' `flags` are numbered from 2 in this order (§9.1 step 6).
 */

/** A new extension's `sip` keywords in the order of the real Elastix rows (101t ext_tables.log, §9.1 step 6);
 * `account` and `callerid` are appended after these. `username`/`vmexten` are written only when given. */
export const EXTENSION_SIP_ORDER = [
  'secret',
  'dtmfmode',
  'canreinvite',
  'context',
  'host',
  'trustrpid',
  'sendrpid',
  'type',
  'nat',
  'port',
  'qualify',
  'qualifyfreq',
  'transport',
  'avpf',
  'icesupport',
  'encryption',
  'callgroup',
  'pickupgroup',
  'disallow',
  'allow',
  'dial',
  'accountcode',
  'mailbox',
  'deny',
  'permit',
  'username',
  'vmexten',
] as const;

/** Keywords written only when the caller gives them (not part of FreePBX's default form). */
export const OPTIONAL_SIP_KEYWORDS: ReadonlySet<string> = new Set(['username', 'vmexten']);

/** FreePBX's default value of each extension keyword (`dial` and `mailbox` depend on the account, see below). */
export const EXTENSION_SIP_DEFAULTS: Readonly<Record<string, string>> = {
  dtmfmode: 'rfc2833',
  canreinvite: 'no',
  context: 'from-internal',
  host: 'dynamic',
  trustrpid: 'yes',
  sendrpid: 'no',
  type: 'friend',
  nat: 'yes',
  port: '5060',
  qualify: 'yes',
  qualifyfreq: '60',
  transport: 'udp',
  avpf: 'no',
  icesupport: 'no',
  encryption: 'no',
  callgroup: '',
  pickupgroup: '',
  disallow: '',
  allow: '',
  accountcode: '',
  deny: '0.0.0.0/0.0.0.0',
  permit: '0.0.0.0/0.0.0.0',
};

/** `users` columns of a new extension beyond extension/name (§8.2; `recording` as in the real 2.11 rows). */
export const USERS_DEFAULTS = {
  password: '',
  voicemail: 'novm',
  ringtimer: 0,
  noanswer: '',
  recording: 'out=Never|in=Never',
  outboundcid: '',
  sipname: '',
  noanswer_cid: '',
  busy_cid: '',
  chanunavail_cid: '',
  noanswer_dest: '',
  busy_dest: '',
  chanunavail_dest: '',
} as const;

/** The AMPUSER/<ext>/recording/* keys FreePBX 2.11 writes with their GUI defaults (§9.1 step 2). */
export const RECORDING_KEY_DEFAULTS: ReadonlyArray<readonly [string, string]> = [
  ['recording/in/external', 'dontcare'],
  ['recording/out/external', 'dontcare'],
  ['recording/in/internal', 'dontcare'],
  ['recording/out/internal', 'dontcare'],
  ['recording/ondemand', 'disabled'],
  ['recording/priority', '10'],
];

/** A SIP trunk's peer keywords after `account` (the channel id, always first, §8.2), in FreePBX's template
 * order (`host`, `username`, `secret`, `type`) then the rest as sip.conf usually lists them. */
export const TRUNK_SIP_ORDER = [
  'host',
  'username',
  'secret',
  'type',
  'context',
  'insecure',
  'fromuser',
  'fromdomain',
  'port',
  'qualify',
  'qualifyfreq',
  'dtmfmode',
  'nat',
  'canreinvite',
  'trustrpid',
  'sendrpid',
  'transport',
  'encryption',
  'avpf',
  'icesupport',
  'callgroup',
  'pickupgroup',
  'disallow',
  'allow',
  'deny',
  'permit',
  'accountcode',
  'mailbox',
  'callerid',
  'vmexten',
] as const;

/** FreePBX's new SIP trunk template writes `type=peer` (§8.2); everything else comes from the caller. */
export const TRUNK_SIP_DEFAULTS: Readonly<Record<string, string>> = { type: 'peer' };

/** Follow-me defaults (§10.2; overridden by freepbx_settings FOLLOWME_* when present). */
export const FOLLOWME_DEFAULTS = {
  strategy: 'ringallv2-prim',
  grptime: 20,
  pre_ring: 7,
  /** FOLLOWME_DISABLED true ⇒ ddial EXTENSION (follow-me created disabled). */
  disabled: true,
  ringing: 'Ring',
} as const;
