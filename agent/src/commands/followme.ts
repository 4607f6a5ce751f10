import { NoArgs } from '../../../protocol/src/schemas/common';
import {
  FollowmeCreateArgs,
  FollowmeDeleteArgs,
  FollowmeGetArgs,
  FollowmeUpdateArgs,
} from '../../../protocol/src/schemas/followme';
import { PbxlinkError } from '../core/errors';
import type { Logger } from '../core/log';
import type { AmiActions } from '../pbx/ami/actions';
import type { ChangePlan } from '../pbx/freepbx/change-plan';
import { checkSchema, PartWriter, planForReply } from '../pbx/freepbx/command-helpers';
import type { ConfigChanger } from '../pbx/freepbx/config-changer';
import type { DbTx, FreepbxDb } from '../pbx/freepbx/db';
import {
  type FollowmeArgs,
  followmeScopes,
  planCreateFollowme,
  planDeleteFollowme,
  planUpdateFollowme,
} from '../pbx/freepbx/followme-plan';
import type { Row, Snapshot } from '../pbx/freepbx/sql-changes';
import {
  type FollowmeData,
  followmeFromRow,
  followmeListSql,
  mergeAstDb,
  overlayAstDb,
  readFollowmeRow,
  readFollowmeSettings,
} from '../pbx/freepbx/sql-followme';
import type { CommandContext, CommandHandler } from './types';

/** What the followme.* handlers need. */
export interface FollowmeCommandDeps {
  db: FreepbxDb;
  configDb: string;
  changer: ConfigChanger;
  /** AstDB reads for followme.get (§10.3: AstDB wins over the row). */
  actions: AmiActions;
  log?: Logger;
}

/**
 * followme.get/list/create/update/delete on `findmefollow` plus the AMPUSER/<grpnum>/followme/* keys (§10).
 * Writes share the extension's mutex key, so a follow-me change never overlaps a change of its extension.
 */
export function createFollowmeCommands(deps: FollowmeCommandDeps): CommandHandler[] {
  const { db, configDb, changer } = deps;

  const write = (
    action: 'create' | 'update' | 'delete',
    schema: typeof FollowmeCreateArgs | typeof FollowmeDeleteArgs,
  ): CommandHandler => ({
    name: `followme.${action}`,
    scope: 'followme:write',
    args: schema,
    timeoutMs: 5 * 60_000,
    async handle(raw: unknown, ctx: CommandContext) {
      const args = checkSchema<FollowmeArgs>(`followme.${action}`, schema, raw);
      const g = args.grpnum;
      const build = async (snap: Snapshot, tx: DbTx): Promise<ChangePlan> => {
        if (action === 'delete') return planDeleteFollowme(g, snap);
        if (action === 'update') return planUpdateFollowme(args, snap);
        return planCreateFollowme(args, snap, await readFollowmeSettings(tx, configDb));
      };
      const dry = args.dry_run === true;
      const outcome = await changer.run({
        lockKey: `ext:${g}`,
        scopes: followmeScopes(g),
        dryRun: dry,
        by: ctx.caller.kid,
        build,
      });
      return {
        grpnum: g,
        action,
        dry_run: dry,
        fields: outcome.plan.fields,
        applied: outcome.applied,
        ...(dry ? { plan: planForReply(outcome, true) } : {}),
      };
    },
  });

  const get: CommandHandler = {
    name: 'followme.get',
    scope: 'read',
    args: FollowmeGetArgs,
    async handle(raw: unknown): Promise<FollowmeData> {
      const { grpnum } = checkSchema<{ grpnum: string }>('followme.get', FollowmeGetArgs, raw);
      const row = await readFollowmeRow(db, configDb, grpnum);
      if (!row) throw new PbxlinkError('not_found', `no follow-me ${grpnum}`, { details: { grpnum } });
      return mergeAstDb(followmeFromRow(row), deps.actions, deps.log);
    },
  };

  const list: CommandHandler = {
    name: 'followme.list',
    scope: 'read',
    args: NoArgs,
    timeoutMs: 5 * 60_000,
    async handle(raw: unknown, ctx: CommandContext) {
      checkSchema('followme.list', NoArgs, raw);
      // One streamed query; each row overlaid with its AstDB keys (§10.3) while AMI answers. After the first
      // AMI failure the rest go as stored (ddial null) rather than waiting out a timeout per row.
      const out = new PartWriter<FollowmeData>(ctx, 'followme');
      let astdb = true;
      for await (const row of db.stream(followmeListSql(configDb), [], { signal: ctx.signal })) {
        const data = followmeFromRow(row as Row);
        if (astdb) {
          try {
            await out.add(await overlayAstDb(data, deps.actions));
            continue;
          } catch (err) {
            astdb = false;
            deps.log?.warn({ err }, 'follow-me AstDB keys unreadable; listing the table rows');
          }
        }
        await out.add({ ...data, ddial: null });
      }
      await out.flush();
      return { count: out.count };
    },
  };

  return [
    list,
    get,
    write('create', FollowmeCreateArgs),
    write('update', FollowmeUpdateArgs),
    write('delete', FollowmeDeleteArgs),
  ];
}
