import { createHash, sign as edSign, verify as edVerify, type KeyObject, randomBytes } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { PbxlinkError } from './errors';
import type { TrustedKey } from './keys';
import { KID_PATTERN, loadPrivateKey } from './keys';
import { CommandClaims, type CommandHeader, MAX_JTI_LENGTH } from './schemas/claims';
import { validate } from './schemas/validate';

export type { KeyScope, TrustedKey } from './keys';
export {
  generateKeyPair,
  hasScope,
  loadPrivateKey,
  loadPublicKey,
  parseTrustedKeys,
  publicJwk,
  publicPem,
} from './keys';

/** The JWS `typ` of a command. */
export const COMMAND_TYP = 'pbxlink-cmd+jwt';
/** Largest command token accepted, in bytes; larger inputs are refused before any parsing or crypto. */
export const MAX_COMMAND_BYTES = 16 * 1024;
/** Clock skew tolerated on `exp`, `iat`, `nbf` (DESIGN.md: 60 s). */
export const CLOCK_SKEW_S = 60;
/** Longest lifetime `exp - iat` accepted (DESIGN.md: 300 s). */
export const MAX_LIFETIME_S = 300;
/** Lifetime signCommand gives when the claims have no `exp`. */
export const DEFAULT_LIFETIME_S = 60;

/** The protected header of a command. */
export type CommandHeaderT = Static<typeof CommandHeader>;
/** The verified claims of a command. */
export type CommandClaimsT = Static<typeof CommandClaims>;
/** Claims as given to signCommand: iss/iat/exp/jti may be left out (filled in). */
export type CommandClaimsInput = Omit<CommandClaimsT, 'iss' | 'iat' | 'exp' | 'jti'> &
  Partial<Pick<CommandClaimsT, 'iss' | 'iat' | 'exp' | 'jti'>>;

const b64u = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');
const nowSecs = () => Math.floor(Date.now() / 1000);

/** Signs command claims as a compact JWS, header `{"alg":"EdDSA","kid","typ":"pbxlink-cmd+jwt"}`; fills iss=kid, iat=now, exp=iat+60, jti=random. */
export function signCommand(
  claims: CommandClaimsInput,
  opts: { kid: string; privateKey: KeyObject | string | object; nowSecs?: number; lifetimeS?: number },
): string {
  if (!KID_PATTERN.test(opts.kid))
    throw new PbxlinkError('invalid_args', `invalid kid ${JSON.stringify(opts.kid)}`);
  const key = loadPrivateKey(opts.privateKey);
  const iat = claims.iat ?? opts.nowSecs ?? nowSecs();
  const full: CommandClaimsT = {
    ...claims,
    iss: claims.iss ?? opts.kid,
    jti: claims.jti ?? randomBytes(16).toString('base64url'),
    iat,
    exp: claims.exp ?? iat + (opts.lifetimeS ?? DEFAULT_LIFETIME_S),
  };
  if (full.exp - full.iat > MAX_LIFETIME_S || full.exp < full.iat) {
    throw new PbxlinkError('invalid_args', `command lifetime must be 0..${MAX_LIFETIME_S} s (exp - iat)`);
  }
  const header = b64u(JSON.stringify({ alg: 'EdDSA', kid: opts.kid, typ: COMMAND_TYP }));
  const input = `${header}.${b64u(JSON.stringify(full))}`;
  return `${input}.${b64u(edSign(null, Buffer.from(input), key))}`;
}

/** Whether a jti is new, the same token again (redelivery: re-send the first reply), or a different token reusing it (replay). */
export type ReplayVerdict = 'new' | 'redelivery' | 'replay';

/** Remembers the jti of every accepted command until its `exp` (+ skew); the agent persists it across restarts. */
export interface ReplayCache {
  /** Records `jti` (with the token's sha256) unless present, atomically; tells which case this is. May throw PbxlinkError(busy) when full. */
  claim(jti: string, tokenSha256: string, expSecs: number, nowSecs: number): ReplayVerdict;
}

