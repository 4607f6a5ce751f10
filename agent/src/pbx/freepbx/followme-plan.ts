import { PbxlinkError } from '../../core/errors';
import type { AstDbOp } from './astdb';
import { ampPut, type ChangePlan } from './change-plan';
import { FOLLOWME_DEFAULTS } from './defaults';
import type { FieldProblem } from './field-checks';
import { throwProblems } from './field-checks';
import type { DbChange, Row, Scope, Snapshot } from './sql-changes';
import { rowsOf } from './sql-changes';

/** followme.create/update args (protocol FollowmeCreateArgs). */
export interface FollowmeArgs {
  grpnum: string;
  strategy?: string;
  grptime?: number;
  grppre?: string;
  grplist?: string[] | string;
  annmsg_id?: number | null;
  postdest?: string;
  dring?: string;
  remotealert_id?: number | null;
  needsconf?: boolean | 'CHECKED' | '';
  toolate_id?: number | null;
  pre_ring?: number;
  ringing?: string;
  /** Follow-me on (AstDB ddial DIRECT) or off (EXTENSION: calls go straight to the extension; §10.2). */
  enabled?: boolean;
  dry_run?: boolean;
}

/** FOLLOWME_* settings of freepbx_settings (§8.2, §10.2). */
export interface FollowmeSettings {
  strategy: string;
  grptime: number;
  pre_ring: number;
  /** FOLLOWME_DISABLED: a new follow-me starts disabled (ddial EXTENSION). */
  disabled: boolean;
  /** FOLLOWME_AUTO_CREATE: a new extension gets a follow-me (§9.1 step 7). */
  autoCreate: boolean;
}

/** The defaults when freepbx_settings has no FOLLOWME_* rows. */
export const DEFAULT_FOLLOWME_SETTINGS: FollowmeSettings = {
  strategy: FOLLOWME_DEFAULTS.strategy,
  grptime: FOLLOWME_DEFAULTS.grptime,
  pre_ring: FOLLOWME_DEFAULTS.pre_ring,
  disabled: FOLLOWME_DEFAULTS.disabled,
  autoCreate: false,
};

/** The rows a follow-me change reads: its findmefollow row and its extension's users row. */
export function followmeScopes(grpnum: string): Scope[] {
  return [
    { table: 'findmefollow', column: 'grpnum', value: grpnum },
    { table: 'users', column: 'extension', value: grpnum },
  ];
}

/**
 * grplist as FreePBX stores it (§10.2): entries cleaned to `[0-9#*+]`, blanks and duplicates dropped, the
 * extension's own number without `#`, `#` allowed only as the last character (external number); joined with `-`.
 */
