import { CdrQueryArgs } from '../../../protocol/src/schemas/cdr';
import { assertArgs } from '../../../protocol/src/schemas/validate';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/log';
import { CdrQuery, type CdrQueryResult } from '../pbx/cdr/cdr-query';
import type { CdrQueryArgs as Args } from '../pbx/cdr/query-builder';
import type { FreepbxDb } from '../pbx/freepbx/db';
import type { CommandHandler } from './types';

/** What the cdr.query handler needs: the pool, where the CDR table is (§8.1 CDRDBNAME/CDRDBTABLENAME), the row cap. */
export interface CdrCommandDeps {
  db: FreepbxDb;
  cdrDb: string;
  cdrTable: string;
  /** Largest `limit` accepted (config cdr_max_rows); larger → invalid_args naming `limit`. */
  maxRows: number;
  log?: Logger;
  /** Parts that may await their PUBACK at once (default 4). */
  partWindow?: number;
  /** Measures the time spent awaiting PUBACKs (debug log of each query). */
  clock?: Clock;
}

/**
 * `cdr.query` (scope cdr:read; seed cdrreport): filters, keyset cursor, rows streamed from the database in parts
 * within ctx.maxPayloadBytes (awaiting each part is the backpressure), final data `{count, next_cursor}`.
 */
export function createCdrQueryCommand(deps: CdrCommandDeps): CommandHandler<Args> {
  const query = new CdrQuery(deps);
  return {
    name: 'cdr.query',
    scope: 'cdr:read',
    args: CdrQueryArgs,
    timeoutMs: 10 * 60_000,
    async handle(args, ctx): Promise<CdrQueryResult> {
      // The router validates too; checking here keeps the handler safe when called directly (tests, bench).
      const valid = assertArgs('cdr.query', args ?? {}) as Args;
      return await query.run(valid, ctx);
    },
  };
}
