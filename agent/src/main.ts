/**
 * The `pbxlink` command line: `run`, `check`, `--help`, `--version`. Parses arguments, loads the
 * configuration and hands over to cli/run.ts or cli/check.ts; exit codes are in cli/exit-codes.ts.
 */
import { parseArgs } from 'node:util';
import { runCheck } from './cli/check';
import { EXIT } from './cli/exit-codes';
import { runAgent } from './cli/run';
import { VERSION } from './cli/version';
import { loadConfig } from './config/load';
import { DEFAULT_CONFIG_FILE } from './config/schema';

const HELP = `pbxlink ${VERSION} — on-box agent linking an Asterisk/FreePBX PBX to an MQTT broker

Usage:
  pbxlink run   [--config FILE]   run the agent until SIGINT/SIGTERM (SIGHUP reopens the log file)
  pbxlink check [--config FILE]   print the effective configuration (credentials masked) and where each
                                  value came from, then test AMI, MySQL and the broker
  pbxlink --help | --version

Options:
  -c, --config FILE   YAML config file (default ${DEFAULT_CONFIG_FILE}; a missing default file is fine,
                      a missing FILE given here is an error)
  -h, --help          this help
  -v, --version       print the version

Environment variables (PBXLINK_BROKER_URL, PBXLINK_AMI_URL, PBXLINK_DB_URL, …) override the file;
what is still unset is discovered from /etc/amportal.conf, /etc/freepbx.conf, /etc/elastix.conf and
/etc/asterisk/manager.conf. See docs/configuration.md.

Exit codes: 0 ok · 1 runtime failure or a failed check · 2 usage · 3 another instance holds the
state-dir lock · 78 invalid configuration (every problem printed, one per line)`;

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const err = (l: string) => process.stderr.write(`${l}\n`);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    err(`pbxlink: ${(e as Error).message}`);
    err('Try `pbxlink --help`.');
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(HELP);
    return EXIT.ok;
  }
  if (values.version) {
    out(VERSION);
    return EXIT.ok;
  }
  const [cmd, ...rest] = positionals;
  if (cmd === undefined || rest.length > 0 || (cmd !== 'run' && cmd !== 'check')) {
    err(
      cmd === undefined
        ? 'pbxlink: missing command (run or check)'
        : `pbxlink: unknown command or extra argument: ${rest[0] ?? cmd}`,
    );
    err('Try `pbxlink --help`.');
    return EXIT.usage;
  }
  const loaded = loadConfig({ ...(values.config !== undefined ? { configFile: values.config } : {}), env });
  if (cmd === 'check') return await runCheck(loaded, out);
  return await runAgent(loaded, VERSION, err);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}

// Flush stdout before exiting: process.exit() would cut a piped output short.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 50).unref();
  },
  (e: unknown) => {
    process.stderr.write(`pbxlink: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(EXIT.failure);
  },
);
