/**
 * Start-up validation of the trusted-keys file (DESIGN.md "Commands": `[{"kid","publicKey","scopes"}]`).
 * Interim local check until protocol/src/signing.ts `parseTrustedKeys` lands; then this delegates to it.
 * Returns every problem found, one line each; an empty list means the file is usable.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The scopes of DESIGN.md ("Commands"). */
const SCOPES = new Set(['read', 'cdr:read', 'recordings:read', 'extensions:write', 'followme:write', 'secrets:read', 'admin']);

const MAX_BYTES = 1 << 20;

function checkKey(entry: unknown, i: number, seen: Set<string>, problems: string[], file: string): void {
  const at = `${file}: key #${i + 1}`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problems.push(`${at}: must be an object {"kid","publicKey","scopes"}`);
    return;
  }
  const e = entry as Record<string, unknown>;
  const kid = e.kid;
  if (typeof kid !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(kid)) problems.push(`${at}: "kid" must be a string of 1-128 characters [A-Za-z0-9._:-]`);
  else if (seen.has(kid)) problems.push(`${at}: duplicate kid "${kid}"`);
  else seen.add(kid);
  const name = typeof kid === 'string' ? `${at} (${kid})` : at;
  const pk = e.publicKey;
  try {
    const key =
      typeof pk === 'string'
        ? createPublicKey(pk)
        : typeof pk === 'object' && pk !== null
          ? createPublicKey({ key: pk as import('node:crypto').JsonWebKey, format: 'jwk' })
          : undefined;
    if (!key) problems.push(`${name}: "publicKey" must be a PEM string or a JWK object`);
    else if (key.asymmetricKeyType !== 'ed25519') problems.push(`${name}: "publicKey" is ${key.asymmetricKeyType}, expected an Ed25519 key (alg EdDSA)`);
  } catch {
    problems.push(`${name}: "publicKey" is not a valid PEM public key or JWK`);
  }
  const scopes = e.scopes;
  if (!Array.isArray(scopes) || scopes.length === 0) problems.push(`${name}: "scopes" must be a non-empty list`);
  else {
    for (const s of scopes) if (typeof s !== 'string' || !SCOPES.has(s)) problems.push(`${name}: unknown scope ${JSON.stringify(s)} (known: ${[...SCOPES].join(', ')})`);
  }
}

/** Checks the trusted-keys file at `file`; returns the problems (empty when valid) and the key count. */
export function checkTrustedKeysFile(file: string): { problems: string[]; count: number } {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_BYTES) return { problems: [`trusted keys file ${file}: larger than 1 MiB`], count: 0 };
    text = buf.toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'permission denied' : code;
    return { problems: [`trusted keys file ${file}: cannot read (${why}); set paths.trusted_keys or PBXLINK_TRUSTED_KEYS`], count: 0 };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { problems: [`trusted keys file ${file}: not valid JSON (${(e as Error).message})`], count: 0 };
  }
  if (!Array.isArray(doc)) return { problems: [`trusted keys file ${file}: must be a JSON array of {"kid","publicKey","scopes"}`], count: 0 };
  const problems: string[] = [];
  const seen = new Set<string>();
  doc.forEach((entry, i) => checkKey(entry, i, seen, problems, `trusted keys file ${file}`));
  return { problems, count: doc.length };
}
