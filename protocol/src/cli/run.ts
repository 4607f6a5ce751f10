import pkg from '../../../package.json' with { type: 'json' };
import { SUBCOMMANDS } from './commands';
import { CliError, type CliIo, EXIT } from './io';
import { parseFor, type Subcommand } from './subcommand';

/** The version pbxctl reports, from package.json (bundled into dist by esbuild). */
export const PBXCTL_VERSION: string = (pkg as { version: string }).version;

/** `pbxctl --help`. */
export function mainHelp(): string {
  const width = Math.max(...SUBCOMMANDS.map((s) => s.name.length));
  return `pbxctl: talk to pbxlink agents through an MQTT broker

Usage: pbxctl COMMAND [ARGS] [options]

Commands:
${SUBCOMMANDS.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`).join('\n')}

Run \`pbxctl COMMAND --help\` for a command's options. Broker, key and prefix also come
from PBXCTL_BROKER_URL, PBXCTL_BROKER_USERNAME, PBXCTL_BROKER_PASSWORD, PBXCTL_BROKER_CA,
PBXCTL_KEY, PBXCTL_KID and PBXCTL_TOPIC_PREFIX.
`;
}

/** Finds the subcommand named by the first one or two words of argv (`send`, `recording get`). */
function findSubcommand(argv: string[]): { sub: Subcommand; rest: string[] } | undefined {
  for (const sub of SUBCOMMANDS) {
    const words = sub.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { sub, rest: argv.slice(words.length) };
  }
  return undefined;
}

/** Runs pbxctl with `argv` (without node and script) and returns the exit code; never throws. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? io.err : io.out)(mainHelp());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    io.out(`${PBXCTL_VERSION}\n`);
    return EXIT.ok;
  }
  const found = findSubcommand(argv);
  if (!found) {
    io.err(
      `pbxctl: unknown command ${JSON.stringify(first)}; commands: ${SUBCOMMANDS.map((s) => s.name).join(', ')}\n`,
    );
    return EXIT.usage;
  }
  try {
    const { values, positionals } = parseFor(found.sub, found.rest);
    if (values.help === true) {
      io.out(`${found.sub.help}\n`);
      return EXIT.ok;
    }
    return await found.sub.run(values, positionals, io);
  } catch (e) {
    const err =
      e instanceof CliError
        ? e
        : new CliError(`internal error: ${(e as Error)?.stack ?? String(e)}`, EXIT.errorReply);
    // The timeout message is documented verbatim (README), so it goes out without a prefix.
    io.err(err.exitCode === EXIT.timeout ? `${err.message}\n` : `pbxctl ${found.sub.name}: ${err.message}\n`);
    return err.exitCode;
  }
}
