import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { PbxlinkError } from './errors';
import { SCOPES } from './schemas/common';

/** A key scope of DESIGN.md ("Commands"). */
export type KeyScope = (typeof SCOPES)[number];

/** One trusted command key: who (`kid`), the Ed25519 public key, what it may do. */
export interface TrustedKey {
  readonly kid: string;
  readonly publicKey: KeyObject;
  readonly scopes: readonly KeyScope[];
}

/** Key ids: `[A-Za-z0-9._:@-]{1,128}` (the JWS `kid`, claim `iss`). */
export const KID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
/** Largest trusted-keys file accepted (bytes). */
export const MAX_TRUSTED_KEYS_BYTES = 1024 * 1024;

/** A new Ed25519 key pair (node:crypto KeyObjects). */
export function generateKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

function bad(message: string, cause?: unknown): PbxlinkError {
  return new PbxlinkError('invalid_args', message, cause === undefined ? {} : { cause });
}

/** Parses a JWK given as an object or JSON text; throws invalid_args unless it is an Ed25519 OKP key. */
function asEd25519Jwk(input: unknown): JsonWebKey {
  let jwk = input;
  if (typeof input === 'string') {
    try {
      jwk = JSON.parse(input);
    } catch (e) {
      throw bad('key is neither PEM nor JSON (JWK)', e);
    }
  }
  const j = jwk as Record<string, unknown> | null;
  if (
    typeof j !== 'object' ||
    j === null ||
    j.kty !== 'OKP' ||
    j.crv !== 'Ed25519' ||
    typeof j.x !== 'string'
  ) {
    throw bad('JWK is not an Ed25519 key (need kty "OKP", crv "Ed25519", x)');
  }
  return j as JsonWebKey;
}

function ensureEd25519(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519')
    throw bad(`key is ${key.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`);
  return key;
}

/** Loads an Ed25519 public key from PEM (SPKI; a private PEM yields its public half), a JWK object or JWK JSON text; throws invalid_args otherwise. */
export function loadPublicKey(pemOrJwk: unknown): KeyObject {
  if (typeof pemOrJwk === 'object' && pemOrJwk !== null && 'asymmetricKeyType' in pemOrJwk) {
    const k = pemOrJwk as KeyObject;
    return ensureEd25519(k.type === 'private' ? createPublicKey(k) : k);
  }
  try {
    if (typeof pemOrJwk === 'string' && pemOrJwk.trimStart().startsWith('-----BEGIN'))
      return ensureEd25519(createPublicKey(pemOrJwk));
    const jwk = asEd25519Jwk(pemOrJwk);
    const { d: _d, ...pub } = jwk;
    return ensureEd25519(createPublicKey({ key: pub, format: 'jwk' }));
  } catch (e) {
    if (e instanceof PbxlinkError) throw e;
    throw bad(`cannot load public key: ${(e as Error).message}`, e);
  }
}

/** Loads an Ed25519 private key from PEM (PKCS#8), a JWK object (with `d`) or JWK JSON text; throws invalid_args otherwise. */
export function loadPrivateKey(pemOrJwk: unknown): KeyObject {
  if (typeof pemOrJwk === 'object' && pemOrJwk !== null && 'asymmetricKeyType' in pemOrJwk) {
    const k = pemOrJwk as KeyObject;
    if (k.type !== 'private') throw bad('a public key cannot sign');
    return ensureEd25519(k);
  }
  try {
    if (typeof pemOrJwk === 'string' && pemOrJwk.trimStart().startsWith('-----BEGIN'))
      return ensureEd25519(createPrivateKey(pemOrJwk));
    const jwk = asEd25519Jwk(pemOrJwk);
    if (typeof jwk.d !== 'string') throw bad('JWK has no private part (d)');
    return ensureEd25519(createPrivateKey({ key: jwk, format: 'jwk' }));
  } catch (e) {
    if (e instanceof PbxlinkError) throw e;
    throw bad(`cannot load private key: ${(e as Error).message}`, e);
  }
}

