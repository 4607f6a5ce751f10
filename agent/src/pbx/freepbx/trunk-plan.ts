import { PbxlinkError } from '../../core/errors';
import { type ChangePlan, type ExtensionArgs, sipArgs } from './change-plan';
import { TRUNK_SIP_DEFAULTS, TRUNK_SIP_ORDER } from './defaults';
import type { DbChange, Row, Scope, Snapshot } from './sql-changes';

/** `sip` ids of SIP trunk `n` (§8.2): peer side, user side, and the register row. */
export function trunkIds(n: string): { peer: string; user: string; reg: string } {
  return { peer: `tr-peer-${n}`, user: `tr-user-${n}`, reg: `tr-reg-${n}` };
}

/** The rows trunk `n` owns. */
export function trunkScopes(n: string): Scope[] {
  const ids = trunkIds(n);
  return [ids.peer, ids.user, ids.reg].map((value) => ({ table: 'sip', column: 'id', value }));
}

function rowsWithId(snap: Snapshot, id: string): Row[] {
  return snap.filter((s) => s.scope.table === 'sip' && s.scope.value === id).flatMap((s) => s.rows);
}

function required(field: string): PbxlinkError {
  return new PbxlinkError(
    'invalid_args',
    `invalid arguments for extensions.create: ${field}: required for a trunk`,
    {
      details: { problems: [{ path: `/${field}`, message: 'required for a trunk' }] },
    },
  );
}

/**
 * A new SIP trunk as FreePBX's core_trunks_addSipOrIax writes it (§8.2): `tr-peer-<n>` rows with `account` = the
 * channel id first, the peer details after it, flags numbered from 2; `tr-reg-<n>`/`register` with flags 0.
 */
export function planCreateTrunk(args: ExtensionArgs, snap: Snapshot): ChangePlan {
  const n = args.account;
  const ids = trunkIds(n);
  if (snap.some((s) => s.rows.length > 0)) {
    throw new PbxlinkError('conflict', `trunk ${n} already exists`, { details: { account: n } });
  }
  if (args.name === undefined) throw required('name');
  if (args.host === undefined) throw required('host');
  const given = sipArgs(args);
  const rows: Row[] = [{ id: ids.peer, keyword: 'account', data: args.name, flags: 2 }];
  let flags = 3;
  for (const k of TRUNK_SIP_ORDER) {
    const v = given.get(k) ?? TRUNK_SIP_DEFAULTS[k];
    if (v !== undefined) rows.push({ id: ids.peer, keyword: k, data: v, flags: flags++ });
  }
  const db: DbChange[] = rows.map((row) => ({ op: 'insert', table: 'sip', row }));
  if (args.register) {
    db.push({
      op: 'insert',
      table: 'sip',
      row: { id: ids.reg, keyword: 'register', data: args.register, flags: 0 },
    });
  }
  const fields = [
    'name',
    ...rows.slice(1).map((r) => String(r.keyword)),
    ...(args.register ? ['register'] : []),
  ];
  return { kind: 'trunk', action: 'create', id: n, fields, db, astdb: [] };
}

/** Trunk update: only the given fields; `name` rewrites the `account` row, `register: ''` removes registration. */
export function planUpdateTrunk(args: ExtensionArgs, snap: Snapshot): ChangePlan {
  const n = args.account;
  const ids = trunkIds(n);
  const peer = rowsWithId(snap, ids.peer);
  if (peer.length === 0)
    throw new PbxlinkError('not_found', `no SIP trunk ${n}`, { details: { account: n } });
  const byKeyword = new Map(peer.map((r) => [String(r.keyword), r]));
  const db: DbChange[] = [];
  const fields: string[] = [];
  const set = (field: string, keyword: string, v: string) => {
    const cur = byKeyword.get(keyword);
    if (cur && String(cur.data) === v) return;
    fields.push(field);
    const maxFlags = Math.max(1, ...peer.map((r) => Number(r.flags) || 0), ...db.map(flagOf));
    db.push(
      cur
        ? { op: 'update', table: 'sip', where: { id: ids.peer, keyword }, set: { data: v } }
        : { op: 'insert', table: 'sip', row: { id: ids.peer, keyword, data: v, flags: maxFlags + 1 } },
    );
  };
  if (args.name !== undefined) set('name', 'account', args.name);
  for (const [k, v] of sipArgs(args)) set(k, k, v);
  if (args.register !== undefined) {
    const cur = rowsWithId(snap, ids.reg)[0];
    if (args.register === '' && cur) {
      db.push({ op: 'delete', table: 'sip', where: { id: ids.reg } });
      fields.push('register');
    } else if (args.register !== '' && !cur) {
      db.push({
        op: 'insert',
        table: 'sip',
        row: { id: ids.reg, keyword: 'register', data: args.register, flags: 0 },
      });
      fields.push('register');
    } else if (args.register !== '' && cur && String(cur.data) !== args.register) {
      db.push({
        op: 'update',
        table: 'sip',
        where: { id: ids.reg, keyword: 'register' },
        set: { data: args.register },
      });
      fields.push('register');
    }
  }
  return { kind: 'trunk', action: 'update', id: n, fields, db, astdb: [] };
}

function flagOf(c: DbChange): number {
  return c.op === 'insert' ? Number(c.row.flags) || 0 : 0;
}

/** Trunk delete: every `tr-peer-<n>`, `tr-user-<n>` and `tr-reg-<n>` row. */
export function planDeleteTrunk(n: string, snap: Snapshot): ChangePlan {
  if (!snap.some((s) => s.rows.length > 0)) {
    throw new PbxlinkError('not_found', `no SIP trunk ${n}`, { details: { account: n } });
  }
  const ids = trunkIds(n);
  const db: DbChange[] = [ids.peer, ids.user, ids.reg].map((id) => ({
    op: 'delete',
    table: 'sip',
    where: { id },
  }));
  return { kind: 'trunk', action: 'delete', id: n, fields: [], db, astdb: [] };
}
