import { PbxlinkError } from '../../core/errors';
import type { AstDbOp } from './astdb';
import { ampDel, ampPut, type ChangePlan, type ExtensionArgs, sipArgs } from './change-plan';
import {
  EXTENSION_SIP_DEFAULTS,
  EXTENSION_SIP_ORDER,
  OPTIONAL_SIP_KEYWORDS,
  RECORDING_KEY_DEFAULTS,
  USERS_DEFAULTS,
} from './defaults';
import type { DbChange, Row, Scope, Snapshot } from './sql-changes';
import { rowsOf } from './sql-changes';

/** The rows an extension owns (§9.2: users, devices, sip, and its follow-me). */
export function extensionScopes(account: string): Scope[] {
  return [
    { table: 'users', column: 'extension', value: account },
    { table: 'devices', column: 'id', value: account },
    { table: 'sip', column: 'id', value: account },
    { table: 'findmefollow', column: 'grpnum', value: account },
  ];
}

function missing(field: string, command: string): PbxlinkError {
  return new PbxlinkError('invalid_args', `invalid arguments for ${command}: ${field}: required`, {
    details: { problems: [{ path: `/${field}`, message: 'required' }] },
  });
}

/** `sip` rows of a new extension in FreePBX's order, flags from 2, `account` and `callerid` last (§9.1 step 6). */
export function extensionSipRows(args: ExtensionArgs, voicemail: string): Row[] {
  const a = args.account;
  const given = sipArgs(args);
  const derived: Record<string, string> = {
    dial: `SIP/${a}`,
    // FreePBX points the MWI mailbox at the voicemail context, or at `device` without voicemail (seed rows).
    mailbox: `${a}@${voicemail === 'novm' ? 'device' : voicemail}`,
  };
  const rows: Row[] = [];
  let flags = 2;
  for (const k of EXTENSION_SIP_ORDER) {
    const v = given.get(k) ?? derived[k] ?? EXTENSION_SIP_DEFAULTS[k];
    if (v === undefined || (OPTIONAL_SIP_KEYWORDS.has(k) && !given.has(k))) continue;
    rows.push({ id: a, keyword: k, data: v, flags: flags++ });
  }
  rows.push({ id: a, keyword: 'account', data: a, flags: flags++ });
  const callerid = given.get('callerid') ?? `${args.name ? args.name : 'device'} <${a}>`;
  rows.push({ id: a, keyword: 'callerid', data: callerid, flags: flags++ });
  return rows;
}

/** AstDB keys FreePBX 2.11 writes for a new extension, in its order (§9.1 steps 2 and 4). */
export function extensionAstDbKeys(a: string, user: Row, emergencyCid: string): AstDbOp[] {
  const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const ops: AstDbOp[] = [
    ampPut(a, 'password', s(user.password)),
    ampPut(a, 'ringtimer', s(user.ringtimer)),
    ampPut(a, 'cfringtimer', '0'),
    ampPut(a, 'concurrency_limit', '0'),
    ampPut(a, 'noanswer', s(user.noanswer)),
    ampPut(a, 'recording', s(user.recording)),
    ampPut(a, 'outboundcid', s(user.outboundcid)),
    ampPut(a, 'cidname', s(user.name)),
    ampPut(a, 'cidnum', a),
    ampPut(a, 'voicemail', s(user.voicemail)),
    ampPut(a, 'answermode', 'disabled'),
    ...RECORDING_KEY_DEFAULTS.map(([k, v]) => ampPut(a, k, v)),
    ampDel(a, 'dialopts'), // "only if set, else deleted"
    ampDel(a, 'screen'),
    ampPut(a, 'device', a),
    ampDel(a, 'pinless'),
    { op: 'put', family: 'CW', key: a, value: 'ENABLED' }, // call waiting on: FreePBX's default for new extensions
    { op: 'put', family: 'DEVICE', key: `${a}/user`, value: a },
    { op: 'put', family: 'DEVICE', key: `${a}/dial`, value: `SIP/${a}` },
    { op: 'put', family: 'DEVICE', key: `${a}/type`, value: 'fixed' },
    { op: 'put', family: 'DEVICE', key: `${a}/default_user`, value: a },
  ];
  ops.push(
    emergencyCid === ''
      ? { op: 'del', family: 'DEVICE', key: `${a}/emergency_cid` }
      : { op: 'put', family: 'DEVICE', key: `${a}/emergency_cid`, value: emergencyCid },
  );
  return ops;
}

