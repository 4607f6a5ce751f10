/**
 * Start-up validation of the trusted-keys file (DESIGN.md "Commands": `[{"kid","publicKey","scopes"}]`),
 * with the protocol's own parser so the agent accepts at start exactly what it verifies with later.
 * Returns every problem found, one line each; an empty list means the file is usable.
 */
import { readFileSync } from 'node:fs';
import { MAX_TRUSTED_KEYS_BYTES, parseTrustedKeys } from '../../../protocol/src/keys';

/** Checks the trusted-keys file at `file`; returns the problems (empty when valid) and the key count. */
export function checkTrustedKeysFile(file: string): { problems: string[]; count: number } {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : code;
    return {
      problems: [
        `trusted keys file ${file}: cannot read (${why}); set paths.trusted_keys or PBXLINK_TRUSTED_KEYS`,
      ],
      count: 0,
    };
  }
  if (buf.length > MAX_TRUSTED_KEYS_BYTES)
    return { problems: [`trusted keys file ${file}: larger than ${MAX_TRUSTED_KEYS_BYTES} bytes`], count: 0 };
  try {
    return { problems: [], count: parseTrustedKeys(buf.toString('utf8')).length };
  } catch (e) {
    const details = (e as { details?: { problems?: unknown } }).details;
    const list = Array.isArray(details?.problems)
      ? (details.problems as string[])
      : String((e as Error).message).split('\n');
    return {
      problems: list.map((p) => `trusted keys file ${file}: ${p.replace(/^trusted keys:\s*/, '')}`),
      count: 0,
    };
  }
}
