/** What a subcommand may touch of the outside world; main.ts gives the real process, tests may give buffers. */
export interface CliIo {
  /** Writes to standard output (text as given; add the newline yourself). */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); used by long-running subcommands like tail. */
  interrupted: Promise<void>;
  /** Current time in milliseconds. */
  now(): number;
}

/** pbxctl exit codes (documented in the README). */
export const EXIT = {
  /** Success: the command's final reply was ok. */
  ok: 0,
  /** The agent answered with an error reply (its code is printed on stderr). */
  errorReply: 1,
  /** Bad usage: unknown flag, missing broker URL, unreadable key, bad agent id, bad --arg. */
  usage: 2,
  /** No reply within the timeout. */
  timeout: 3,
  /** The broker could not be reached or refused us. */
  unavailable: 4,
} as const;

/** An error that ends pbxctl with a given exit code and one line on stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
