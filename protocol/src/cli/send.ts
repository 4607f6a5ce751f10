import { CommandFailedError, isReplyTimeout } from '../client/replies';
import { ERROR_CODE_TEXT, type ErrorCode } from '../errors';
import { isValidAgentId } from '../topics';
import { parseCommandArgs } from './args';
import { CliError, EXIT } from './io';
import {
  BROKER_FLAGS,
  BROKER_FLAGS_HELP,
  brokerOptions,
  connectClient,
  SIGNING_FLAGS,
  SIGNING_FLAGS_HELP,
  signingOptions,
  toCliError,
} from './options';
import type { Subcommand } from './subcommand';

const CMD = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;

/** `pbxctl send AGENT CMD [--arg k=v ...] [--json ARGS]`: sign, publish, print the replies as they come. */
export const send: Subcommand = {
  name: 'send',
  summary: 'sign a command, send it to an agent and print its replies',
  help: `Usage: pbxctl send AGENT CMD [--arg KEY=VALUE ...] [--json ARGS] [options]

Signs CMD for AGENT with your private key, publishes it to P/AGENT/cmd and prints the
replies as they arrive: a single result as indented JSON; a long result one line per part
("part N <json>") and a last line "done <json>". With --raw, every reply as received,
one JSON object per line.

Arguments:
  --arg KEY=VALUE     a string argument (repeatable)
  --arg KEY:=JSON     a JSON argument: number, true/false, null, array, object
  --json ARGS         all arguments as one JSON object (--arg items override it)
  --ttl SECS          command lifetime (exp - iat), 1..300, default 60
  --raw               print each reply as received (JSON lines)

${SIGNING_FLAGS_HELP}

${BROKER_FLAGS_HELP}

Exit status: 0 ok, 1 the agent replied with an error (code and message on stderr),
2 bad usage, 3 no reply within the timeout, 4 broker unreachable.

Example:
  pbxctl send pbx-01 cdr.query --arg start_date="2024-01-01 00:00:00" --arg limit:=100`,
  options: {
    ...BROKER_FLAGS,
    ...SIGNING_FLAGS,
    arg: { type: 'string', short: 'a', multiple: true },
    json: { type: 'string' },
    ttl: { type: 'string' },
    raw: { type: 'boolean' },
  },
  async run(v, positionals, io) {
    const [agent, cmd, ...extra] = positionals;
    if (agent === undefined || cmd === undefined)
      throw new CliError('usage: pbxctl send AGENT CMD [--arg k=v ...] (see --help)');
    if (extra.length > 0)
      throw new CliError(`unexpected argument ${JSON.stringify(extra[0])}; arguments go in --arg k=v`);
    if (!isValidAgentId(agent))
      throw new CliError(`invalid agent id ${JSON.stringify(agent)}: expected [A-Za-z0-9_-]{1,64}`);
    if (!CMD.test(cmd) || cmd.length > 64) throw new CliError(`invalid command name ${JSON.stringify(cmd)}`);
    const args = parseCommandArgs((v.arg as string[] | undefined) ?? [], v.json as string | undefined);
    const ttl = v.ttl === undefined ? 60 : Number(v.ttl);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 300)
      throw new CliError(`invalid --ttl ${JSON.stringify(v.ttl)}: 1..300`);
    const broker = brokerOptions(v, io.env);
    const signing = await signingOptions(v, io.env);

    const client = await connectClient(broker);
    try {
      const replies = await client.sendCommand(agent, cmd, args, { ...signing, lifetimeS: ttl, now: io.now });
      for await (const r of replies) {
        if (v.raw === true) io.out(`${JSON.stringify(r)}\n`);
        else if ('part' in r) io.out(`part ${r.part} ${JSON.stringify(r.data)}\n`);
        else if ('done' in r) io.out(`done ${JSON.stringify(r.data)}\n`);
        else io.out(`${JSON.stringify(r.data, null, 2)}\n`);
      }
      return EXIT.ok;
    } catch (e) {
      if (isReplyTimeout(e)) throw new CliError(e.message, EXIT.timeout);
      if (e instanceof CommandFailedError) {
        // An error reply from the agent: its code, its message, and what the code means.
        const code = e.code;
        const hint = ERROR_CODE_TEXT[code as ErrorCode];
        io.err(`error ${code}: ${e.message}\n`);
        if (e.details !== undefined) io.err(`details: ${JSON.stringify(e.details)}\n`);
        if (hint) io.err(`(${code}: ${hint})\n`);
        return EXIT.errorReply;
      }
      throw toCliError(e);
    } finally {
      await client.close().catch(() => {});
    }
  },
};
