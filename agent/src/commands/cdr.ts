import { CdrQueryArgs } from '../../../protocol/src/schemas/cdr';
import { assertArgs } from '../../../protocol/src/schemas/validate';
import { CdrQuery, type CdrQueryDeps, type CdrQueryResult } from '../pbx/cdr/cdr-query';
import type { CdrQueryArgs as Args } from '../pbx/cdr/query-builder';
import type { CdrWorker } from '../pbx/cdr/worker-client';
import type { CommandHandler } from './types';

/** What the cdr.query handler needs: the query's own dependencies (pool, CDR table location §8.1, row cap), and
 * the worker process that runs the pages (the agent's way; without it they run in this process). */
export type CdrCommandDeps = CdrQueryDeps & { worker?: CdrWorker };

/**
 * `cdr.query` (scope cdr:read; seed cdrreport): filters, keyset cursor, rows streamed from the database in parts
 * within ctx.maxPayloadBytes (awaiting each part is the backpressure), final data `{count, next_cursor}`.
 */
export function createCdrQueryCommand(deps: CdrCommandDeps): CommandHandler<Args> {
  const query = new CdrQuery(deps); // checks the table names now, worker or not
  return {
    name: 'cdr.query',
    scope: 'cdr:read',
    args: CdrQueryArgs,
    timeoutMs: 10 * 60_000,
    async handle(args, ctx): Promise<CdrQueryResult> {
      // The router validates too; checking here keeps the handler safe when called directly (tests, bench).
      const valid = assertArgs('cdr.query', args ?? {}) as Args;
      return await (deps.worker ? deps.worker.run(valid, ctx) : query.run(valid, ctx));
    },
  };
}
