/** The simulated Asterisk CLI behind `Action: Command`: tokenizer, known commands, exact output texts. */
import type { SimAstDb } from './astdb';
import type { CallCounters } from './cli-render';
import {
  renderCoreShowChannels,
  renderCoreShowChannelsConcise,
  renderCoreShowChannelsVerbose,
  renderDatabaseShow,
  renderSipShowPeers,
  renderUptime,
} from './cli-render';
import type { PeerSpec, SimChannel } from './model';
import type { DialectProfile } from './profiles';
import type { ReloadVia } from './system-events';

/** What the CLI reads. */
export interface CliContext {
  profile: DialectProfile;
  peers: readonly PeerSpec[];
  channels: readonly SimChannel[];
  astdb: SimAstDb;
  counters: CallCounters;
  now: number;
  startedAt: number;
  reloadedAt: number;
  /** Called by `module reload` / `moh reload` / `sip reload`. */
  onReload?: (module: string, via: ReloadVia) => void;
}

/** Result of one CLI command: its text, and whether the handler failed (14+ then answers Error, §2.2). */
export interface CliResult {
  text: string;
  ok: boolean;
}

/**
 * `parse_args` of main/cli.c (§6.3): split on spaces/tabs, every unescaped `"` toggles grouping and is
 * dropped, `\` escapes the next character.
 */
export function tokenizeCli(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      have = true;
    } else if (c === '"') {
      quoted = !quoted;
      have = true;
    } else if ((c === ' ' || c === '\t') && !quoted) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}

// Usage texts — UNCONFIRMED wording (the reference only says "prints the usage text", §6.3).
const USAGE: Record<string, string> = {
  'database put':
    'Usage: database put <family> <key> <value>\n       Adds or updates an entry in the Asterisk database for\n       a given family, key, and value.\n',
  'database get':
    'Usage: database get <family> <key>\n       Retrieves an entry in the Asterisk database for a given\n       family and key.\n',
  'database del':
    'Usage: database del <family> <key>\n       Deletes an entry in the Asterisk database for a given\n       family and key.\n',
  'database deltree':
    'Usage: database deltree <family> [keytree]\n   OR: database deltree <family>[/keytree]\n       Deletes a family or specific keytree within a family\n       in the Asterisk database.  The two arguments may be\n       separated by either a space or a slash.\n',
};

type Handler = (args: string[], ctx: CliContext) => CliResult;

const ok = (text: string): CliResult => ({ text, ok: true });

/** Known commands by word sequence; `sip` ones exist only with chan_sip (§16). */
function commandTable(p: DialectProfile): Array<[string[], Handler]> {
  const t: Array<[string[], Handler]> = [
    [
      ['core', 'show', 'channels', 'verbose'],
      (_a, c) => ok(renderCoreShowChannelsVerbose(c.profile, c.channels, c.counters, c.now)),
    ],
    [
      ['core', 'show', 'channels', 'concise'],
      (_a, c) => ok(renderCoreShowChannelsConcise(c.profile, c.channels, c.now)),
    ],
    [['core', 'show', 'channels'], (_a, c) => ok(renderCoreShowChannels(c.profile, c.channels, c.counters))],
    [['core', 'show', 'version'], (_a, c) => ok(versionLine(c.profile))],
    [
      ['core', 'show', 'uptime'],
      (a, c) =>
        ok(
          renderUptime(
            Math.floor((c.now - c.startedAt) / 1000),
            Math.floor((c.now - c.reloadedAt) / 1000),
            a[0] === 'seconds',
          ),
        ),
    ],
    [
      ['database', 'show'],
      (a, c) => ok(renderDatabaseShow(c.astdb.match(a[0], a[1]).map((k) => [k, c.astdb.map.get(k) ?? '']))),
    ],
    [['database', 'put'], dbPut],
    [['database', 'get'], dbGet],
    [['database', 'del'], dbDel],
    [['database', 'deltree'], dbDelTree],
    [
      ['module', 'reload'],
      (a, c) => {
        c.onReload?.(a[0] ?? 'All', 'cli');
        return ok('');
      },
    ],
    [
      ['moh', 'reload'],
      (_a, c) => {
        c.onReload?.('res_musiconhold', 'cli');
        return ok('');
      },
    ],
    [
      ['dialplan', 'reload'],
      (_a, c) => {
        c.onReload?.('pbx_config', 'cli');
        return ok('Dialplan reloaded.\n');
      },
    ],
  ];
  if (p.chanSip) {
    t.push([['sip', 'show', 'peers'], (_a, c) => ok(renderSipShowPeers(c.profile, c.peers))]);
    t.push([
      ['sip', 'reload'],
      (_a, c) => {
        c.onReload?.('chan_sip', 'sip-cli');
        return ok('');
      },
    ]);
  }
  return t;
}

