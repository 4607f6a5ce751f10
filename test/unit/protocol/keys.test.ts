import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  hasScope,
  loadPrivateKey,
  loadPublicKey,
  parseTrustedKeys,
  publicJwk,
  publicPem,
} from '../../../protocol/src/keys';

const pair = generateKeyPair();
const pem = publicPem(pair.publicKey);
const jwk = publicJwk(pair.publicKey);

describe('key loading', () => {
  it('loads public keys from PEM, JWK object, JWK text; and the same key each way', () => {
    const a = loadPublicKey(pem);
    const b = loadPublicKey(jwk);
    const c = loadPublicKey(JSON.stringify(jwk));
    expect(a.equals(b) && b.equals(c)).toBe(true);
    expect(loadPublicKey(pair.privateKey).equals(a)).toBe(true);
  });
  it('loads private keys from PEM and JWK', () => {
    const pkcs8 = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(loadPrivateKey(pkcs8).equals(pair.privateKey)).toBe(true);
    expect(loadPrivateKey(pair.privateKey.export({ format: 'jwk' })).equals(pair.privateKey)).toBe(true);
  });
  it.each([
    ['garbage', 'hello'],
    ['RSA JWK', { kty: 'RSA', n: 'AQAB', e: 'AQAB' }],
    ['X25519 JWK', { kty: 'OKP', crv: 'X25519', x: jwk.x }],
    ['bad PEM', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'],
    ['number', 42],
  ])('refuses %s as a public key', (_n, input) => {
    expect(() => loadPublicKey(input)).toThrow(expect.objectContaining({ code: 'invalid_args' }));
  });
  it('refuses a public key as a private key', () => {
    expect(() => loadPrivateKey(jwk)).toThrow(
      expect.objectContaining({ code: 'invalid_args', message: expect.stringContaining('d') }),
    );
    expect(() => loadPrivateKey(pem)).toThrow(expect.objectContaining({ code: 'invalid_args' }));
    expect(() => loadPrivateKey(pair.publicKey)).toThrow(expect.objectContaining({ code: 'invalid_args' }));
  });
});

describe('trusted keys file', () => {
  it('parses PEM and JWK entries', () => {
    const keys = parseTrustedKeys(
      JSON.stringify([
        { kid: 'ops-1', publicKey: pem, scopes: ['read', 'cdr:read'] },
        { kid: 'ops-2', publicKey: jwk, scopes: ['admin'], comment: 'backup' },
      ]),
    );
    expect(keys.map((k) => [k.kid, k.scopes])).toEqual([
      ['ops-1', ['read', 'cdr:read']],
      ['ops-2', ['admin']],
    ]);
    expect(keys[0]?.publicKey.equals(keys[1]?.publicKey ?? pair.publicKey)).toBe(true);
  });
  it('lists every problem, one per line', () => {
    const text = JSON.stringify([
      { kid: 'bad kid!', publicKey: pem, scopes: ['read'] },
      { kid: 'a', publicKey: 'not a key', scopes: ['read'] },
      { kid: 'b', publicKey: jwk, scopes: ['root'] },
      {
        kid: 'c',
        publicKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        scopes: ['read'],
      },
      { kid: 'd', publicKey: jwk, scopes: [], extra: 1 },
      { kid: 'a', publicKey: jwk, scopes: ['read'] },
      'nope',
    ]);
    try {
      parseTrustedKeys(text);
      expect.unreachable();
    } catch (e) {
      const err = e as { code: string; message: string; details: { problems: string[] } };
      expect(err.code).toBe('invalid_args');
      const lines = err.message.split('\n');
      expect(lines).toEqual(err.details.problems);
      expect(lines).toEqual([
        expect.stringMatching(/^trusted keys\[0\]\.kid: expected/),
        expect.stringMatching(/^trusted keys\[1\]\.publicKey: expected a PEM string or a JWK object/),
        expect.stringMatching(/^trusted keys\[2\]\.scopes: unknown scope "root"/),
        expect.stringMatching(/^trusted keys\[3\]\.publicKey: is a PRIVATE key/),
        'trusted keys[4]: unknown field "extra"',
        expect.stringMatching(/^trusted keys\[4\]\.scopes: expected a non-empty array/),
        'trusted keys[5].kid: duplicate kid "a"',
        'trusted keys[6]: expected an object {kid, publicKey, scopes}',
      ]);
    }
  });
  it.each(['', 'not json', '{"kid":"a"}'])('refuses %j as a file', (text) => {
    expect(() => parseTrustedKeys(text)).toThrow(expect.objectContaining({ code: 'invalid_args' }));
  });
  it('admin grants every scope', () => {
    expect(hasScope(['admin'], 'extensions:write')).toBe(true);
    expect(hasScope(['read'], 'read')).toBe(true);
    expect(hasScope(['read'], 'cdr:read')).toBe(false);
  });
});
