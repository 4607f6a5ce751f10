import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { type CdrQueryEvent, queryCdr } from '../client/cdr';
import { CommandFailedError, isReplyTimeout } from '../client/replies';
import { ERROR_CODE_TEXT, type ErrorCode } from '../errors';
import { isValidAgentId } from '../topics';
import { parseCdrFlags } from './cdr-args';
import { cdrProgressLine, cdrRenderer } from './cdr-format';
import { CliError, type CliIo, EXIT } from './io';
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

/** Where rendered text goes: stdout (io.out) or a file (-o), waiting for the file to drain (bounded memory). */
interface Sink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

function stdoutSink(io: CliIo): Sink {
  return {
    async write(t) {
      io.out(t);
      // io.out is process.stdout.write in pbxctl: wait while a slow reader (a pipe) has not taken the last part.
      if (process.stdout.writableNeedDrain) await once(process.stdout, 'drain');
    },
    close: async () => {},
  };
}

async function fileSink(path: string): Promise<Sink> {
  const s: WriteStream = createWriteStream(path, { flags: 'w', mode: 0o644 });
  try {
    await once(s, 'open');
  } catch (e) {
    throw new CliError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return {
    async write(t) {
      if (!s.write(t)) await once(s, 'drain');
    },
    close: () => new Promise((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve()))),
  };
}

/** Progress on stderr: a rewritten line on a terminal, else (with --progress) a line a second. */
function progressPrinter(io: CliIo, enabled: boolean, tty: boolean) {
  const started = io.now();
  let last = 0;
  let shown = false;
  return {
    update(rows: number, page: number) {
      if (!enabled) return;
      const now = io.now();
      if (now - last < (tty ? 200 : 1000)) return;
      last = now;
      shown = true;
      const line = cdrProgressLine(rows, page, now - started);
      io.err(tty ? `\r${line}\u001b[K` : `${line}\n`);
    },
    end() {
      if (enabled && tty && shown) io.err('\r\u001b[K');
    },
    elapsed: () => io.now() - started,
  };
}

