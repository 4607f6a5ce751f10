import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { PbxlinkError } from '../errors';
import { type CommandSpec, findCommand } from './registry';

/** One problem with a value: JSON pointer of the offending field (`/account`, `` for the whole) and what is wrong. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** Outcome of a validation: the value, typed, or every problem found (at most MAX_PROBLEMS). */
export type Validated<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Most problems reported for one value (bounded error replies). */
export const MAX_PROBLEMS = 20;

/** A readable message: enumerations list their values, patterns add the schema's description. */
function describe(message: string, schema: TSchema): string {
  if (message === 'Unexpected property') return 'unknown argument';
  const anyOf = (schema as { anyOf?: Array<{ const?: unknown }> }).anyOf;
  if (anyOf?.every((s) => s.const !== undefined))
    return `expected one of ${anyOf.map((s) => JSON.stringify(s.const)).join(', ')}`;
  const description = (schema as { description?: string }).description;
  return description ? `${message} (${description})` : message;
}

/** Checks `value` against `schema` and lists the problems (TypeBox Value.Errors); never throws. */
export function validate<T extends TSchema>(schema: T, value: unknown): Validated<Static<T>> {
  if (Value.Check(schema, value)) return { ok: true, value: value as Static<T> };
  const problems: Problem[] = [];
  for (const e of Value.Errors(schema, value)) {
    const message = describe(e.message, e.schema);
    if (!problems.some((p) => p.path === e.path && p.message === message))
      problems.push({ path: e.path, message });
    if (problems.length >= MAX_PROBLEMS) break;
  }
  if (problems.length === 0) problems.push({ path: '', message: 'invalid value' });
  return { ok: false, problems };
}

/** Cross-field rules a JSON Schema cannot say clearly, per command. */
function refine(command: string, args: Record<string, unknown>): Problem[] {
  const out: Problem[] = [];
  if (command === 'recordings.get') {
    const has = (k: string) => args[k] !== undefined;
    if (has('name') === has('uniqueid'))
      out.push({ path: '', message: 'give exactly one of name or uniqueid' });
    const name = args.name;
    if (
      typeof name === 'string' &&
      // A leading '/' is the seed's form, relative to the root (§12.2); the agent confines it.
      name
        .replace(/^\//, '')
        .split('/')
        .some((seg) => seg === '..' || seg === '.' || seg === '')
    ) {
      out.push({ path: '/name', message: 'must stay under the monitor root (no empty, . or .. segments)' });
    }
  }
  if (command === 'cdr.query') {
    if (args.field_pattern !== undefined && args.field_name === undefined) {
      out.push({ path: '/field_pattern', message: 'field_pattern needs field_name' });
    }
    const { start_date: s, end_date: e } = args;
    if (typeof s === 'string' && typeof e === 'string' && s > e)
      out.push({ path: '/end_date', message: 'end_date is before start_date' });
  }
  return out;
}

/** Validates a command's args against its registry schema (absent args = `{}`); throws PbxlinkError(unknown_command) for an unknown command. */
export function validateArgs(command: string, args: unknown): Validated<Record<string, unknown>> {
  const spec = findCommand(command);
  if (!spec) throw new PbxlinkError('unknown_command', `unknown command ${JSON.stringify(command)}`);
  const checked = validate(spec.args, args ?? {});
  if (!checked.ok) return checked;
  const value = checked.value as Record<string, unknown>;
  const problems = refine(command, value);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

/** Like validateArgs, but throws PbxlinkError(invalid_args) whose message names the arguments and whose details are `{problems}`. */
export function assertArgs(command: string, args: unknown): Record<string, unknown> {
  const r = validateArgs(command, args);
  if (r.ok) return r.value;
  const text = r.problems.map((p) => `${p.path === '' ? 'args' : p.path.slice(1)}: ${p.message}`).join('; ');
  throw new PbxlinkError('invalid_args', `invalid arguments for ${command}: ${text}`, {
    details: { problems: r.problems },
  });
}

/**
 * The router's checks after signature verification, in DESIGN.md order: unknown command → unknown_command,
 * outside the key's scopes (`admin` grants all) → forbidden, bad args → invalid_args (details: {problems}).
 */
export function checkCommand(
  command: string,
  scopes: readonly string[],
  args: unknown,
): { spec: CommandSpec; args: Record<string, unknown> } {
  const spec = findCommand(command);
  if (!spec) throw new PbxlinkError('unknown_command', `unknown command ${JSON.stringify(command)}`);
  if (!scopes.includes('admin') && !scopes.includes(spec.scope)) {
    throw new PbxlinkError('forbidden', `${command} needs scope ${spec.scope}`, {
      details: { scope: spec.scope },
    });
  }
  return { spec, args: assertArgs(command, args) };
}