export function normalizeGrplist(
  input: string[] | string,
  grpnum: string,
): { list: string[]; problem?: string } {
  const raw = Array.isArray(input) ? input : input.split(/[-,\n]/);
  const list: string[] = [];
  for (const r of raw) {
    let e = r.trim().replace(/[^0-9#*+]/g, '');
    if (e === '') continue;
    if (!/^[0-9*+]+#?$/.test(e)) return { list, problem: `${e}: '#' may only end a number` };
    if (e === `${grpnum}#`) e = grpnum;
    if (!list.includes(e)) list.push(e);
  }
  if (list.length === 0) return { list, problem: 'no number left' };
  if (list.join('-').length > 255) return { list, problem: 'longer than 255 characters once joined' };
  return { list };
}

/** §10.2: confirm calls only with the ringall*, ringallv2* and hunt* strategies (the UI's rule). */
const CONF_STRATEGIES = /^(ringallv2|ringall|hunt)(-prim)?$/;

function needsconfValue(v: FollowmeArgs['needsconf']): string {
  return v === true || v === 'CHECKED' ? 'CHECKED' : '';
}

/** The findmefollow columns a follow-me change may set from args (everything but grpnum). */
function rowFromArgs(args: FollowmeArgs, grpnum: string, problems: FieldProblem[]): Row {
  const row: Row = {};
  const copy = [
    'strategy',
    'grptime',
    'grppre',
    'annmsg_id',
    'postdest',
    'dring',
    'remotealert_id',
    'toolate_id',
    'pre_ring',
    'ringing',
  ] as const;
  for (const k of copy) if (args[k] !== undefined) row[k] = args[k] as string | number | null;
  if (args.needsconf !== undefined) row.needsconf = needsconfValue(args.needsconf);
  if (args.grplist !== undefined) {
    const g = normalizeGrplist(args.grplist, grpnum);
    if (g.problem) problems.push({ path: '/grplist', message: g.problem });
    row.grplist = g.list.join('-');
  }
  return row;
}

/** The §10.3 keys that mirror a findmefollow column: AstDB is what the dialplan reads. */
function mirroredKeys(g: string, row: Row): AstDbOp[] {
  const ops: AstDbOp[] = [];
  if (row.pre_ring !== undefined) ops.push(ampPut(g, 'followme/prering', String(row.pre_ring)));
  if (row.grptime !== undefined) ops.push(ampPut(g, 'followme/grptime', String(row.grptime)));
  if (row.grplist !== undefined) ops.push(ampPut(g, 'followme/grplist', String(row.grplist)));
  if (row.needsconf !== undefined) {
    ops.push(ampPut(g, 'followme/grpconf', row.needsconf === 'CHECKED' ? 'ENABLED' : 'DISABLED'));
  }
  return ops;
}

/** AstDB `followme/ddial`: DIRECT = follow-me active, EXTENSION = disabled (reference §10.2). */
function ddial(enabled: boolean): string {
  return enabled ? 'DIRECT' : 'EXTENSION';
}

function checkConf(row: Row, problems: FieldProblem[]): void {
  if (row.needsconf === 'CHECKED' && !CONF_STRATEGIES.test(String(row.strategy))) {
    problems.push({
      path: '/needsconf',
      message: `not allowed with strategy ${row.strategy} (ringall*, ringallv2*, hunt* only)`,
    });
  }
}

/** followme.create (§10.1, §10.3): the row with FreePBX defaults, then prering, grptime, grplist, grpconf, ddial, changecid, fixedcid. */
export function planCreateFollowme(
  args: FollowmeArgs,
  snap: Snapshot,
  settings: FollowmeSettings,
): ChangePlan {
  const g = args.grpnum;
  if (rowsOf(snap, 'users').length === 0)
    throw new PbxlinkError('not_found', `no extension ${g}`, { details: { grpnum: g } });
  if (rowsOf(snap, 'findmefollow').length > 0) {
    throw new PbxlinkError('conflict', `follow-me ${g} already exists`, { details: { grpnum: g } });
  }
  const problems: FieldProblem[] = [];
  const given = rowFromArgs(args, g, problems);
  const row: Row = {
    grpnum: g,
    strategy: settings.strategy,
    grptime: settings.grptime,
    grppre: '',
    grplist: g,
    annmsg_id: 0,
    postdest: `ext-local,${g},dest`,
    dring: '',
    remotealert_id: 0,
    needsconf: '',
    toolate_id: 0,
    pre_ring: settings.pre_ring,
    ringing: FOLLOWME_DEFAULTS.ringing,
    ...given,
  };
  if (row.postdest === '') row.postdest = `ext-local,${g},dest`; // §10.2: empty means the default
  checkConf(row, problems);
  throwProblems('followme.create', problems);
  const astdb: AstDbOp[] = [
    ...mirroredKeys(g, row),
    ampPut(g, 'followme/ddial', ddial(args.enabled ?? !settings.disabled)),
    ampPut(g, 'followme/changecid', 'default'),
    ampPut(g, 'followme/fixedcid', ''),
  ];
  const fields = [...Object.keys(row).filter((k) => k !== 'grpnum'), 'enabled'];
  return {
    kind: 'followme',
    action: 'create',
    id: g,
    fields,
    db: [{ op: 'insert', table: 'findmefollow', row }],
    astdb,
  };
}

/** followme.update: only the given columns of this one row (`WHERE grpnum = ?`), and only their mirrored keys. */
export function planUpdateFollowme(args: FollowmeArgs, snap: Snapshot): ChangePlan {
  const g = args.grpnum;
  const cur = rowsOf(snap, 'findmefollow')[0];
  if (!cur || rowsOf(snap, 'users').length === 0) {
    throw new PbxlinkError('not_found', `no follow-me ${g}`, { details: { grpnum: g } });
  }
  const problems: FieldProblem[] = [];
  const given = rowFromArgs(args, g, problems);
  const changed: Row = {};
  for (const [k, v] of Object.entries(given)) if (String(cur[k] ?? '') !== String(v ?? '')) changed[k] = v;
  checkConf({ ...cur, ...changed }, problems);
  throwProblems('followme.update', problems);
  const columns = Object.keys(changed);
  const db: DbChange[] = columns.length
    ? [{ op: 'update', table: 'findmefollow', where: { grpnum: g }, set: changed }]
    : [];
  const astdb = mirroredKeys(g, changed);
  const fields = [...columns];
  // ddial lives in AstDB only (§10.2); the caller's current value is not known here, so it is written when given.
  if (args.enabled !== undefined) {
    astdb.push(ampPut(g, 'followme/ddial', ddial(args.enabled)));
    fields.push('enabled');
  }
  return { kind: 'followme', action: 'update', id: g, fields, db, astdb };
}

/** followme.delete (§9.2 step 3, §10.3): the row, then deltree AMPUSER/<grpnum>/followme. */
export function planDeleteFollowme(grpnum: string, snap: Snapshot): ChangePlan {
  if (rowsOf(snap, 'findmefollow').length === 0) {
    throw new PbxlinkError('not_found', `no follow-me ${grpnum}`, { details: { grpnum } });
  }
  return {
    kind: 'followme',
    action: 'delete',
    id: grpnum,
    fields: [],
    db: [{ op: 'delete', table: 'findmefollow', where: { grpnum } }],
    astdb: [{ op: 'deltree', family: 'AMPUSER', key: `${grpnum}/followme` }],
  };
}

/** §9.1 step 7: with FOLLOWME_AUTO_CREATE on, a new extension also gets its follow-me (FreePBX defaults). */
export function withAutoFollowme(plan: ChangePlan, snap: Snapshot, settings: FollowmeSettings): ChangePlan {
  if (!settings.autoCreate || rowsOf(snap, 'findmefollow').length > 0) return plan;
  const users: Snapshot = [
    { scope: { table: 'users', column: 'extension', value: plan.id }, rows: [{ extension: plan.id }] },
  ];
  const fm = planCreateFollowme({ grpnum: plan.id }, users, settings);
  return { ...plan, db: [...plan.db, ...fm.db], astdb: [...plan.astdb, ...fm.astdb] };
}
