import { PbxlinkClient } from '../client/client';
import { CommandFailedError, isReplyTimeout } from '../client/replies';
import { downloadRecording, type TransferProgress } from '../client/transfer';
import { ERROR_CODE_TEXT, type ErrorCode } from '../errors';
import { isValidAgentId } from '../topics';
import { CliError, type CliIo, EXIT } from './io';
import {
  BROKER_FLAGS,
  BROKER_FLAGS_HELP,
  brokerOptions,
  SIGNING_FLAGS,
  SIGNING_FLAGS_HELP,
  signingOptions,
  toCliError,
} from './options';
import type { Subcommand } from './subcommand';

const MB = 1024 * 1024;

/** A progress line for stderr: `[#####-----]  52%  104.0/200.0 MB  41.3 MB/s`. */
export function progressLine(p: TransferProgress, elapsedMs: number, startBytes: number): string {
  const frac = p.size === 0 ? 1 : p.received / p.size;
  const width = 24;
  const fill = Math.round(frac * width);
  const rate = elapsedMs > 0 ? (p.received - startBytes) / MB / (elapsedMs / 1000) : 0;
  return `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${(p.received / MB).toFixed(1)}/${(p.size / MB).toFixed(1)} MB  ${rate.toFixed(1)} MB/s`;
}

function progressPrinter(io: CliIo, quiet: boolean): (p: TransferProgress) => void {
  let started: number | undefined;
  let startBytes = 0;
  let last = 0;
  return (p) => {
    const now = io.now();
    if (started === undefined) {
      started = now;
      startBytes = p.received;
    }
    const end = p.received >= p.size;
    if (quiet || (!end && now - last < 200)) return;
    last = now;
    io.err(`\r${progressLine(p, now - started, startBytes)}${end ? '\n' : ''}`);
  };
}

/** `pbxctl recording get AGENT (--name N | --uniqueid U) -o FILE`: download, verify, resume. */
export const recordingGet: Subcommand = {
  name: 'recording get',
  summary: 'download a call recording (verified by sha256, resumable)',
  help: `Usage: pbxctl recording get AGENT (--name NAME | --uniqueid ID) -o FILE [options]

Asks AGENT for a recording (recordings.get), writes its chunks to FILE.part, checks the
sha256 the agent announced and renames the result to FILE. Progress goes to stderr.
If the broker connection drops or chunks go missing, it reconnects and asks again from
where it stopped (offset); if pbxctl itself is interrupted, running the same command
again resumes from FILE.part (FILE.part.json says what it belongs to).

Arguments:
  --name NAME         path under the monitor root: YYYY/MM/DD/file.wav, /YYYY/MM/DD/file.wav,
                      a flat file name, or just the base name (found in its dated folder)
  --uniqueid ID       the CDR uniqueid of the call (cdr.recordingfile, or userfield audio:…)
  -o, --output FILE   where to write the recording
  --retries N         reconnect and resume this many times (default 5)
  -q, --quiet         no progress bar

${SIGNING_FLAGS_HELP}

${BROKER_FLAGS_HELP}

Exit status: 0 ok (verified), 1 the agent replied with an error (not_found, invalid_args,
busy, …) or the sha256 did not match, 2 bad usage, 3 no reply within the timeout,
4 broker unreachable.

Example:
  pbxctl recording get pbx-01 --uniqueid 1705307412.34 -o call.wav`,
  options: {
    ...BROKER_FLAGS,
    ...SIGNING_FLAGS,
    name: { type: 'string' },
    uniqueid: { type: 'string' },
    output: { type: 'string', short: 'o' },
    retries: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run(v, positionals, io) {
    const [agent, ...extra] = positionals;
    if (agent === undefined)
      throw new CliError('usage: pbxctl recording get AGENT (--name N | --uniqueid U) -o FILE');
    if (extra.length > 0) throw new CliError(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (!isValidAgentId(agent))
      throw new CliError(`invalid agent id ${JSON.stringify(agent)}: expected [A-Za-z0-9_-]{1,64}`);
    const name = v.name as string | undefined;
    const uniqueid = v.uniqueid as string | undefined;
    if ((name === undefined) === (uniqueid === undefined))
      throw new CliError('give exactly one of --name or --uniqueid');
    const output = v.output as string | undefined;
    if (!output) throw new CliError('no output file: pass -o FILE');
    const retries = v.retries === undefined ? 5 : Number(v.retries);
    if (!Number.isInteger(retries) || retries < 0 || retries > 100)
      throw new CliError(`invalid --retries ${JSON.stringify(v.retries)}: 0..100`);
    const broker = brokerOptions(v, io.env);
    const signing = await signingOptions(v, io.env);
    try {
      const r = await downloadRecording(
        () => PbxlinkClient.connect(broker),
        agent,
        name !== undefined ? { name } : { uniqueid },
        {
          ...signing,
          now: io.now,
          output,
          retries,
          onProgress: progressPrinter(io, v.quiet === true),
          onRetry: (i) =>
            io.err(
              `\nconnection interrupted (${i.reason}); resuming from byte ${i.offset} (retry ${i.attempt}/${retries})\n`,
            ),
        },
      );
      io.out(`${output}: ${r.name}, ${r.size} bytes, sha256 ${r.sha256} verified\n`);
      return EXIT.ok;
    } catch (e) {
      if (isReplyTimeout(e)) throw new CliError(e.message, EXIT.timeout);
      if (e instanceof CommandFailedError) {
        const hint = ERROR_CODE_TEXT[e.code as ErrorCode];
        io.err(`error ${e.code}: ${e.message}\n`);
        if (hint) io.err(`(${e.code}: ${hint})\n`);
        return EXIT.errorReply;
      }
      throw toCliError(e);
    }
  },
};
