import type { AstDbOp } from './astdb';
import type { DbChange } from './sql-changes';

/** What a configuration change records and announces (`config.changed`, protocol ConfigChangedEvent). */
export type ChangeKind = 'extension' | 'trunk' | 'followme';
/** The three write commands. */
export type ChangeAction = 'create' | 'update' | 'delete';

/** Everything one change will write: the rows (in order, one transaction) then the AstDB keys (after commit). */
export interface ChangePlan {
  kind: ChangeKind;
  action: ChangeAction;
  /** The record's id: extension number, trunk number, follow-me grpnum. */
  id: string;
  /** Names of the fields written (never their values). */
  fields: string[];
  db: DbChange[];
  astdb: AstDbOp[];
}

/** The write args every extension/trunk command accepts (protocol ExtensionsCreateArgs plus `kind`/`register`). */
export interface ExtensionArgs {
  account: string;
  kind?: 'extension' | 'trunk';
  name?: string;
  secret?: string;
  voicemail?: string;
  outboundcid?: string;
  ringtimer?: number;
  register?: string;
  dry_run?: boolean;
  [field: string]: unknown;
}

/** Args that are not `sip` keywords. */
export const NON_SIP_ARGS: ReadonlySet<string> = new Set([
  'account',
  'kind',
  'dry_run',
  'name',
  'voicemail',
  'outboundcid',
  'ringtimer',
  'register',
]);

/** The given `sip` keyword args, values as the table stores them (strings). */
export function sipArgs(args: ExtensionArgs): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(args)) {
    if (NON_SIP_ARGS.has(k) || v === undefined || v === null) continue;
    out.set(k, String(v));
  }
  return out;
}

/** AMPUSER/<ext>/<key> put. */
export const ampPut = (ext: string, key: string, value: string): AstDbOp => ({
  op: 'put',
  family: 'AMPUSER',
  key: `${ext}/${key}`,
  value,
});
/** AMPUSER/<ext>/<key> del. */
export const ampDel = (ext: string, key: string): AstDbOp => ({
  op: 'del',
  family: 'AMPUSER',
  key: `${ext}/${key}`,
});
