import type { Logger } from '../../core/log';
import type { AmiActions } from '../ami/actions';
import type { DbTx, FreepbxDb } from './db';
import { DEFAULT_FOLLOWME_SETTINGS, type FollowmeSettings } from './followme-plan';
import type { Row } from './sql-changes';
import { qualified } from './sql-names';

/** followme.get/list data (protocol `Followme`). */
export interface FollowmeData {
  grpnum: string;
  strategy: string;
  grptime: number;
  grppre: string;
  grplist: string[];
  annmsg_id: number | null;
  postdest: string | null;
  dring: string | null;
  remotealert_id: number | null;
  needsconf: boolean;
  toolate_id: number | null;
  pre_ring: number;
  ringing: string | null;
  ddial?: 'EXTENSION' | 'DIRECT' | null;
}

const intOrNull = (v: unknown): number | null =>
  v === null || v === undefined || v === '' ? null : Number(v);

/** A findmefollow row in wire shape (grplist split on `-`, needsconf as a boolean, §10.1/§10.2). */
export function followmeFromRow(r: Row): FollowmeData {
  const grplist = String(r.grplist ?? '');
  return {
    grpnum: String(r.grpnum),
    strategy: String(r.strategy ?? ''),
    grptime: Number(r.grptime ?? 0),
    grppre: String(r.grppre ?? ''),
    grplist: grplist === '' ? [] : grplist.split('-'),
    annmsg_id: intOrNull(r.annmsg_id),
    postdest: r.postdest === null || r.postdest === undefined ? null : String(r.postdest),
    dring: r.dring === null || r.dring === undefined ? null : String(r.dring),
    remotealert_id: intOrNull(r.remotealert_id),
    needsconf: r.needsconf === 'CHECKED',
    toolate_id: intOrNull(r.toolate_id),
    pre_ring: Number(r.pre_ring ?? 0),
    ringing: r.ringing === null || r.ringing === undefined ? null : String(r.ringing),
  };
}

/** The columns followme.list/get read (never SELECT *: 13 adds rvolume, not in the wire shape). */
const COLUMNS =
  'grpnum, strategy, grptime, grppre, grplist, annmsg_id, postdest, dring, remotealert_id, needsconf, toolate_id, pre_ring, ringing';

/** SQL of followme.list, streamed in grpnum order. */
export function followmeListSql(db: string): string {
  return `SELECT ${COLUMNS} FROM ${qualified(db, 'findmefollow')} ORDER BY grpnum`;
}

/** One findmefollow row, or undefined. */
export async function readFollowmeRow(pool: FreepbxDb, db: string, grpnum: string): Promise<Row | undefined> {
  const rows = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM ${qualified(db, 'findmefollow')} WHERE grpnum = ?`,
    [grpnum],
  );
  return rows[0];
}

/** Reads the §10.3 keys of one follow-me and lays them over its row (throws when AMI fails). */
export async function overlayAstDb(data: FollowmeData, actions: AmiActions): Promise<FollowmeData> {
  const g = data.grpnum;
  const get = (k: string) => actions.dbGet('AMPUSER', `${g}/followme/${k}`, { timeoutMs: 3000 });
  const [prering, grptime, grplist, grpconf, ddial] = [
    await get('prering'),
    await get('grptime'),
    await get('grplist'),
    await get('grpconf'),
    await get('ddial'),
  ];
  const out = { ...data };
  if (prering !== undefined && /^[0-9]+$/.test(prering)) out.pre_ring = Number(prering);
  if (grptime !== undefined && /^[0-9]+$/.test(grptime)) out.grptime = Number(grptime);
  if (grplist !== undefined && grplist !== '') out.grplist = grplist.split('-');
  if (grpconf === 'ENABLED' || grpconf === 'DISABLED') out.needsconf = grpconf === 'ENABLED';
  out.ddial = ddial === 'EXTENSION' || ddial === 'DIRECT' ? ddial : null;
  return out;
}

/**
 * The §10.3 AstDB values win over the row where they exist (the dialplan reads AstDB; FreePBX's own
 * findmefollow_get(check_astdb) does the same). AMI down → the row as stored, ddial null.
 */
export async function mergeAstDb(
  data: FollowmeData,
  actions: AmiActions,
  log?: Logger,
): Promise<FollowmeData> {
  try {
    return await overlayAstDb(data, actions);
  } catch (err) {
    log?.warn({ err, grpnum: data.grpnum }, 'follow-me AstDB keys unreadable; returning the table row');
    return { ...data, ddial: null };
  }
}

/** FOLLOWME_* from freepbx_settings (FreePBX ≥ 2.9, §8.2); the §10.2 defaults when absent. */
export async function readFollowmeSettings(tx: DbTx, db: string): Promise<FollowmeSettings> {
  let rows: Array<{ keyword: string; value: string | null }> = [];
  try {
    rows = await tx.query(
      `SELECT keyword, value FROM ${qualified(db, 'freepbx_settings')} WHERE keyword IN ('FOLLOWME_RG_STRATEGY','FOLLOWME_TIME','FOLLOWME_PRERING','FOLLOWME_DISABLED','FOLLOWME_AUTO_CREATE')`,
    );
  } catch {
    return DEFAULT_FOLLOWME_SETTINGS; // FreePBX 2.8: settings live in amportal.conf only
  }
  const v = new Map(rows.map((r) => [r.keyword, r.value ?? '']));
  const int = (k: string, def: number, max: number) => {
    const s = v.get(k);
    return s !== undefined && /^[0-9]{1,3}$/.test(s) && Number(s) <= max ? Number(s) : def;
  };
  const strategy = v.get('FOLLOWME_RG_STRATEGY');
  const disabled = v.get('FOLLOWME_DISABLED');
  return {
    strategy: strategy && /^[a-z2-]{1,30}$/.test(strategy) ? strategy : DEFAULT_FOLLOWME_SETTINGS.strategy,
    // The settings page offers 5..120, the follow-me form 1..60 (§10.2): keep what the form accepts.
    grptime: Math.max(1, int('FOLLOWME_TIME', DEFAULT_FOLLOWME_SETTINGS.grptime, 60)),
    pre_ring: int('FOLLOWME_PRERING', DEFAULT_FOLLOWME_SETTINGS.pre_ring, 60),
    disabled: disabled === undefined ? DEFAULT_FOLLOWME_SETTINGS.disabled : /^(1|true|yes)$/i.test(disabled),
    autoCreate: /^(1|true|yes)$/i.test(v.get('FOLLOWME_AUTO_CREATE') ?? ''),
  };
}
