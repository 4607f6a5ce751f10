/** The wire error codes of DESIGN.md ("Commands"), one catalogue shared by agent and consumers. */
export const ERROR_CODES = [
  'bad_signature',
  'unknown_key',
  'expired',
  'replayed',
  'forbidden',
  'invalid_args',
  'unknown_command',
  'not_found',
  'conflict',
  'unavailable',
  'busy',
  'internal',
] as const;

/** One of the documented wire error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What each code means, for documentation and for human-readable CLI output. */
export const ERROR_CODE_TEXT: Record<ErrorCode, string> = {
  bad_signature: 'the command is not a valid EdDSA JWS, or its signature does not verify',
  unknown_key: 'the kid is missing or not in the trusted-keys file',
  expired: 'exp is in the past (60 s skew), iat is in the future, or exp - iat exceeds 300 s',
  replayed: 'this jti was already used within its lifetime',
  forbidden: "the command is outside the key's scopes, or its aud is another agent's id",
  invalid_args:
    'the arguments fail the command schema (details name the argument), or the claims are malformed (iss not the kid, a jti over 128 characters)',
  unknown_command: 'no such command',
  not_found: 'the record or file does not exist',
  conflict: 'the record already exists, or a concurrent change conflicts',
  unavailable: 'a PBX part the command needs (AMI, database) is unreachable now; retry later',
  busy: 'too many commands or transfers in flight; retry later',
  internal: 'an unexpected fault in the agent; see its log',
};

/** The one error type: a wire code, a message for humans, optional details, and whether a retry may help. */
export class PbxlinkError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: unknown; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PbxlinkError';
    this.code = code;
    this.details = opts.details;
    this.retryable = opts.retryable ?? (code === 'unavailable' || code === 'busy');
  }
}

/** True when `e` is a PbxlinkError (also across bundle copies, by shape). */
export function isPbxlinkError(e: unknown): e is PbxlinkError {
  return e instanceof PbxlinkError || (e instanceof Error && e.name === 'PbxlinkError' && 'code' in e);
}
