/** The rejection matrix of DESIGN.md "Commands", end to end: signed commands through a real Mosquitto to the router. */
import { sign as edSign, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentInfoCommand } from '../../agent/src/commands/agent-info';
import { verifyAuditLog } from '../../agent/src/link/audit';
import { AuditEvent } from '../../protocol/src/schemas/audit';
import { ReplyErrorSchema } from '../../protocol/src/schemas/envelope';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { until } from '../unit/link/harness';
import { type Rig, startRig, testHandlers, testKey } from '../unit/router/harness';

let broker: MosquittoBroker;
let rig: Rig;
const ops = testKey('ops-1', ['read']);
const cdrOnly = testKey('cdr-1', ['cdr:read']);
const secretsOnly = testKey('sec-1', ['secrets:read']);
const stranger = testKey('ops-1', ['read']); // same kid, other key pair: its signatures must fail
const unknown = testKey('nobody', ['admin']);
const counter = { sleeps: 0, aborted: 0 };

beforeAll(async () => {
  broker = await startMosquitto();
  rig = await startRig({
    url: broker.url,
    keys: [ops, cdrOnly, secretsOnly],
    handlers: ({ router }) => [
      createAgentInfoCommand({
        agentId: 'x',
        version: '0.0.0',
        bootId: 'b',
        startedAt: Date.now(),
        ami: { dialect: undefined },
        capabilities: () => router().capabilities,
      }),
      ...testHandlers(counter),
    ],
  });
});
afterAll(async () => {
  await rig?.close();
  await broker?.close();
});

/** Sends a token and returns its single (error) reply. */
async function rejection(token: string, id: string) {
  const from = rig.seen.length;
  await rig.publish(token);
  const [reply] = await rig.replies(id, from);
  expect(Value.Check(ReplyErrorSchema, reply!.json)).toBe(true);
  return reply!.json.error as { code: string; message: string; details?: unknown };
}

