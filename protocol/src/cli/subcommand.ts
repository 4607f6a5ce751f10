import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError, type CliIo } from './io';

/** Parsed flags of one subcommand. */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One pbxctl subcommand, in its own file; register it in commands.ts. */
export interface Subcommand {
  /** The word after `pbxctl` (may hold a space for a group, e.g. `recording get`). */
  name: string;
  /** One line for `pbxctl --help`. */
  summary: string;
  /** Full text for `pbxctl NAME --help`. */
  help: string;
  /** Flags (node:util parseArgs); `--help` is added for every subcommand. */
  options: NonNullable<ParseArgsConfig['options']>;
  /** Runs with parsed flags and positionals; resolves to the exit code. */
  run(values: FlagValues, positionals: string[], io: CliIo): Promise<number>;
}

/** Parses `argv` for `sub` strictly; unknown flags or missing values become a one-line CliError. */
export function parseFor(sub: Subcommand, argv: string[]): { values: FlagValues; positionals: string[] } {
  try {
    const r = parseArgs({
      args: argv,
      options: { ...sub.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: r.values as FlagValues, positionals: r.positionals };
  } catch (e) {
    // node:util adds advice about positionals starting with '-', which only confuses here.
    const msg = ((e as Error).message.split('\n')[0] ?? 'bad arguments').replace(
      /\. To specify a positional.*$/,
      '',
    );
    throw new CliError(`${msg.replace(/\.$/, '')} (see pbxctl ${sub.name} --help)`);
  }
}
