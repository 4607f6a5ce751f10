/** Masking of command args before they reach the audit log or a log line: secrets never leave the agent. */

/** Arg names whose values are masked, wherever they appear (SIP `secret`, passwords, tokens, keys). */
export const SECRET_ARG_RE = /secret|passw|^pass$|token|key$|^key|authorization|credential/i;
/** What a masked value becomes. */
export const MASK = '********';
/** Largest args JSON kept in an audit record; bigger args are summarized. */
export const MAX_AUDIT_ARGS_BYTES = 8 * 1024;

function mask(v: unknown, depth: number): unknown {
  if (depth > 8) return '[nested too deep]';
  if (Array.isArray(v)) return v.map((x) => mask(x, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_ARG_RE.test(k) ? MASK : mask(x, depth + 1);
    return out;
  }
  return v;
}

/** A copy of `args` with every secret-named value masked; oversized args become `{"truncated":true,"bytes":N}`. */
export function maskArgs(args: unknown): unknown {
  const masked = mask(args ?? {}, 0);
  const bytes = Buffer.byteLength(JSON.stringify(masked) ?? '');
  return bytes > MAX_AUDIT_ARGS_BYTES ? { truncated: true, bytes } : masked;
}
