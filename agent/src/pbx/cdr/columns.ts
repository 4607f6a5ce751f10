import { PbxlinkError } from '../../core/errors';
import type { FreepbxDb } from '../freepbx/db';

/** How a table points at call recordings (reference §12): `recordingfile` on FreePBX 2.10+, `userfield` 'audio:…' before. */
export type RecordingPointer = 'recordingfile' | 'userfield';

/** The real columns of one cdr table, in table order (16 to 26+, arbitrary order: §8.1, §14.5). */
export interface CdrColumns {
  readonly names: readonly string[];
  has(name: string): boolean;
  readonly recordings: RecordingPointer;
  /** An index starts with calldate (FreePBX KEY calldate; the Elastix compat table has none, §8.1). */
  readonly calldateIndexed: boolean;
  /** That index's name (when it is a safe identifier), for FORCE INDEX. */
  readonly calldateIndex?: string;
}

/** Identifiers we ever splice into SQL (always backtick-quoted too): letters, digits, `_`, `$`. */
export const SAFE_IDENTIFIER = /^[A-Za-z0-9_$]{1,64}$/;

/** Backtick-quotes an identifier after checking it against SAFE_IDENTIFIER. */
export function quoteIdent(name: string): string {
  if (!SAFE_IDENTIFIER.test(name))
    throw new PbxlinkError('internal', `unsafe SQL identifier ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

/** Reads the table's columns with SHOW COLUMNS (names with unsafe characters are left out of every query). */
export async function loadCdrColumns(db: FreepbxDb, cdrDb: string, table: string): Promise<CdrColumns> {
  const rows = await db.query<{ Field: string }>(
    `SHOW COLUMNS FROM ${quoteIdent(cdrDb)}.${quoteIdent(table)}`,
  );
  const names = rows.map((r) => String(r.Field)).filter((n) => SAFE_IDENTIFIER.test(n));
  const set = new Set(names);
  for (const required of ['calldate', 'uniqueid', 'disposition']) {
    if (!set.has(required)) {
      throw new PbxlinkError(
        'unavailable',
        `${cdrDb}.${table} has no ${required} column: not an Asterisk cdr table`,
        {
          retryable: false,
        },
      );
    }
  }
  const idx = await db.query<{ Key_name: string; Column_name: string; Seq_in_index: number }>(
    `SHOW INDEX FROM ${quoteIdent(cdrDb)}.${quoteIdent(table)}`,
  );
  const byCalldate = idx.filter((i) => i.Column_name === 'calldate' && Number(i.Seq_in_index) === 1);
  const name = byCalldate.map((i) => String(i.Key_name)).find((n) => SAFE_IDENTIFIER.test(n));
  return {
    names,
    has: (n) => set.has(n),
    recordings: set.has('recordingfile') ? 'recordingfile' : 'userfield',
    calldateIndexed: byCalldate.length > 0,
    ...(name !== undefined ? { calldateIndex: name } : {}),
  };
}