/** In-memory ReplayCache with expiry by exp + skew and a bound on entries (refuses with `busy` when full of live entries). */
export class MemoryReplayCache implements ReplayCache {
  private readonly entries = new Map<string, { hash: string; until: number }>();

  constructor(private readonly maxEntries = 100_000) {}

  /** Number of remembered jtis (live or not yet pruned). */
  get size(): number {
    return this.entries.size;
  }

  claim(jti: string, tokenSha256: string, expSecs: number, now: number): ReplayVerdict {
    const hit = this.entries.get(jti);
    if (hit && hit.until >= now) return hit.hash === tokenSha256 ? 'redelivery' : 'replay';
    if (this.entries.size >= this.maxEntries) this.prune(now);
    if (this.entries.size >= this.maxEntries)
      throw new PbxlinkError('busy', 'too many commands in flight (replay cache full)');
    this.entries.set(jti, { hash: tokenSha256, until: expSecs + CLOCK_SKEW_S });
    return 'new';
  }

  /** Drops entries whose exp (+ skew) has passed. */
  prune(now: number): void {
    for (const [jti, e] of this.entries) if (e.until < now) this.entries.delete(jti);
  }

  /** Live entries, for persisting. */
  *dump(now: number): Iterable<{ jti: string; sha256: string; until: number }> {
    for (const [jti, e] of this.entries) if (e.until >= now) yield { jti, sha256: e.hash, until: e.until };
  }
}

/** What verifyCommand needs: this agent's id, the key lookup, optionally the clock and the replay cache. */
export interface VerifyOptions {
  agentId: string;
  resolveKey(kid: string): Pick<TrustedKey, 'publicKey' | 'scopes'> | undefined;
  nowSecs?: number;
  replay?: ReplayCache;
}

/** A verified command. `redelivery` is true when this exact token was accepted before (re-send its reply, do not run it again). */
export interface VerifiedCommand {
  header: CommandHeaderT;
  claims: CommandClaimsT;
  key: { kid: string } & Pick<TrustedKey, 'publicKey' | 'scopes'>;
  tokenSha256: string;
  redelivery: boolean;
}

const B64U = /^[A-Za-z0-9_-]+$/;
const fail = (
  code: 'bad_signature' | 'unknown_key' | 'expired' | 'replayed' | 'forbidden' | 'invalid_args',
  msg: string,
  details?: unknown,
) => new PbxlinkError(code, msg, details === undefined ? {} : { details });

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Verifies a command token (DESIGN.md "Commands"), in this order, throwing PbxlinkError:
 * over MAX_COMMAND_BYTES, not three base64url parts, header not JSON, alg ≠ EdDSA, other header members or typ → bad_signature;
 * kid missing or untrusted → unknown_key; signature fails → bad_signature; payload not a JSON object → bad_signature;
 * claims missing/malformed (iss, aud, jti ≤128, iat, exp, cmd) or iss ≠ kid → invalid_args; aud ≠ agent → forbidden;
 * exp past (60 s skew), iat/nbf future beyond skew, exp − iat > 300 s or < 0 → expired; jti reused by another token → replayed.
 */