/** `pbxctl cdr AGENT [filters] [--all] [--format table|jsonl|csv]`: query CDRs, render rows as they arrive. */
export const cdrCommand: Subcommand = {
  name: 'cdr',
  summary: 'query call detail records (cdr.query): table, JSON lines or CSV, following cursors',
  help: `Usage: pbxctl cdr AGENT [filters] [--all] [--format table|jsonl|csv] [-o FILE] [options]

Sends cdr.query to AGENT and prints the rows as their parts arrive. Without --all it
fetches one page (--limit rows, the agent's default 1000) and prints the cursor of the
next one on stderr; with --all it follows next_cursor to the last page. Parts sent as
arrays (--wire rows) or gzip (--compress) are decoded transparently.

Filters (dates are the PBX's local time, like calldate):
      --start DATE        calls from DATE on: YYYY-MM-DD or "YYYY-MM-DD HH:MM[:SS]"
      --end DATE          calls up to DATE (a date alone means to the end of that day)
      --field NAME        src, dst, channel, dstchannel, accountcode, did or uniqueid ...
      --pattern TEXT      ... containing TEXT (a plain substring: % and _ match themselves;
                          write --pattern=-123 when TEXT starts with -)
      --status S          all, answered, busy, failed, no-answer
      --recordings R      all, only (calls with a recording), without
Paging:
      --limit N           rows per page (the agent caps it: cdr_max_rows)
      --order asc|desc    by calldate, then uniqueid (default asc)
      --cursor C          start after this cursor (a next_cursor printed earlier)
      --all               follow next_cursor until no rows are left
Output:
      --format F          table (default), jsonl (one JSON object per row), csv (RFC 4180, header line)
      --columns A,B,...   columns to print (table default: calldate,src,dst,disposition,duration,
                          billsec,uniqueid,recordingfile; csv/jsonl default: every column)
  -o, --output FILE       write the rows to FILE instead of stdout
      --progress          show progress (rows, rate) on stderr even when it is not a terminal
  -q, --quiet             no progress line (the final summary is still printed)
Wire:
      --wire rows|objects ask for rows as arrays with a column header (default: half the bytes of
                          objects, and faster) or as objects; the output is the same
      --compress          ask for gzip-compressed parts (fewer bytes, more CPU)
      --ttl SECS          command lifetime (exp - iat), 1..300, default 60

${SIGNING_FLAGS_HELP}

${BROKER_FLAGS_HELP}

The summary on stderr ends with the page's next_cursor (null when nothing is left).
Exit status: 0 ok, 1 the agent replied with an error (code and message on stderr),
2 bad usage, 3 no reply within the timeout, 4 broker unreachable, 130 interrupted.

Examples:
  pbxctl cdr pbx-01 --start 2024-01-01 --end 2024-01-31 --status answered
  pbxctl cdr pbx-01 --field src --pattern 2125 --all --format csv -o calls.csv
  pbxctl cdr pbx-01 --recordings only --order desc --limit 20`,
  options: {
    ...BROKER_FLAGS,
    ...SIGNING_FLAGS,
    start: { type: 'string' },
    end: { type: 'string' },
    field: { type: 'string' },
    pattern: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    recordings: { type: 'string' },
    order: { type: 'string' },
    cursor: { type: 'string' },
    all: { type: 'boolean' },
    format: { type: 'string' },
    columns: { type: 'string' },
    output: { type: 'string', short: 'o' },
    progress: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    wire: { type: 'string' },
    compress: { type: 'boolean' },
    ttl: { type: 'string' },
  },
  async run(v, positionals, io) {
    const [agent, ...extra] = positionals;
    if (agent === undefined) throw new CliError('usage: pbxctl cdr AGENT [filters] (see --help)');
    if (extra.length > 0) throw new CliError(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (!isValidAgentId(agent))
      throw new CliError(`invalid agent id ${JSON.stringify(agent)}: expected [A-Za-z0-9_-]{1,64}`);
    const req = parseCdrFlags(v);
    const ttl = v.ttl === undefined ? 60 : Number(v.ttl);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 300)
      throw new CliError(`invalid --ttl ${JSON.stringify(v.ttl)}: 1..300`);
    const broker = brokerOptions(v, io.env);
    const signing = await signingOptions(v, io.env);
    const tty = process.stderr.isTTY === true;
    const progress = progressPrinter(io, v.quiet !== true && (v.progress === true || tty), tty);

    const client = await connectClient(broker);
    const sink = req.output === undefined ? stdoutSink(io) : await fileSink(req.output);
    const render = cdrRenderer(req.format, req.columns);
    let rows = 0;
    let pages = 0;
    let headerDone = false;
    let pageCursor = req.args.cursor; // where the page being received started (to resume after a failure)
    let nextCursor: string | null | undefined;
    let interrupted = false;
    const stop = io.interrupted.then(() => {
      interrupted = true;
      return 'interrupted' as const;
    });
    const summary = (how: string) => {
      progress.end();
      const secs = (progress.elapsed() / 1000).toFixed(1);
      io.err(`${how}: ${rows} rows in ${pages} page(s), ${secs} s; next_cursor: ${nextCursor ?? 'null'}\n`);
    };
    const resumeHint = () => {
      if (rows > 0 || pageCursor !== undefined)
        io.err(`resume with: --cursor ${pageCursor ?? '(none: start again without --cursor)'}\n`);
    };
    try {
      const walk = queryCdr(client, agent, req.args, {
        ...signing,
        lifetimeS: ttl,
        now: io.now,
        all: req.all,
        stopped: () => interrupted,
      })[Symbol.asyncIterator]();
      for (;;) {
        const r = await Promise.race([walk.next(), stop]);
        if (r === 'interrupted') {
          summary('interrupted');
          resumeHint();
          return 130;
        }
        if (r.done) break;
        const ev: CdrQueryEvent = r.value;
        if (ev.type === 'rows') {
          if (ev.rows.length === 0) continue;
          let out = '';
          if (!headerDone) {
            headerDone = true;
            out += render.header(ev.rows);
          }
          out += render.rows(ev.rows);
          await sink.write(out);
          rows += ev.rows.length;
          progress.update(rows, ev.page);
        } else {
          pages = ev.page;
          nextCursor = ev.next_cursor;
          pageCursor = ev.next_cursor ?? undefined;
        }
      }
      // An empty result still gets a table/csv header when columns were given.
      if (!headerDone && req.columns !== undefined && req.format !== 'jsonl')
        await sink.write(render.header([]));
      await sink.close();
      summary('done');
      if (!req.all && nextCursor) io.err(`more rows: pass --cursor ${nextCursor} (or --all)\n`);
      return EXIT.ok;
    } catch (e) {
      await sink.close().catch(() => {});
      if (isReplyTimeout(e)) {
        summary('stopped');
        resumeHint();
        throw new CliError(e.message, EXIT.timeout);
      }
      if (e instanceof CommandFailedError) {
        progress.end();
        const hint = ERROR_CODE_TEXT[e.code as ErrorCode];
        io.err(`error ${e.code}: ${e.message}\n`);
        if (e.details !== undefined) io.err(`details: ${JSON.stringify(e.details)}\n`);
        if (hint) io.err(`(${e.code}: ${hint})\n`);
        if (rows > 0) {
          summary('stopped');
          resumeHint();
        }
        return EXIT.errorReply;
      }
      if (rows > 0) {
        summary('stopped');
        resumeHint();
      }
      throw toCliError(e);
    } finally {
      await client.close().catch(() => {});
    }
  },
};
