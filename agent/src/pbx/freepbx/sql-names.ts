import { PbxlinkError } from '../../core/errors';

/** `db`.`table` for a configured database name; names are checked, never taken from a command. */
export function qualified(db: string, table: string): string {
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(db) || !/^[A-Za-z0-9_]{1,64}$/.test(table)) {
    throw new PbxlinkError('internal', `invalid database or table name ${JSON.stringify(`${db}.${table}`)}`);
  }
  return `\`${db}\`.\`${table}\``;
}
