import { execFile } from 'node:child_process';
import type { Logger } from '../../core/log';
import type { DbTx, FreepbxDb } from './db';
import { KeyedMutex } from './keyed-mutex';
import { qualified } from './sql-names';

/** Outcome of applying configuration, as it goes into replies and `config.changed` (protocol `Applied`). */
export interface ApplyOutcome {
  ok: boolean;
  output?: string;
}

/** Options of ConfigApplier. */
export interface ApplyOptions {
  db: FreepbxDb;
  /** The FreePBX config database name (`asterisk`). */
  configDb: string;
  /** argv of the apply command (config `apply_cmd`: `fwconsole reload` or `module_admin reload`, §9.3). */
  argv: readonly string[];
  /** Kill the command after this many ms (default 120 s). */
  timeoutMs?: number;
  log?: Logger;
}

/** Most output characters kept in a reply (protocol `Applied.output` maxLength). */
const MAX_OUTPUT = 4000;

/** Last `MAX_OUTPUT` characters of the command's output, control characters but newline/tab dropped. */
function tail(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal escapes from fwconsole output
  const clean = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return clean.length > MAX_OUTPUT ? clean.slice(clean.length - MAX_OUTPUT) : clean;
}

/**
 * FreePBX's "Apply Config" from the agent (§9.3): `UPDATE admin SET value='true' WHERE variable='need_reload'`
 * (what needreload() does, §9.1 step 8), then the apply command via execFile (argument array, never a shell)
 * with a timeout. Runs are serialized: two changes never run two reloads at once.
 */
export class ConfigApplier {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly opts: ApplyOptions) {}

  /** Sets FreePBX's need_reload flag (inside the caller's transaction when `tx` is given). */
  async markNeedReload(tx?: DbTx): Promise<void> {
    const sql = `UPDATE ${qualified(this.opts.configDb, 'admin')} SET value='true' WHERE variable='need_reload'`;
    if (tx) await tx.query(sql);
    else await this.opts.db.query(sql);
  }

  /** Marks need_reload and runs the apply command; never throws: a failure is `{ok: false, output}`. */
  async apply(): Promise<ApplyOutcome> {
    return this.mutex.run('apply', async () => {
      try {
        await this.markNeedReload();
      } catch (err) {
        this.opts.log?.error({ err }, 'could not set need_reload');
        return { ok: false, output: `could not set need_reload: ${(err as Error).message}` };
      }
      return this.runCommand();
    });
  }

  private runCommand(): Promise<ApplyOutcome> {
    const [file, ...args] = this.opts.argv;
    if (!file) return Promise.resolve({ ok: false, output: 'no apply command configured' });
    const timeout = this.opts.timeoutMs ?? 120_000;
    return new Promise((resolve) => {
      execFile(
        file,
        args,
        { timeout, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
        (err, stdout, stderr) => {
          const output = tail(`${stdout ?? ''}${stderr ?? ''}`.trim());
          if (!err) {
            resolve({ ok: true, output });
            return;
          }
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          const why = e.killed
            ? `timed out after ${timeout} ms`
            : typeof e.code === 'number'
              ? `exited with status ${e.code}`
              : `could not run ${file}: ${e.code ?? e.message}`;
          this.opts.log?.warn({ argv: this.opts.argv, why }, 'apply command failed');
          resolve({ ok: false, output: tail(output ? `${why}\n${output}` : why) });
        },
      );
    });
  }
}
