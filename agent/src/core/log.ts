import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field paths whose values are always censored, wherever they appear in a log object. */
export const REDACT_PATHS = [
  'secret',
  'password',
  'passwd',
  'pass',
  'token',
  'key',
  'privateKey',
  'authorization',
  '*.secret',
  '*.password',
  '*.pass',
  '*.token',
  '*.privateKey',
  '*.authorization',
  'args.secret',
  'args.*.secret',
];

/**
 * The root logger: JSON lines to `destination` (stdout by default; journald reads it), secrets redacted.
 * No transports, so the single-file bundle keeps working. Modules take `log.child({ module })`.
 */
export function createLogger(
  opts: { level?: string; destination?: pino.DestinationStream; secrets?: string[] } = {},
): Logger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 3);
  return pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '********' },
      formatters: { level: (label) => ({ level: label }) },
      // Last line of defence: a configured secret never leaves the process inside any string.
      ...(secrets.length === 0
        ? {}
        : { hooks: { streamWrite: (line: string) => maskSecrets(line, secrets) } }),
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** Replaces every occurrence of each secret in `text` with asterisks. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join('********');
  return out;
}
