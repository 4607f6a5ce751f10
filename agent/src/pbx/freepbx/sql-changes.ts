import { PbxlinkError } from '../../core/errors';
import type { DbTx, FreepbxDb, SqlParam } from './db';
import { qualified } from './sql-names';

/** One row as read from / written to a FreePBX table (column → value). */
export type Row = Record<string, string | number | null>;

/** One row change, exactly as it will be written (dry_run returns these). */
export type DbChange =
  | { op: 'insert'; table: string; row: Row }
  | { op: 'update'; table: string; where: Row; set: Row }
  | { op: 'delete'; table: string; where: Row };

/** The rows one change may touch: `table` rows whose `column` equals `value` (e.g. sip.id = '100'). */
export interface Scope {
  table: string;
  column: string;
  value: string;
}

/** Rows of each scope before a change, to restore them when a later step fails. */
export type Snapshot = Array<{ scope: Scope; rows: Row[] }>;

function col(name: string): string {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new PbxlinkError('internal', `invalid column ${name}`);
  return `\`${name}\``;
}

function whereSql(where: Row): { sql: string; params: SqlParam[] } {
  const keys = Object.keys(where);
  if (keys.length === 0) throw new PbxlinkError('internal', 'refusing a write without a WHERE clause');
  return { sql: keys.map((k) => `${col(k)} = ?`).join(' AND '), params: keys.map((k) => where[k] ?? null) };
}

/** Reads every scope's rows, locking them (`FOR UPDATE`; InnoDB row locks, a no-op on MyISAM tables). */
export async function lockAndSnapshot(tx: DbTx, db: string, scopes: readonly Scope[]): Promise<Snapshot> {
  const out: Snapshot = [];
  for (const scope of scopes) {
    const rows = await tx.query<Row>(
      `SELECT * FROM ${qualified(db, scope.table)} WHERE ${col(scope.column)} = ? FOR UPDATE`,
      [scope.value],
    );
    out.push({ scope, rows: rows.map((r) => ({ ...r })) });
  }
  return out;
}

/** Runs the changes in order, each a parameterized statement. */
export async function runChanges(tx: DbTx, db: string, changes: readonly DbChange[]): Promise<void> {
  for (const c of changes) {
    const t = qualified(db, c.table);
    if (c.op === 'insert') {
      const keys = Object.keys(c.row);
      await tx.query(
        `INSERT INTO ${t} (${keys.map(col).join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`,
        keys.map((k) => c.row[k] ?? null),
      );
    } else if (c.op === 'update') {
      const keys = Object.keys(c.set);
      const w = whereSql(c.where);
      await tx.query(`UPDATE ${t} SET ${keys.map((k) => `${col(k)} = ?`).join(', ')} WHERE ${w.sql}`, [
        ...keys.map((k) => c.set[k] ?? null),
        ...w.params,
      ]);
    } else {
      const w = whereSql(c.where);
      await tx.query(`DELETE FROM ${t} WHERE ${w.sql}`, w.params);
    }
  }
}

/**
 * Puts every scope back exactly as snapshotted (delete, then re-insert the old rows) in one transaction. This
 * is what makes a failed change undo itself on FreePBX 2.11's MyISAM tables too, where ROLLBACK does nothing.
 */
export async function restoreSnapshot(pool: FreepbxDb, db: string, snap: Snapshot): Promise<void> {
  await pool.transaction(async (tx) => {
    const changes: DbChange[] = [];
    for (const { scope, rows } of snap) {
      changes.push({ op: 'delete', table: scope.table, where: { [scope.column]: scope.value } });
      for (const row of rows) changes.push({ op: 'insert', table: scope.table, row });
    }
    await runChanges(tx, db, changes);
  });
}

/** The snapshot rows of one table. */
export function rowsOf(snap: Snapshot, table: string): Row[] {
  return snap.filter((s) => s.scope.table === table).flatMap((s) => s.rows);
}
