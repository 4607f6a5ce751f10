import type { Static } from '@sinclair/typebox';
import { NoArgs } from '../../../protocol/src/schemas/common';
import {
  ExtensionsCreateArgs,
  ExtensionsDeleteArgs,
  ExtensionsGetArgs,
  ExtensionsUpdateArgs,
} from '../../../protocol/src/schemas/extensions';
import { PbxlinkError } from '../core/errors';
import type { Logger } from '../core/log';
import type { ChangePlan, ExtensionArgs } from '../pbx/freepbx/change-plan';
import { canSeeSecrets, checkSchema, PartWriter, planForReply } from '../pbx/freepbx/command-helpers';
import type { ConfigChanger } from '../pbx/freepbx/config-changer';
import type { DbTx, FreepbxDb } from '../pbx/freepbx/db';
import {
  extensionScopes,
  planCreateExtension,
  planDeleteExtension,
  planUpdateExtension,
} from '../pbx/freepbx/extension-plan';
import { type FieldProblem, sipFieldProblems, throwProblems } from '../pbx/freepbx/field-checks';
import { withAutoFollowme } from '../pbx/freepbx/followme-plan';
import type { Snapshot } from '../pbx/freepbx/sql-changes';
import {
  type ExtensionData,
  getExtension,
  listEntry,
  listSql,
  sectionOwners,
} from '../pbx/freepbx/sql-extensions';
import { readFollowmeSettings } from '../pbx/freepbx/sql-followme';
import {
  planCreateTrunk,
  planDeleteTrunk,
  planUpdateTrunk,
  trunkIds,
  trunkScopes,
} from '../pbx/freepbx/trunk-plan';
import type { CommandContext, CommandHandler } from './types';

/** What the extensions.* handlers need. */
export interface ExtensionCommandDeps {
  db: FreepbxDb;
  /** The FreePBX config database (PBXLINK_CONFIG_DB, `asterisk`). */
  configDb: string;
  changer: ConfigChanger;
  log?: Logger;
}

/** The args schemas are the protocol's (kind and register for trunks included). */
const CreateArgs = ExtensionsCreateArgs;
const UpdateArgs = ExtensionsUpdateArgs;
const DeleteArgs = ExtensionsDeleteArgs;
const GetArgs = ExtensionsGetArgs;

/** Fields that exist only on an extension's users row (a trunk has none). */
const USER_ONLY = ['voicemail', 'outboundcid', 'ringtimer'] as const;

function semanticChecks(command: string, args: ExtensionArgs): void {
  const kind = args.kind ?? 'extension';
  const problems: FieldProblem[] = sipFieldProblems(args, kind);
  if (kind === 'trunk') {
    for (const f of USER_ONLY)
      if (args[f] !== undefined) problems.push({ path: `/${f}`, message: 'not a trunk field' });
  } else if (args.register !== undefined) {
    problems.push({ path: '/register', message: "only for kind 'trunk'" });
  }
  throwProblems(command, problems);
}

/** The write result (protocol ExtensionsWriteResult), plus `plan` (rows and AstDB keys) on dry_run. */
function writeResult(
  account: string,
  plan: ChangePlan,
  outcome: Parameters<typeof planForReply>[0],
  dry: boolean,
  ctx: CommandContext,
) {
  return {
    account,
    action: plan.action,
    dry_run: dry,
    fields: plan.fields,
    applied: outcome.applied,
    ...(dry ? { plan: planForReply(outcome, canSeeSecrets(ctx)) } : {}),
  };
}

/**
 * extensions.list/get/create/update/delete on the FreePBX tables (§8.2, §9) — SIP extensions, and SIP trunks
 * with `kind: 'trunk'`. Reads mask secrets without `secrets:read`; writes go through the ConfigChanger.
 */
