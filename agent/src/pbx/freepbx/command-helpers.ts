import type { TSchema } from '@sinclair/typebox';
import { validate } from '../../../../protocol/src/schemas/validate';
import type { CommandContext } from '../../commands/types';
import { PbxlinkError } from '../../core/errors';
import type { AstDbOp } from './astdb';
import type { ChangeOutcome } from './config-changer';
import type { DbChange } from './sql-changes';
import { MASK, maskRegister } from './sql-extensions';

/** True when the caller's key may see secret values (`secrets:read`, or `admin` which implies all). */
export function canSeeSecrets(ctx: CommandContext): boolean {
  return ctx.caller.scopes.includes('secrets:read') || ctx.caller.scopes.includes('admin');
}

/** Validates args against `schema` (the router does too; this keeps direct calls safe); invalid_args names each field. */
export function checkSchema<T>(command: string, schema: TSchema, args: unknown): T {
  const r = validate(schema, args ?? {});
  if (r.ok) return r.value as T;
  const text = r.problems.map((p) => `${p.path === '' ? 'args' : p.path.slice(1)}: ${p.message}`).join('; ');
  throw new PbxlinkError('invalid_args', `invalid arguments for ${command}: ${text}`, {
    details: { problems: r.problems },
  });
}

function maskRow(row: Record<string, unknown>, keyword: unknown): Record<string, unknown> {
  if (!('data' in row) || typeof row.data !== 'string') return row;
  if ((keyword === 'secret' || keyword === 'md5secret') && row.data !== '') return { ...row, data: MASK };
  if (keyword === 'register') return { ...row, data: maskRegister(row.data) };
  return row;
}

/** A plan's rows and keys for a dry_run reply, secrets masked unless the caller may see them. */
export function planForReply(
  outcome: ChangeOutcome,
  showSecrets: boolean,
): { rows: DbChange[]; astdb: AstDbOp[] } {
  const { db, astdb } = outcome.plan;
  if (showSecrets) return { rows: db, astdb };
  const rows = db.map((c): DbChange => {
    if (c.table !== 'sip') return c;
    if (c.op === 'insert') return { ...c, row: maskRow(c.row, c.row.keyword) as typeof c.row };
    if (c.op === 'update') return { ...c, set: maskRow(c.set, c.where.keyword) as typeof c.set };
    return c;
  });
  return { rows, astdb };
}

/**
 * Sends items in parts of `{[key]: items}` each within ctx.maxPayloadBytes (awaiting each part is the
 * backpressure); returns the count. Memory: one part's worth of items.
 */
export class PartWriter<T> {
  private items: T[] = [];
  private bytes = 0;
  count = 0;

  constructor(
    private readonly ctx: CommandContext,
    private readonly key: string,
  ) {}

  /** Adds one item, flushing first when it would not fit. */
  async add(item: T): Promise<void> {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    const budget = Math.max(1024, this.ctx.maxPayloadBytes - 256);
    if (this.items.length > 0 && this.bytes + size > budget) await this.flush();
    if (size > budget) throw new PbxlinkError('internal', `one ${this.key} entry exceeds the payload limit`);
    this.items.push(item);
    this.bytes += size;
    this.count++;
  }

  /** Sends what is buffered, if anything. */
  async flush(): Promise<void> {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    await this.ctx.part({ [this.key]: items });
  }
}
