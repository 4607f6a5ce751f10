import { createHmac, createPrivateKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import {
  CompactSign,
  compactVerify,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  importJWK,
  importPKCS8,
  importSPKI,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { loadPublicKey as loadPub } from '../../../protocol/src/keys';
import {
  generateKeyPair,
  MAX_COMMAND_BYTES,
  MemoryReplayCache,
  peekCommand,
  publicJwk,
  publicPem,
  signCommand,
  type VerifyOptions,
  verifyCommand,
} from '../../../protocol/src/signing';

const NOW = 1_768_000_000;
const AGENT = 'pbx-101';
const good = generateKeyPair();
const other = generateKeyPair();
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const baseClaims = () => ({
  iss: 'ops-1',
  aud: AGENT,
  jti: 'jti-0001',
  iat: NOW,
  exp: NOW + 60,
  cmd: 'agent.info',
  args: {},
});

/** Signs arbitrary header and payload with the good key (as an attacker or a buggy client could). */
function rawSign(header: unknown, payload: unknown, key = good.privateKey): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${nodeSign(null, Buffer.from(input), key).toString('base64url')}`;
}
const H = { alg: 'EdDSA', kid: 'ops-1', typ: 'pbxlink-cmd+jwt' };

function opts(extra: Partial<VerifyOptions> = {}): VerifyOptions & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    agentId: AGENT,
    nowSecs: NOW,
    resolveKey: (kid) => {
      lookups.push(kid);
      return kid === 'ops-1' ? { publicKey: good.publicKey, scopes: ['read'] } : undefined;
    },
    lookups,
    ...extra,
  };
}

describe('sign and verify', () => {
  it('signs with exactly the documented header and verifies', () => {
    const token = signCommand(
      { aud: AGENT, cmd: 'agent.info', args: {} },
      { kid: 'ops-1', privateKey: good.privateKey, nowSecs: NOW },
    );
    const [h] = token.split('.');
    expect(Buffer.from(h ?? '', 'base64url').toString()).toBe(
      '{"alg":"EdDSA","kid":"ops-1","typ":"pbxlink-cmd+jwt"}',
    );
    const v = verifyCommand(token, opts());
    expect(v.claims).toMatchObject({ iss: 'ops-1', aud: AGENT, iat: NOW, exp: NOW + 60, cmd: 'agent.info' });
    expect(v.claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(v.key).toMatchObject({ kid: 'ops-1', scopes: ['read'] });
    expect(v.redelivery).toBe(false);
  });
  it('accepts a command within the 60 s skew after exp', () => {
    expect(() => verifyCommand(rawSign(H, baseClaims()), opts({ nowSecs: NOW + 60 + 59 }))).not.toThrow();
  });
  it('peekCommand reads kid/jti/cmd without verifying', () => {
    expect(peekCommand(rawSign(H, baseClaims()))).toEqual({
      kid: 'ops-1',
      jti: 'jti-0001',
      cmd: 'agent.info',
    });
    expect(peekCommand('garbage')).toEqual({ kid: null, jti: null, cmd: null });
  });
});

describe('rejection matrix (issue 2), one row each', () => {
  const { iss: _i, ...noIss } = baseClaims();
  const { aud: _a, ...noAud } = baseClaims();
  const { jti: _j, ...noJti } = baseClaims();
  const { exp: _e, ...noExp } = baseClaims();
  const { cmd: _c, ...noCmd } = baseClaims();
  const valid = rawSign(H, baseClaims());
  const [vh, vp, vs] = valid.split('.') as [string, string, string];
  const hs256 = (() => {
    const input = `${b64({ alg: 'HS256', kid: 'ops-1', typ: 'pbxlink-cmd+jwt' })}.${b64(baseClaims())}`;
    const secret = good.publicKey.export({ format: 'pem', type: 'spki' });
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  })();
  const rs256 = (() => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const input = `${b64({ alg: 'RS256', kid: 'ops-1', typ: 'pbxlink-cmd+jwt' })}.${b64(baseClaims())}`;
    return `${input}.${nodeSign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`;
  })();
  const rows: Array<[string, () => string, string]> = [
    [
      'alg none',
      () => `${b64({ alg: 'none', kid: 'ops-1', typ: 'pbxlink-cmd+jwt' })}.${b64(baseClaims())}.`,
      'bad_signature',
    ],
    ['HS256 with the public key as HMAC secret', () => hs256, 'bad_signature'],
    ['RS256', () => rs256, 'bad_signature'],
    [
      'unknown kid',
      () => rawSign({ ...H, kid: 'stranger' }, { ...baseClaims(), iss: 'stranger' }),
      'unknown_key',
    ],
    ['missing kid', () => rawSign({ alg: 'EdDSA', typ: 'pbxlink-cmd+jwt' }, baseClaims()), 'unknown_key'],
    [
      'tampered payload',
      () => `${vh}.${b64({ ...baseClaims(), cmd: 'extensions.delete' })}.${vs}`,
      'bad_signature',
    ],
    [
      'tampered header',
      () => `${b64({ alg: 'EdDSA', kid: 'ops-1', typ: 'pbxlink-cmd+jwt', x: 1 })}.${vp}.${vs}`,
      'bad_signature',
    ],
    ['signature of another key', () => rawSign(H, baseClaims(), other.privateKey), 'bad_signature'],
    ['aud mismatch', () => rawSign(H, { ...baseClaims(), aud: 'pbx-999' }), 'forbidden'],
    ['expired', () => rawSign(H, { ...baseClaims(), iat: NOW - 200, exp: NOW - 61 }), 'expired'],
    [
      'iat in the future beyond 60 s skew',
      () => rawSign(H, { ...baseClaims(), iat: NOW + 61, exp: NOW + 120 }),
      'expired',
    ],
    ['lifetime over 300 s', () => rawSign(H, { ...baseClaims(), exp: NOW + 301 }), 'expired'],
    ['missing iss', () => rawSign(H, noIss), 'invalid_args'],
    ['missing aud', () => rawSign(H, noAud), 'invalid_args'],
    ['missing jti', () => rawSign(H, noJti), 'invalid_args'],
    ['missing exp', () => rawSign(H, noExp), 'invalid_args'],
    ['missing cmd', () => rawSign(H, noCmd), 'invalid_args'],
    ['jti over 128 chars', () => rawSign(H, { ...baseClaims(), jti: 'j'.repeat(129) }), 'invalid_args'],
    ['payload not JSON', () => rawSign(H, 'this is not json'), 'bad_signature'],
    ['not a JWS at all', () => 'hello world', 'bad_signature'],
  ];
  it.each(rows)('%s → %s', (_name, make, code) => {
    expect(() => verifyCommand(make(), opts())).toThrow(
      expect.objectContaining({ name: 'PbxlinkError', code }),
    );
  });

  it('replayed jti (another token with the same jti) → replayed', () => {
    const replay = new MemoryReplayCache();
    verifyCommand(rawSign(H, baseClaims()), opts({ replay }));
    const second = rawSign(H, { ...baseClaims(), args: { again: true } });
    expect(() => verifyCommand(second, opts({ replay }))).toThrow(
      expect.objectContaining({ code: 'replayed' }),
    );
  });

  it('a 1 MB input is rejected before any key lookup or crypto', () => {
    // a validly signed token: without the size cap it would verify
    const huge = rawSign(H, { ...baseClaims(), args: { pad: 'x'.repeat(1024 * 1024) } });
    const o = opts();
    const t0 = performance.now();
    expect(() => verifyCommand(huge, o)).toThrow(
      expect.objectContaining({
        code: 'bad_signature',
        message: expect.stringContaining(String(MAX_COMMAND_BYTES)),
      }),
    );
    expect(o.lookups).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(() => verifyCommand(Buffer.from(huge), o)).toThrow(
      expect.objectContaining({ code: 'bad_signature' }),
    );
    expect(o.lookups).toEqual([]);
  });

  it('also refuses: iss ≠ kid, exp before iat, nbf in the future, a non-Ed25519 signature length', () => {
    expect(() => verifyCommand(rawSign(H, { ...baseClaims(), iss: 'ops-2' }), opts())).toThrow(
      expect.objectContaining({ code: 'invalid_args' }),
    );
    expect(() => verifyCommand(rawSign(H, { ...baseClaims(), exp: NOW - 1 }), opts())).toThrow(
      expect.objectContaining({ code: 'expired' }),
    );
    expect(() => verifyCommand(rawSign(H, { ...baseClaims(), nbf: NOW + 100 }), opts())).toThrow(
      expect.objectContaining({ code: 'expired' }),
    );
    expect(() => verifyCommand(`${vh}.${vp}.${vs.slice(0, 40)}`, opts())).toThrow(
      expect.objectContaining({ code: 'bad_signature' }),
    );
    expect(() => verifyCommand(rawSign({ ...H, typ: 'JWT' }, baseClaims()), opts())).toThrow(
      expect.objectContaining({ code: 'bad_signature' }),
    );
  });
});

describe('replay cache', () => {
  it('tells a redelivery (same token) from a replay (same jti, other token)', () => {
    const replay = new MemoryReplayCache();
    const token = rawSign(H, baseClaims());
    expect(verifyCommand(token, opts({ replay })).redelivery).toBe(false);
    const again = verifyCommand(token, opts({ replay }));
    expect(again.redelivery).toBe(true);
    expect(again.claims.jti).toBe('jti-0001');
  });
  it('forgets a jti after exp + skew, and bounds its size', () => {
    const c = new MemoryReplayCache(2);
    expect(c.claim('a', 'h1', NOW + 10, NOW)).toBe('new');
    expect(c.claim('a', 'h2', NOW + 10, NOW + 70)).toBe('replay');
    expect(c.claim('a', 'h2', NOW + 10, NOW + 71)).toBe('new');
    expect(c.claim('b', 'h', NOW + 10, NOW)).toBe('new');
    expect(() => c.claim('c', 'h', NOW + 10, NOW)).toThrow(expect.objectContaining({ code: 'busy' }));
    expect(c.claim('c', 'h', NOW + 1000, NOW + 1000)).toBe('new');
    expect([...c.dump(NOW + 1000)].map((e) => e.jti)).toEqual(['c']);
  });
});

describe('interop with jose (independent implementation)', () => {
  it('a command signed by jose verifies here (JWK key)', async () => {
    const pair = generateKeyPairSync('ed25519');
    const jwk = await exportJWK(pair.privateKey);
    const key = await importJWK(jwk, 'EdDSA');
    const token = await new CompactSign(
      new TextEncoder().encode(JSON.stringify({ ...baseClaims(), iss: 'jose-1' })),
    )
      .setProtectedHeader({ alg: 'EdDSA', kid: 'jose-1', typ: 'pbxlink-cmd+jwt' })
      .sign(key);
    const { d: _d, ...pub } = jwk;
    const v = verifyCommand(token, {
      agentId: AGENT,
      nowSecs: NOW,
      resolveKey: () => ({ publicKey: loadPub(pub), scopes: ['read'] }),
    });
    expect(v.claims.iss).toBe('jose-1');
  });
  it('a command signed here verifies with jose (PEM keys)', async () => {
    const pkcs8 = good.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const token = signCommand(
      { aud: AGENT, cmd: 'cdr.query', args: { limit: 5 } },
      { kid: 'ops-1', privateKey: pkcs8, nowSecs: NOW },
    );
    const pub = await importSPKI(publicPem(good.publicKey), 'EdDSA');
    const { payload, protectedHeader } = await compactVerify(token, pub);
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: 'ops-1', typ: 'pbxlink-cmd+jwt' });
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({
      aud: AGENT,
      cmd: 'cdr.query',
      args: { limit: 5 },
    });
  });
  it('keys exported by jose load here, and ours load in jose', async () => {
    const pair = generateKeyPairSync('ed25519');
    const josePem = await exportPKCS8(pair.privateKey);
    const token = signCommand(
      { aud: AGENT, cmd: 'agent.info' },
      { kid: 'k', privateKey: josePem, nowSecs: NOW },
    );
    const spki = await exportSPKI(pair.publicKey);
    expect(
      verifyCommand(token, {
        agentId: AGENT,
        nowSecs: NOW,
        resolveKey: () => ({ publicKey: loadPub(spki), scopes: [] }),
      }).claims.cmd,
    ).toBe('agent.info');
    await expect(
      importPKCS8(good.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'EdDSA'),
    ).resolves.toBeDefined();
    await expect(importJWK(publicJwk(good.publicKey), 'EdDSA')).resolves.toBeDefined();
  });
  it('signs with a private JWK', () => {
    const jwk = good.privateKey.export({ format: 'jwk' });
    const token = signCommand(
      { aud: AGENT, cmd: 'agent.info' },
      { kid: 'ops-1', privateKey: jwk, nowSecs: NOW },
    );
    expect(verifyCommand(token, opts()).claims.cmd).toBe('agent.info');
    expect(() =>
      signCommand(
        { aud: AGENT, cmd: 'x' },
        {
          kid: 'ops-1',
          privateKey: createPrivateKey(good.privateKey.export({ format: 'pem', type: 'pkcs8' }))
            .export({ format: 'pem', type: 'pkcs8' })
            .toString(),
        },
      ),
    ).not.toThrow();
  });
});

describe('signCommand guards', () => {
  it('refuses to sign a lifetime the agent would refuse', () => {
    expect(() =>
      signCommand(
        { aud: AGENT, cmd: 'agent.info' },
        { kid: 'ops-1', privateKey: good.privateKey, lifetimeS: 301 },
      ),
    ).toThrow(expect.objectContaining({ code: 'invalid_args' }));
    expect(() =>
      signCommand({ aud: AGENT, cmd: 'agent.info' }, { kid: 'bad kid', privateKey: good.privateKey }),
    ).toThrow(expect.objectContaining({ code: 'invalid_args' }));
    expect(() =>
      signCommand({ aud: AGENT, cmd: 'agent.info' }, { kid: 'ops-1', privateKey: good.publicKey }),
    ).toThrow(expect.objectContaining({ code: 'invalid_args' }));
  });
});