export function createExtensionCommands(deps: ExtensionCommandDeps): CommandHandler[] {
  const { db, configDb, changer } = deps;

  const clash = async (tx: DbTx, name: string, own: string[]) => {
    const owners = await sectionOwners(tx, configDb, name, own);
    if (owners.length > 0) {
      throw new PbxlinkError('conflict', `a SIP peer named ${name} already exists (${owners.join(', ')})`, {
        details: { name },
      });
    }
  };

  const write = (
    action: 'create' | 'update' | 'delete',
    schema: typeof CreateArgs | typeof DeleteArgs,
  ): CommandHandler => ({
    name: `extensions.${action}`,
    scope: 'extensions:write',
    args: schema,
    timeoutMs: 5 * 60_000,
    async handle(raw: unknown, ctx: CommandContext) {
      const command = `extensions.${action}`;
      const args = checkSchema<ExtensionArgs>(command, schema, raw);
      semanticChecks(command, args);
      const trunk = args.kind === 'trunk';
      const a = args.account;
      const ids = trunkIds(a);
      const build = async (snap: Snapshot, tx: DbTx): Promise<ChangePlan> => {
        if (action === 'delete') return trunk ? planDeleteTrunk(a, snap) : planDeleteExtension(a, snap);
        const plan = trunk
          ? action === 'create'
            ? planCreateTrunk(args, snap)
            : planUpdateTrunk(args, snap)
          : action === 'create'
            ? planCreateExtension(args, snap)
            : planUpdateExtension(args, snap);
        // A sip.conf section name must stay unique: an extension's is its number, a trunk's its `account` (name).
        if (trunk && args.name !== undefined) await clash(tx, args.name, [ids.peer, ids.user]);
        if (!trunk && action === 'create') {
          await clash(tx, a, [a]);
          return withAutoFollowme(plan, snap, await readFollowmeSettings(tx, configDb));
        }
        return plan;
      };
      const outcome = await changer.run({
        lockKey: `${trunk ? 'trunk' : 'ext'}:${a}`,
        scopes: trunk ? trunkScopes(a) : extensionScopes(a),
        dryRun: args.dry_run === true,
        by: ctx.caller.kid,
        build,
      });
      return writeResult(a, outcome.plan, outcome, args.dry_run === true, ctx);
    },
  });

  const get: CommandHandler = {
    name: 'extensions.get',
    scope: 'read',
    args: GetArgs,
    async handle(raw: unknown, ctx: CommandContext): Promise<ExtensionData> {
      const args = checkSchema<Static<typeof GetArgs>>('extensions.get', GetArgs, raw);
      return getExtension(db, configDb, args.account, args.kind ?? 'extension', canSeeSecrets(ctx));
    },
  };

  const list: CommandHandler = {
    name: 'extensions.list',
    scope: 'read',
    args: NoArgs,
    timeoutMs: 5 * 60_000,
    async handle(raw: unknown, ctx: CommandContext) {
      checkSchema('extensions.list', NoArgs, raw);
      const show = canSeeSecrets(ctx);
      const out = new PartWriter<Record<string, unknown>>(ctx, 'extensions');
      type R = {
        id: string;
        keyword: string;
        data: string;
        tech: string | null;
        dial: string | null;
        description: string | null;
        user_name: string | null;
      };
      let cur: { first: R; sip: Record<string, string> } | undefined;
      const emit = async () => {
        if (!cur) return;
        const f = cur.first;
        const device =
          f.tech === null ? undefined : { tech: f.tech, dial: f.dial, description: f.description };
        await out.add(listEntry(f.id, cur.sip, device, f.user_name, show));
      };
      for await (const row of db.stream(listSql(configDb), [], { signal: ctx.signal })) {
        const r = row as R;
        if (cur?.first.id !== r.id) {
          await emit();
          cur = { first: r, sip: {} };
        }
        if (!(r.keyword in cur.sip)) cur.sip[r.keyword] = r.data;
      }
      await emit();
      await out.flush();
      return { count: out.count };
    },
  };

  return [list, get, write('create', CreateArgs), write('update', UpdateArgs), write('delete', DeleteArgs)];
}
