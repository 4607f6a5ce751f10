import { execFile } from 'node:child_process';

/** Outcome of one external program run; never a shell string, always an argument array. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when killed by a signal. */
  code: number | null;
}

/** Why a program could not run to completion: spawn errno (ENOENT, EACCES), timeout or output cap. */
export class ExecError extends Error {
  /** `ENOENT`, `EACCES`, `ETIMEDOUT`, `EMAXBUFFER` or another spawn errno. */
  readonly errno: string;
  constructor(errno: string, message: string) {
    super(message);
    this.name = 'ExecError';
    this.errno = errno;
  }
}

/** Runs `file` with `args` (no shell). Resolves with a non-zero `code` too; rejects only with ExecError. */
export type Exec = (
  file: string,
  args: readonly string[],
  opts?: { timeoutMs?: number; signal?: AbortSignal },
) => Promise<ExecResult>;

/** Options of the default execFile wrapper. */
export interface ExecOptions {
  /** Kill the child after this many ms (default 10 s). */
  timeoutMs?: number;
  /** Largest stdout/stderr kept, in bytes (default 4 MiB): a runaway program cannot fill memory. */
  maxBuffer?: number;
  /** Environment of the child (default: PATH and LC_ALL=C so output is not localized). */
  env?: NodeJS.ProcessEnv;
}

/** The production Exec: child_process.execFile with a timeout, an output cap and the C locale. */
export function createExec(defaults: ExecOptions = {}): Exec {
  const env = defaults.env ?? {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    LC_ALL: 'C',
    LANG: 'C',
  };
  return (file, args, opts = {}) =>
    new Promise<ExecResult>((resolve, reject) => {
      execFile(
        file,
        [...args],
        {
          timeout: opts.timeoutMs ?? defaults.timeoutMs ?? 10_000,
          maxBuffer: defaults.maxBuffer ?? 4 * 1024 * 1024,
          env,
          encoding: 'utf8',
          windowsHide: true,
          signal: opts.signal,
        },
        (err, stdout, stderr) => {
          if (!err) {
            resolve({ stdout, stderr, code: 0 });
            return;
          }
          const e = err as NodeJS.ErrnoException & {
            killed?: boolean;
            signal?: string | null;
            code?: unknown;
          };
          if (typeof e.code === 'string') {
            if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
              reject(new ExecError('EMAXBUFFER', `${file}: output larger than the limit`));
              return;
            }
            reject(new ExecError(e.code, `${file}: ${e.message}`));
            return;
          }
          if (e.killed) {
            reject(
              new ExecError(
                'ETIMEDOUT',
                `${file}: no answer within the time limit (killed by ${e.signal ?? 'signal'})`,
              ),
            );
            return;
          }
          resolve({ stdout, stderr, code: typeof e.code === 'number' ? e.code : null });
        },
      );
    });
}
