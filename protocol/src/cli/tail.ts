import { TAIL_WHATS, type TailWhat } from '../client/tail';
import { isValidAgentId } from '../topics';
import { formatTailJson, formatTailLine } from './format';
import { CliError, EXIT } from './io';
import { BROKER_FLAGS, BROKER_FLAGS_HELP, brokerOptions, connectClient, toCliError } from './options';
import type { Subcommand } from './subcommand';

/** `pbxctl tail AGENT [status|state|events|all]`: print what an agent (or `+`, every agent) publishes. */
export const tailCommand: Subcommand = {
  name: 'tail',
  summary: 'print what an agent publishes: status, state snapshots, events',
  help: `Usage: pbxctl tail AGENT [status|state|events|all] [--json] [--count N] [options]

Subscribes to P/AGENT/... and prints one line per message until interrupted: time, agent,
topic kind (status, state/NAME, events/TYPE), seq, and a short summary of the data.
Retained messages (the last status and snapshots) come first, marked "(retained)".
AGENT may be + for every agent. Default: all (everything under P/AGENT/).

Options:
      --json          one JSON object per line: {"topic","kind","agent","retained","bytes","payload"}
  -n, --count N       exit after N messages

${BROKER_FLAGS_HELP}`,
  options: {
    ...BROKER_FLAGS,
    json: { type: 'boolean' },
    count: { type: 'string', short: 'n' },
  },
  async run(v, positionals, io) {
    const [agent, whatArg, ...extra] = positionals;
    if (agent === undefined)
      throw new CliError('usage: pbxctl tail AGENT [status|state|events|all] (see --help)');
    if (extra.length > 0) throw new CliError(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (agent !== '+' && !isValidAgentId(agent)) {
      throw new CliError(`invalid agent id ${JSON.stringify(agent)}: expected [A-Za-z0-9_-]{1,64} or +`);
    }
    const what = (whatArg ?? 'all') as TailWhat;
    if (!TAIL_WHATS.includes(what)) {
      throw new CliError(`cannot tail ${JSON.stringify(whatArg)}: expected one of ${TAIL_WHATS.join(', ')}`);
    }
    const count = v.count === undefined ? Number.POSITIVE_INFINITY : Number(v.count);
    if (!(count === Number.POSITIVE_INFINITY || (Number.isInteger(count) && count > 0))) {
      throw new CliError(`invalid --count ${JSON.stringify(v.count)}: a positive integer`);
    }
    const broker = brokerOptions(v, io.env);
    const client = await connectClient(broker);
    try {
      const sub = await client.tail(agent, what);
      io.err(`following ${sub.filters.join(', ')} on ${broker.url.replace(/\/\/[^@/]*@/, '//')}\n`);
      let interrupted = false;
      void io.interrupted.then(() => {
        interrupted = true;
        return sub.close();
      });
      let seen = 0;
      for await (const m of sub) {
        io.out(`${v.json === true ? formatTailJson(m) : formatTailLine(m, io.now())}\n`);
        if (++seen >= count) break;
      }
      // The subscription also ends when the connection drops (no reconnect in the CLI).
      if (!interrupted && seen < count)
        throw new CliError('lost the connection to the broker', EXIT.unavailable);
      return EXIT.ok;
    } catch (e) {
      throw toCliError(e);
    } finally {
      await client.close().catch(() => {});
    }
  },
};