/** `core show version`: "Asterisk %s built by %s @ %s on a %s running %s on %s" (main/cli.c). */
function versionLine(p: DialectProfile): string {
  return `Asterisk ${p.asteriskVersion} built by mockbuild @ pbx.example.com on a x86_64 running Linux on 2020-01-01 00:00:00 UTC\n`;
}

function usage(cmd: string): CliResult {
  return { text: USAGE[cmd] ?? '', ok: false };
}

function dbPut(a: string[], c: CliContext): CliResult {
  if (a.length !== 3) return usage('database put');
  return ok(
    c.astdb.put(a[0]!, a[1]!, a[2]!) ? 'Updated database successfully\n' : 'Failed to update entry\n',
  );
}

function dbGet(a: string[], c: CliContext): CliResult {
  if (a.length !== 2) return usage('database get');
  const v = c.astdb.get(a[0]!, a[1]!);
  return ok(v === undefined ? 'Database entry not found.\n' : `Value: ${v}\n`);
}

function dbDel(a: string[], c: CliContext): CliResult {
  if (a.length !== 2) return usage('database del');
  return ok(c.astdb.del(a[0]!, a[1]!) ? 'Database entry removed.\n' : 'Database entry does not exist.\n');
}

function dbDelTree(a: string[], c: CliContext): CliResult {
  if (a.length < 1 || a.length > 2) return usage('database deltree');
  let [fam, tree] = a as [string, string | undefined];
  // `<family>/<keytree>` is accepted as one argument (§6.3).
  if (tree === undefined && fam.includes('/')) {
    const i = fam.indexOf('/');
    tree = fam.slice(i + 1);
    fam = fam.slice(0, i);
  }
  const n = c.astdb.delTree(fam, tree || undefined);
  if (n < 0) return ok('Database unavailable.\n');
  return ok(n > 0 ? `${n} database entries removed.\n` : 'Database entries do not exist.\n');
}

/** Runs one CLI line. Unknown commands get the `No such command` text (§2.1) with find_best's guess. */
export function runCli(line: string, ctx: CliContext): CliResult {
  const argv = tokenizeCli(line);
  const table = commandTable(ctx.profile);
  let best: [string[], Handler] | undefined;
  for (const entry of table) {
    const words = entry[0];
    if (words.length <= argv.length && words.every((w, i) => w === argv[i]!.toLowerCase())) {
      if (!best || words.length > best[0].length) best = entry;
    }
  }
  if (best) return best[1](argv.slice(best[0].length), ctx);
  // find_best (main/cli.c): add words while some command still starts with them, including the first
  // word that fails, e.g. `sip show peers` without chan_sip ⇒ `core show help sip`.
  const guess: string[] = [];
  for (const w of argv) {
    guess.push(w);
    const matches = table.some(([words]) =>
      guess.every((g, i) => words[i] !== undefined && words[i]!.startsWith(g)),
    );
    if (!matches) break;
  }
  return {
    text: `No such command '${line}' (type 'core show help ${guess.join(' ')}' for other possible commands)\n`,
    ok: false,
  };
}
