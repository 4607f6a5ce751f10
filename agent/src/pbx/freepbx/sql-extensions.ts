import { PbxlinkError } from '../../core/errors';
import type { DbTx, FreepbxDb } from './db';
import { qualified } from './sql-names';
import { trunkIds } from './trunk-plan';

/** How secrets are shown to a caller without `secrets:read` (DESIGN.md "Commands"). */
export const MASK = '********';
const SECRET_KEYWORDS = new Set(['secret', 'md5secret']);

/** A register string's password part masked: `user:secret@host` → `user:********@host` (sip.conf register syntax). */
export function maskRegister(value: string): string {
  return value.replace(/^((?:[a-z]+:\/\/)?[^:@/]+(?:@[^:@/]+)?):([^:@]*)((?::[^@]*)?@)/, `$1:${MASK}$3`);
}

/** Replaces secret values (secret, md5secret, a register password) unless the caller may see them. */
export function maskSip(sip: Record<string, string>, showSecrets: boolean): Record<string, string> {
  if (showSecrets) return sip;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(sip)) {
    out[k] = SECRET_KEYWORDS.has(k) && v !== '' ? MASK : k === 'register' ? maskRegister(v) : v;
  }
  return out;
}

/** One entry of extensions.list (seed `sipextensions`: the sip keywords flat, plus who/what it is). */
export type ExtensionEntry = Record<string, string | boolean | null>;

/** Builds a list entry from one sip id's rows (`flags` order) and its device/user (absent for trunks). */
export function listEntry(
  id: string,
  sip: Record<string, string>,
  device: { tech: string | null; dial: string | null; description: string | null } | undefined,
  userName: string | null | undefined,
  showSecrets: boolean,
): ExtensionEntry {
  const trunk = /^tr-(peer|user)-/.test(id);
  const masked = maskSip(sip, showSecrets);
  const entry: ExtensionEntry = {
    account: id,
    tech: device?.tech ?? 'sip',
    trunk,
    name: trunk ? (sip.account ?? null) : (userName ?? device?.description ?? null),
    dial: device?.dial ?? sip.dial ?? null,
    context: null,
    host: null,
    type: null,
    callerid: null,
  };
  for (const [k, v] of Object.entries(masked)) {
    if (k === 'account' || k === 'tech' || k === 'trunk' || k === 'name' || k === 'dial') continue;
    entry[k] = v;
  }
  return entry;
}

/** The rows behind extensions.list, ordered so each sip id's rows are adjacent (streamed, never all in memory). */
export function listSql(db: string): string {
  return (
    `SELECT s.id, s.keyword, s.data, s.flags, d.tech, d.dial, d.description, u.name AS user_name ` +
    `FROM ${qualified(db, 'sip')} s LEFT JOIN ${qualified(db, 'devices')} d ON d.id = s.id ` +
    `LEFT JOIN ${qualified(db, 'users')} u ON u.extension = d.user ` +
    `WHERE s.id NOT LIKE 'tr-reg-%' ORDER BY s.id, s.flags, s.keyword`
  );
}

/** extensions.get data (protocol `Extension`). */
export interface ExtensionData {
  account: string;
  tech: string;
  name: string | null;
  dial: string | null;
  voicemail: string | null;
  outboundcid: string | null;
  ringtimer: number | null;
  sip: Record<string, string>;
  secret_set: boolean;
}

async function sipMap(pool: FreepbxDb, db: string, id: string): Promise<Record<string, string>> {
  const rows = await pool.query<{ keyword: string; data: string }>(
    `SELECT keyword, data FROM ${qualified(db, 'sip')} WHERE id = ? ORDER BY flags, keyword`,
    [id],
  );
  const out: Record<string, string> = {};
  for (const r of rows) if (!(r.keyword in out)) out[r.keyword] = r.data;
  return out;
}

/** One SIP extension (users + devices + sip rows) or, with kind 'trunk', SIP trunk `account` (its register row as `sip.register`). */
export async function getExtension(
  pool: FreepbxDb,
  db: string,
  account: string,
  kind: 'extension' | 'trunk',
  showSecrets: boolean,
): Promise<ExtensionData> {
  if (kind === 'trunk') {
    const ids = trunkIds(account);
    const sip = await sipMap(pool, db, ids.peer);
    if (Object.keys(sip).length === 0) throw new PbxlinkError('not_found', `no SIP trunk ${account}`);
    const reg = await sipMap(pool, db, ids.reg);
    if (reg.register !== undefined) sip.register = reg.register;
    const name = sip.account ?? null;
    return {
      account,
      tech: 'sip',
      name,
      dial: null,
      voicemail: null,
      outboundcid: null,
      ringtimer: null,
      sip: maskSip(sip, showSecrets),
      secret_set: (sip.secret ?? '') !== '',
    };
  }
  const devices = await pool.query<{ tech: string; dial: string; description: string | null }>(
    `SELECT tech, dial, description FROM ${qualified(db, 'devices')} WHERE id = ? LIMIT 1`,
    [account],
  );
  const users = await pool.query<{
    name: string | null;
    voicemail: string | null;
    outboundcid: string | null;
    ringtimer: number | null;
  }>(
    `SELECT name, voicemail, outboundcid, ringtimer FROM ${qualified(db, 'users')} WHERE extension = ? LIMIT 1`,
    [account],
  );
  const sip = await sipMap(pool, db, account);
  const device = devices[0];
  if (Object.keys(sip).length === 0 || (device && device.tech.toLowerCase() !== 'sip')) {
    throw new PbxlinkError('not_found', `no SIP extension ${account}`);
  }
  const user = users[0];
  return {
    account,
    tech: device?.tech ?? 'sip',
    name: user?.name ?? device?.description ?? null,
    dial: device?.dial ?? sip.dial ?? null,
    voicemail: user?.voicemail ?? null,
    outboundcid: user?.outboundcid ?? null,
    ringtimer: user?.ringtimer === undefined || user.ringtimer === null ? null : Number(user.ringtimer),
    sip: maskSip(sip, showSecrets),
    secret_set: (sip.secret ?? '') !== '',
  };
}

/** Names of sip sections other than `exceptId` whose `account` keyword equals `name` (a sip.conf name clash). */
export async function sectionOwners(
  tx: DbTx,
  db: string,
  name: string,
  exceptIds: readonly string[],
): Promise<string[]> {
  const rows = await tx.query<{ id: string }>(
    `SELECT DISTINCT id FROM ${qualified(db, 'sip')} WHERE keyword = 'account' AND data = ? AND id NOT IN (${exceptIds.map(() => '?').join(', ')})`,
    [name, ...exceptIds],
  );
  return rows.map((r) => r.id);
}