/** The public JWK of a key (`{kty:"OKP",crv:"Ed25519",x}`), e.g. for a trusted-keys entry. */
export function publicJwk(key: KeyObject): { kty: 'OKP'; crv: 'Ed25519'; x: string } {
  const jwk = loadPublicKey(key).export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) };
}

/** The public key as SPKI PEM. */
export function publicPem(key: KeyObject): string {
  return loadPublicKey(key).export({ format: 'pem', type: 'spki' }).toString();
}

/** True when `scopes` grant `required` (`admin` grants everything). */
export function hasScope(scopes: readonly string[], required: string): boolean {
  return scopes.includes('admin') || scopes.includes(required);
}

/**
 * Parses a trusted-keys file `[{"kid","publicKey":<PEM or JWK>,"scopes":[…]}]` (DESIGN.md "Commands").
 * Throws PbxlinkError(invalid_args) listing every problem, one per line (details: {problems}).
 */
export function parseTrustedKeys(jsonText: string): TrustedKey[] {
  if (Buffer.byteLength(jsonText, 'utf8') > MAX_TRUSTED_KEYS_BYTES) {
    throw bad(`trusted keys: file larger than ${MAX_TRUSTED_KEYS_BYTES} bytes`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(jsonText);
  } catch (e) {
    throw bad(`trusted keys: not JSON (${(e as Error).message})`, e);
  }
  if (!Array.isArray(doc)) throw bad('trusted keys: expected a JSON array of {kid, publicKey, scopes}');
  const problems: string[] = [];
  const keys: TrustedKey[] = [];
  const seen = new Set<string>();
  doc.forEach((entry: unknown, i: number) => {
    const at = `trusted keys[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${at}: expected an object {kid, publicKey, scopes}`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const before = problems.length;
    for (const k of Object.keys(e)) {
      if (!['kid', 'publicKey', 'scopes', 'comment'].includes(k))
        problems.push(`${at}: unknown field ${JSON.stringify(k)}`);
    }
    const kid = e.kid;
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid))
      problems.push(`${at}.kid: expected [A-Za-z0-9._:@-]{1,128}`);
    else if (seen.has(kid)) problems.push(`${at}.kid: duplicate kid ${JSON.stringify(kid)}`);
    else seen.add(kid);
    let publicKey: KeyObject | undefined;
    try {
      if (e.publicKey === undefined) throw bad('missing');
      if (typeof e.publicKey === 'string' && !e.publicKey.trimStart().startsWith('-----BEGIN'))
        throw bad('expected a PEM string or a JWK object');
      publicKey = loadPublicKey(e.publicKey);
      if (typeof e.publicKey === 'string' && e.publicKey.includes('PRIVATE KEY'))
        throw bad('is a PRIVATE key: put only the public key here');
      if (typeof e.publicKey === 'object' && e.publicKey !== null && 'd' in e.publicKey)
        throw bad('JWK holds a private part (d): put only the public key here');
    } catch (err) {
      problems.push(`${at}.publicKey: ${(err as Error).message}`);
    }
    const scopes = e.scopes;
    if (!Array.isArray(scopes) || scopes.length === 0)
      problems.push(`${at}.scopes: expected a non-empty array of ${SCOPES.join(', ')}`);
    else {
      for (const s of scopes) {
        if (!(SCOPES as readonly unknown[]).includes(s))
          problems.push(`${at}.scopes: unknown scope ${JSON.stringify(s)} (known: ${SCOPES.join(', ')})`);
      }
    }
    if (problems.length === before && publicKey)
      keys.push({ kid: kid as string, publicKey, scopes: [...new Set(scopes as KeyScope[])] });
  });
  if (problems.length > 0)
    throw new PbxlinkError('invalid_args', problems.join('\n'), { details: { problems } });
  return keys;
}