/** A token signed with `ops`'s real key over any header and claims (what signCommand would refuse to make). */
function signRaw(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${edSign(null, Buffer.from(input), ops.privateKey).toString('base64url')}`;
}

function claimsFor(jti: string, extra: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'ops-1',
    aud: rig.agent,
    jti,
    iat: now,
    exp: now + 60,
    cmd: 'agent.info',
    reply_to: `${rig.base}/reply/${jti}`,
    ...extra,
  };
}

describe('rejection matrix', () => {
  it('a signature by another key under a trusted kid is bad_signature', async () => {
    const jti = randomUUID();
    const e = await rejection(rig.sign(stranger, { cmd: 'agent.info', jti }), jti);
    expect(e.code).toBe('bad_signature');
  });

  it('a tampered payload is bad_signature', async () => {
    const jti = randomUUID();
    const [h, , s] = rig.sign(ops, { cmd: 'agent.info', jti }).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        iss: 'ops-1',
        aud: rig.agent,
        jti,
        iat: 1,
        exp: 2,
        cmd: 'agent.info',
        reply_to: `${rig.base}/reply/${jti}`,
      }),
    ).toString('base64url');
    expect((await rejection(`${h}.${forged}.${s}`, jti)).code).toBe('bad_signature');
  });

  it('alg other than EdDSA (HS256, none) is bad_signature', async () => {
    for (const alg of ['HS256', 'none']) {
      const jti = randomUUID();
      const e = await rejection(signRaw({ alg, kid: 'ops-1', typ: 'pbxlink-cmd+jwt' }, claimsFor(jti)), jti);
      expect(e.code).toBe('bad_signature');
    }
  });

  it('an unknown kid is unknown_key', async () => {
    const jti = randomUUID();
    expect((await rejection(rig.sign(unknown, { cmd: 'agent.info', jti }), jti)).code).toBe('unknown_key');
  });

  it('an expired command, and one living longer than 300 s, are expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    const e = await rejection(rig.sign(ops, { cmd: 'agent.info', jti, iat: now - 400, exp: now - 100 }), jti);
    expect(e.code).toBe('expired');
    const jti2 = randomUUID();
    const header = { alg: 'EdDSA', kid: 'ops-1', typ: 'pbxlink-cmd+jwt' };
    const long = signRaw(header, claimsFor(jti2, { iat: now, exp: now + 301 }));
    expect((await rejection(long, jti2)).code).toBe('expired');
    // The same header and claims within 300 s are accepted: the refusals above are about time alone.
    const jti3 = randomUUID();
    const from = rig.seen.length;
    await rig.publish(signRaw(header, claimsFor(jti3, { iat: now, exp: now + 300 })));
    expect((await rig.replies(jti3, from))[0]!.json.ok).toBe(true);
  });

  it('a command for another agent is forbidden', async () => {
    const jti = randomUUID();
    const e = await rejection(rig.sign(ops, { cmd: 'agent.info', jti, aud: 'other-agent' }), jti);
    expect(e.code).toBe('forbidden');
  });

  it('a jti reused by a different token is replayed, and the first command keeps its reply', async () => {
    const jti = randomUUID();
    const first = await rig.run(ops, 'agent.info', {}, { jti });
    expect(first[0]!.json.ok).toBe(true);
    const e = await rejection(rig.sign(ops, { cmd: 'test.sleep', args: { ms: 1 }, jti }), jti);
    expect(e.code).toBe('replayed');
  });

  it('a command outside the key scopes is forbidden; secrets:read alone grants nothing', async () => {
    for (const key of [cdrOnly, secretsOnly]) {
      const [r] = await rig.run(key, 'agent.info');
      expect(r!.json.error.code).toBe('forbidden');
      expect(r!.json.error.details).toEqual({ scope: 'read' });
    }
  });

  it('bad args are invalid_args naming each argument', async () => {
    const [r] = await rig.run(ops, 'agent.info', { verbose: true, x: 1 });
    expect(r!.json.error.code).toBe('invalid_args');
    const paths = (r!.json.error.details.problems as { path: string }[]).map((p) => p.path).sort();
    expect(paths).toEqual(['/verbose', '/x']);
    const [s] = await rig.run(ops, 'test.sleep', { ms: 'long' });
    expect(s!.json.error.code).toBe('invalid_args');
    expect(s!.json.error.message).toContain('ms');
  });

  it('an unknown command, and a contract command this agent does not run, are unknown_command', async () => {
    const [a] = await rig.run(ops, 'nope.never');
    expect(a!.json.error.code).toBe('unknown_command');
    const [b] = await rig.run(ops, 'extensions.list');
    expect(b!.json.error.code).toBe('unknown_command');
  });

  it('a garbage payload gets bad_signature on the Response Topic', async () => {
    const from = rig.seen.length;
    const topic = `${rig.base}/reply/garbage-${randomUUID()}`;
    await rig.publish('this is not a jws', { properties: { responseTopic: topic } });
    const [r] = await rig.replies('-', from);
    expect(r!.topic).toBe(topic);
    expect(r!.json.error.code).toBe('bad_signature');
  });

  it('a reply topic outside P/A/reply/ gets no reply, not even elsewhere, and an audit event', async () => {
    const jti = randomUUID();
    const from = rig.seen.length;
    await rig.publish(rig.sign(ops, { cmd: 'agent.info', jti, reply_to: `${rig.base}/elsewhere/${jti}` }));
    const jti2 = randomUUID();
    await rig.publish(rig.sign(ops, { cmd: 'agent.info', jti: jti2 }), {
      properties: { responseTopic: `pbxlink/v1/other-agent/reply/${jti2}` },
    });
    const deadline = Date.now() + 5000;
    const refused = () => rig.audits().filter((a) => a.outcome === 'refused' && [jti, jti2].includes(a.jti));
    while (refused().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(
      refused()
        .map((a) => a.jti)
        .sort(),
    ).toEqual([jti, jti2].sort());
    expect(refused()[0].message).toMatch(/not under/);
    await new Promise((r) => setTimeout(r, 300));
    expect(rig.seen.slice(from).filter((m) => !m.topic.endsWith('/events/audit'))).toEqual([]);
    // And the command did not run: a later correct token with the same jti is new.
    const ok = await rig.run(ops, 'agent.info', {}, { jti });
    expect(ok[0]!.json.ok).toBe(true);
  });

  it('a handler error that is not coded is internal and leaks nothing; a coded one keeps code and details', async () => {
    const [r] = await rig.run(ops, 'test.throw');
    expect(r!.json.error).toEqual({
      code: 'internal',
      message: 'internal error; see the agent log',
      details: {},
    });
    expect(JSON.stringify(rig.seen)).not.toContain('hunter2');
    const [c] = await rig.run(ops, 'test.throw', { coded: true });
    expect(c!.json.error).toEqual({
      code: 'not_found',
      message: 'no such thing',
      details: { what: 'thing' },
    });
  });

  it('every command and refusal is audited, valid per schema, and the chain verifies', async () => {
    const dir = join(rig.stateDir, 'audit');
    // Every record written to the file is also seen as an event (they follow the replies).
    await until(() => rig.audits().length === verifyAuditLog(dir).records, 5000, 'audit events');
    const audits = rig.audits();
    expect(audits.length).toBeGreaterThan(10);
    for (const a of audits) expect(Value.Check(AuditEvent, a)).toBe(true);
    const codes = new Set(audits.map((a) => a.outcome));
    for (const c of [
      'ok',
      'refused',
      'bad_signature',
      'unknown_key',
      'expired',
      'replayed',
      'forbidden',
      'invalid_args',
      'unknown_command',
      'internal',
    ])
      expect(codes).toContain(c);
    for (let i = 1; i < audits.length; i++) expect(audits[i].prev_hash).toBe(audits[i - 1].hash);
    expect(verifyAuditLog(dir)).toMatchObject({ ok: true, problems: [] });
  });
});