export function verifyCommand(token: string | Uint8Array, opts: VerifyOptions): VerifiedCommand {
  const size = typeof token === 'string' ? token.length : token.byteLength;
  if (size > MAX_COMMAND_BYTES) throw fail('bad_signature', `command larger than ${MAX_COMMAND_BYTES} bytes`);
  const text = typeof token === 'string' ? token : Buffer.from(token).toString('utf8');
  const trimmed = text.trim();
  const parts = trimmed.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64U.test(p)))
    throw fail('bad_signature', 'not a JWS in compact serialization');
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h) as Record<string, unknown> | undefined;
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw fail('bad_signature', 'JWS header is not a JSON object');
  if (header.alg !== 'EdDSA')
    throw fail('bad_signature', `alg ${JSON.stringify(header.alg)} refused: only EdDSA`);
  const kid = header.kid;
  if (kid === undefined) throw fail('unknown_key', 'JWS header has no kid');
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid))
    throw fail('unknown_key', 'kid is not a valid key id');
  if (header.typ !== COMMAND_TYP) throw fail('bad_signature', `typ must be ${COMMAND_TYP}`);
  const extra = Object.keys(header).filter((k) => !['alg', 'kid', 'typ'].includes(k));
  if (extra.length > 0) throw fail('bad_signature', `unexpected JWS header members: ${extra.join(', ')}`);
  const key = opts.resolveKey(kid);
  if (!key) throw fail('unknown_key', `kid ${JSON.stringify(kid)} is not trusted`);
  const sig = Buffer.from(s, 'base64url');
  if (sig.length !== 64 || !edVerify(null, Buffer.from(`${h}.${p}`), key.publicKey, sig)) {
    throw fail('bad_signature', 'signature does not verify');
  }
  const raw = decodeJson(p);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw fail('bad_signature', 'JWS payload is not a JSON object');
  const checked = validate(CommandClaims, raw);
  if (!checked.ok) {
    const names = checked.problems.map((q) => q.path.slice(1) || 'claims').join(', ');
    throw fail('invalid_args', `invalid command claims: ${names}`, { problems: checked.problems });
  }
  const claims = checked.value;
  if (claims.iss !== kid)
    throw fail('invalid_args', 'claim iss must equal the JWS kid', {
      problems: [{ path: '/iss', message: 'must equal kid' }],
    });
  if (claims.aud !== opts.agentId)
    throw fail('forbidden', `command is for ${JSON.stringify(claims.aud)}, not this agent`);
  const now = opts.nowSecs ?? nowSecs();
  if (claims.exp < now - CLOCK_SKEW_S) throw fail('expired', `command expired at ${claims.exp} (now ${now})`);
  if (claims.iat > now + CLOCK_SKEW_S)
    throw fail('expired', `command issued in the future (iat ${claims.iat}, now ${now})`);
  if (claims.nbf !== undefined && claims.nbf > now + CLOCK_SKEW_S)
    throw fail('expired', 'command not valid yet (nbf)');
  if (claims.exp - claims.iat > MAX_LIFETIME_S || claims.exp < claims.iat) {
    throw fail(
      'expired',
      `command lifetime exp - iat = ${claims.exp - claims.iat} s is outside 0..${MAX_LIFETIME_S} s`,
    );
  }
  const tokenSha256 = createHash('sha256').update(trimmed).digest('hex');
  const verdict = opts.replay ? opts.replay.claim(claims.jti, tokenSha256, claims.exp, now) : 'new';
  if (verdict === 'replay') throw fail('replayed', `jti ${JSON.stringify(claims.jti)} was already used`);
  return {
    header: { alg: 'EdDSA', kid, typ: COMMAND_TYP },
    claims,
    key: { kid, publicKey: key.publicKey, scopes: key.scopes },
    tokenSha256,
    redelivery: verdict === 'redelivery',
  };
}

/** Best-effort, UNVERIFIED look at a token's kid, jti and cmd, for audit records of refused commands (bounded; never trust it). */
export function peekCommand(token: string | Uint8Array): {
  kid: string | null;
  jti: string | null;
  cmd: string | null;
} {
  const none = { kid: null, jti: null, cmd: null };
  const size = typeof token === 'string' ? token.length : token.byteLength;
  if (size > MAX_COMMAND_BYTES) return none;
  const parts = (typeof token === 'string' ? token : Buffer.from(token).toString('utf8')).trim().split('.');
  if (parts.length !== 3) return none;
  const str = (v: unknown, max: number) => (typeof v === 'string' && v.length <= max ? v : null);
  const h = decodeJson(parts[0] ?? '') as Record<string, unknown> | undefined;
  const c = decodeJson(parts[1] ?? '') as Record<string, unknown> | undefined;
  return {
    kid: str(h?.kid, 128),
    jti: str(c?.jti, MAX_JTI_LENGTH),
    cmd: str(c?.cmd, 64),
  };
}
