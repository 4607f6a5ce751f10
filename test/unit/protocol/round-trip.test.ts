import { describe, expect, it } from 'vitest';
import {
  doneReply,
  errorReply,
  makeEnvelope,
  okReply,
  parseEnvelope,
  parseReply,
  partReply,
  stateType,
} from '../../../protocol/src/envelope';
import { ERROR_CODES } from '../../../protocol/src/errors';
import {
  COMMANDS,
  EnvelopeOf,
  EVENTS,
  findEvent,
  findState,
  ReplyDoneOf,
  ReplyErrorSchema,
  ReplyOkOf,
  ReplyPartOf,
  STATES,
  StatusPayload,
  validate,
  validateArgs,
} from '../../../protocol/src/schemas/index';
import { generateKeyPair, signCommand, verifyCommand } from '../../../protocol/src/signing';
import { agentTopics, isReplyTopicFor, parseTopic } from '../../../protocol/src/topics';

const P = 'acme/pbx/v1';
const A = 'pbx-101';
const T = agentTopics(P, A);
const keys = generateKeyPair();
const wire = (v: unknown) => Buffer.from(JSON.stringify(v));
let seq = 0;
const envelope = (type: string, data: unknown) =>
  makeEnvelope({ agent: A, boot_id: 'boot-1', seq: ++seq, type, data });

/** Drops the first required property of an object schema from a copy of `value`. */
function withoutFirstRequired(schema: unknown, value: unknown): unknown {
  const key = (schema as { required?: string[] }).required?.[0];
  if (!key || typeof value !== 'object' || value === null) return undefined;
  const { [key]: _gone, ...rest } = value as Record<string, unknown>;
  return rest;
}

describe('state snapshots: build → topic → parse → validate', () => {
  it.each(STATES.map((s) => [s.name, s] as const))('state.%s', (name, spec) => {
    const topic = T.state(name);
    const payload = wire(envelope(stateType(name), spec.example));
    const parsed = parseTopic(P, topic);
    expect(parsed).toEqual({ kind: 'state', agent: A, name });
    const st = findState(parsed?.kind === 'state' ? parsed.name : '');
    const env = parseEnvelope(payload);
    expect(env?.type).toBe(`state.${name}`);
    expect(st && validate(EnvelopeOf(`state.${name}`, st.schema), env)).toEqual({
      ok: true,
      value: JSON.parse(payload.toString()),
    });
    expect(validate(spec.schema, withoutFirstRequired(spec.schema, spec.example)).ok).toBe(false);
  });
});

describe('events: build → topic → parse → validate', () => {
  it.each(EVENTS.map((e) => [e.name, e] as const))('%s', (name, spec) => {
    const topic = T.event(name);
    const payload = wire(envelope(name, spec.example));
    const parsed = parseTopic(P, topic);
    expect(parsed).toEqual({ kind: 'event', agent: A, type: name });
    const ev = findEvent(parsed?.kind === 'event' ? parsed.type : '');
    expect(ev && validate(EnvelopeOf(name, ev.schema), parseEnvelope(payload)).ok).toBe(true);
    expect(validate(spec.schema, withoutFirstRequired(spec.schema, spec.example)).ok).toBe(false);
  });
});

describe('status', () => {
  it.each([
    [
      'birth',
      {
        online: true,
        agent: A,
        boot_id: 'b',
        version: '0.1.0',
        started_at: '2026-01-01T00:00:00Z',
        capabilities: [],
        pbx: { dialect: null, asterisk_version: null, ami_version: null, chan_sip: null, pjsip: null },
      },
    ],
    ['will', { online: false, agent: A, boot_id: 'b', reason: 'connection_lost' }],
  ])('%s', (_n, body) => {
    expect(parseTopic(P, T.status)).toEqual({ kind: 'status', agent: A });
    expect(validate(StatusPayload, JSON.parse(wire(body).toString())).ok).toBe(true);
    expect(validate(StatusPayload, { ...body, online: 'yes' }).ok).toBe(false);
  });
});

describe('commands and their replies: sign → topic → verify → validate; reply → topic → parse → validate', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s', (name, spec) => {
    const replyTopic = T.reply(`ops/${name}`);
    const token = signCommand(
      { aud: A, cmd: name, args: spec.example.args as Record<string, unknown>, reply_to: replyTopic },
      { kid: 'ops-1', privateKey: keys.privateKey },
    );
    expect(parseTopic(P, T.cmd)).toEqual({ kind: 'cmd', agent: A });
    const v = verifyCommand(Buffer.from(token), {
      agentId: A,
      resolveKey: () => ({ publicKey: keys.publicKey, scopes: [spec.scope] }),
    });
    expect(v.claims.cmd).toBe(name);
    expect(validateArgs(name, v.claims.args)).toEqual({ ok: true, value: spec.example.args });
    expect(isReplyTopicFor(P, A, v.claims.reply_to)).toBe(true);

    const id = v.claims.jti;
    const replies: Array<[unknown, object]> = [];
    if (spec.part) {
      for (const [i, p] of (spec.example.parts ?? []).entries()) {
        replies.push([partReply(id, i + 1, p), ReplyPartOf(spec.part)]);
      }
      replies.push([doneReply(id, spec.example.result), ReplyDoneOf(spec.result)]);
    } else {
      replies.push([okReply(id, spec.example.result), ReplyOkOf(spec.result)]);
    }
    replies.push([errorReply(id, 'unavailable', 'AMI is down'), ReplyErrorSchema]);
    for (const [reply, schema] of replies) {
      const back = parseReply(wire(reply));
      expect(back).toEqual(reply);
      expect(validate(schema as never, back)).toEqual({ ok: true, value: reply });
    }
    expect(validate(spec.result, withoutFirstRequired(spec.result, spec.example.result)).ok).toBe(false);
  });

  it.each([...ERROR_CODES])('error reply with code %s', (code) => {
    const r = errorReply('j', code, 'text', { problems: [] });
    expect(validate(ReplyErrorSchema, parseReply(wire(r))).ok).toBe(true);
  });
});

describe('blob chunks', () => {
  it('topic round trip for the transfer announced by recordings.get', () => {
    const meta = COMMANDS.find((c) => c.name === 'recordings.get')?.example.parts?.[0] as {
      transfer_id: string;
      chunks: number;
    };
    for (let i = 0; i < meta.chunks; i++) {
      expect(parseTopic(P, T.blob(meta.transfer_id, i))).toEqual({
        kind: 'blob',
        agent: A,
        transferId: meta.transfer_id,
        index: i,
      });
    }
  });
});
