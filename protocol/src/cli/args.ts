import { CliError } from './io';

/** Longest `--json` text accepted (characters); commands are small. */
export const MAX_ARGS_JSON = 64 * 1024;

const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Builds a command's args from `--json TEXT` (an object) and `--arg` items, which override it:
 * `k=v` sets string v; `k:=v` sets v parsed as JSON (numbers, booleans, null, arrays, objects), as in httpie.
 */
export function parseCommandArgs(
  items: readonly string[],
  json: string | undefined,
): Record<string, unknown> {
  let args: Record<string, unknown> = {};
  if (json !== undefined) {
    if (json.length > MAX_ARGS_JSON) throw new CliError(`--json is longer than ${MAX_ARGS_JSON} characters`);
    let v: unknown;
    try {
      v = JSON.parse(json);
    } catch (e) {
      throw new CliError(`--json is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new CliError('--json must be a JSON object');
    args = { ...(v as Record<string, unknown>) };
  }
  for (const item of items) {
    const m = /^([^=:]*)(:?=)([\s\S]*)$/.exec(item);
    if (!m || !KEY.test(m[1]!)) {
      throw new CliError(`bad --arg ${JSON.stringify(item)}: expected key=value (string) or key:=json`);
    }
    const [, key, op, raw] = m as unknown as [string, string, string, string];
    if (op === '=') {
      args[key] = raw;
      continue;
    }
    try {
      args[key] = JSON.parse(raw);
    } catch {
      throw new CliError(`bad --arg ${JSON.stringify(item)}: the value after := is not valid JSON`);
    }
  }
  return args;
}