/** extensions.create (§9.1): users, devices, sip rows, then the AMPUSER/DEVICE/CW keys. Conflict if any row exists. */
export function planCreateExtension(args: ExtensionArgs, snap: Snapshot): ChangePlan {
  const a = args.account;
  if (rowsOf(snap, 'users').length + rowsOf(snap, 'devices').length + rowsOf(snap, 'sip').length > 0) {
    throw new PbxlinkError('conflict', `extension ${a} already exists`, { details: { account: a } });
  }
  if (args.name === undefined) throw missing('name', 'extensions.create');
  if (args.secret === undefined) throw missing('secret', 'extensions.create');
  const voicemail = args.voicemail ?? USERS_DEFAULTS.voicemail;
  const user: Row = {
    extension: a,
    ...USERS_DEFAULTS,
    name: args.name,
    voicemail,
    ringtimer: args.ringtimer ?? USERS_DEFAULTS.ringtimer,
    outboundcid: args.outboundcid ?? USERS_DEFAULTS.outboundcid,
  };
  const device: Row = {
    id: a,
    tech: 'sip',
    dial: `SIP/${a}`,
    devicetype: 'fixed',
    user: a,
    description: args.name,
    emergency_cid: '',
  };
  const sip = extensionSipRows(args, voicemail);
  const db: DbChange[] = [
    { op: 'insert', table: 'users', row: user },
    { op: 'insert', table: 'devices', row: device },
    ...sip.map((row): DbChange => ({ op: 'insert', table: 'sip', row })),
  ];
  const fields = ['name', 'voicemail', 'outboundcid', 'ringtimer', ...sip.map((r) => String(r.keyword))];
  return { kind: 'extension', action: 'create', id: a, fields, db, astdb: extensionAstDbKeys(a, user, '') };
}

/** users column and AMPUSER key of each users-side field (§9.1 step 1/2). */
const USER_FIELD_KEYS: Readonly<Record<string, string>> = {
  name: 'cidname',
  voicemail: 'voicemail',
  outboundcid: 'outboundcid',
  ringtimer: 'ringtimer',
};

/**
 * extensions.update: read-modify-write of only the given fields. A field whose value is unchanged writes
 * nothing; every other row, column and key stays as it is (FreePBX's own edit resets unspecified fields).
 */
export function planUpdateExtension(args: ExtensionArgs, snap: Snapshot): ChangePlan {
  const a = args.account;
  const sipRows = rowsOf(snap, 'sip');
  const device = rowsOf(snap, 'devices')[0];
  if (sipRows.length === 0 || (device && String(device.tech).toLowerCase() !== 'sip')) {
    throw new PbxlinkError('not_found', `no SIP extension ${a}`, { details: { account: a } });
  }
  const user = rowsOf(snap, 'users')[0];
  const db: DbChange[] = [];
  const astdb: AstDbOp[] = [];
  const fields: string[] = [];
  for (const [field, key] of Object.entries(USER_FIELD_KEYS)) {
    const v = args[field];
    if (v === undefined || !user) continue;
    if (String(user[field] ?? '') === String(v)) continue;
    fields.push(field);
    db.push({
      op: 'update',
      table: 'users',
      where: { extension: a },
      set: { [field]: v as string | number },
    });
    if (field === 'name' && device) {
      db.push({ op: 'update', table: 'devices', where: { id: a }, set: { description: v as string } });
    }
    astdb.push(ampPut(a, key, String(v)));
  }
  let maxFlags = Math.max(1, ...sipRows.map((r) => Number(r.flags) || 0));
  const byKeyword = new Map(sipRows.map((r) => [String(r.keyword), r]));
  for (const [k, v] of sipArgs(args)) {
    const cur = byKeyword.get(k);
    if (cur && String(cur.data) === v) continue;
    fields.push(k);
    db.push(
      cur
        ? { op: 'update', table: 'sip', where: { id: a, keyword: k }, set: { data: v } }
        : { op: 'insert', table: 'sip', row: { id: a, keyword: k, data: v, flags: ++maxFlags } },
    );
  }
  return { kind: 'extension', action: 'update', id: a, fields, db, astdb };
}

/** extensions.delete (§9.2): the rows (users, findmefollow, devices, sip), then the AMPUSER, CW, CF, CFB, CFU and DEVICE keys. */
export function planDeleteExtension(account: string, snap: Snapshot): ChangePlan {
  const a = account;
  if (rowsOf(snap, 'users').length + rowsOf(snap, 'devices').length + rowsOf(snap, 'sip').length === 0) {
    throw new PbxlinkError('not_found', `no extension ${a}`, { details: { account: a } });
  }
  const db: DbChange[] = [
    { op: 'delete', table: 'users', where: { extension: a } },
    { op: 'delete', table: 'findmefollow', where: { grpnum: a } },
    { op: 'delete', table: 'devices', where: { id: a } },
    { op: 'delete', table: 'sip', where: { id: a } },
  ];
  const astdb: AstDbOp[] = [
    ampDel(a, 'screen'),
    { op: 'deltree', family: 'AMPUSER', key: a },
    ...['CW', 'CF', 'CFB', 'CFU'].map((family): AstDbOp => ({ op: 'del', family, key: a })),
    { op: 'deltree', family: 'AMPUSER', key: `${a}/followme` },
    ...['dial', 'type', 'user', 'default_user', 'emergency_cid'].map(
      (k): AstDbOp => ({ op: 'del', family: 'DEVICE', key: `${a}/${k}` }),
    ),
  ];
  return { kind: 'extension', action: 'delete', id: a, fields: [], db, astdb };
}
