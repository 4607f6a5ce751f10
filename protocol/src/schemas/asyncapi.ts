import { createPrivateKey } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import { stringify } from 'yaml';
import { ERROR_CODE_TEXT, ERROR_CODES } from '../errors';
import { signCommand } from '../signing';
import { CommandClaims, CommandHeader } from './claims';
import { ErrorBody } from './envelope';
import { COMMANDS, EVENTS, STATES } from './registry';
import { StatusBirth, StatusWill } from './status';
import { STATUS_EXAMPLES } from './status-examples';

/** Example-only Ed25519 key (fixed seed, trusted nowhere) so the document's command examples are real, deterministic JWS. */
export function exampleSigningKey() {
  return createPrivateKey({
    key: Buffer.from(`302e020100300506032b657004220420${'42'.repeat(32)}`, 'hex'),
    format: 'der',
    type: 'pkcs8',
  });
}
const AGENT = 'pbx-101';
const PREFIX = 'pbxlink/v1';
const BOOT = '5b0c6c7e-8f7d-4a55-9a51-0f2b2c1d9e01';
const TS = '2026-01-15T10:20:30.000Z';
const IAT = 1_768_472_430;

/** Plain JSON of a TypeBox schema (drops TypeBox's symbol keys). */
const plain = (s: TSchema): Record<string, unknown> => JSON.parse(JSON.stringify(s));
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const msgRef = (channel: string, msg: string) => ({ $ref: `#/channels/${channel}/messages/${msg}` });

/** Envelope schema whose data is a component reference. */
function envelopeOf(type: string, dataRef: string) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['v', 'agent', 'boot_id', 'seq', 'ts', 'type', 'data'],
    properties: {
      v: { const: 1 },
      agent: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      boot_id: { type: 'string', maxLength: 64 },
      seq: { type: 'integer', minimum: 0 },
      ts: { type: 'string', description: 'ISO-8601 UTC' },
      type: { const: type },
      data: ref(dataRef),
    },
  };
}

/** Reply schema (ok, part or done) whose data is a component reference. */
function replyOf(kind: 'ok' | 'part' | 'done', dataRef: string) {
  const props: Record<string, unknown> = {
    v: { const: 1 },
    id: { type: 'string', maxLength: 128, description: 'the command jti' },
    ok: { const: true },
  };
  if (kind === 'part') props.part = { type: 'integer', minimum: 1 };
  if (kind === 'done') props.done = { const: true };
  props.data = ref(dataRef);
  return { type: 'object', additionalProperties: false, required: Object.keys(props), properties: props };
}

const env = (type: string, data: unknown, seq: number) => ({
  v: 1,
  agent: AGENT,
  boot_id: BOOT,
  seq,
  ts: TS,
  type,
  data,
});
const example = (name: string, payload: unknown) => [{ name, payload }];

/** Builds the AsyncAPI 3.0 document of the wire contract from the registry (agent's point of view: it sends state/events/replies, receives commands). */
export function buildAsyncApi(version = '1.0.0'): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    'status.birth': plain(StatusBirth),
    'status.will': plain(StatusWill),
    'command.header': plain(CommandHeader),
    'command.claims': plain(CommandClaims),
    'reply.error': {
      type: 'object',
      additionalProperties: false,
      required: ['v', 'id', 'ok', 'error'],
      properties: {
        v: { const: 1 },
        id: { type: 'string', maxLength: 128 },
        ok: { const: false },
        error: plain(ErrorBody),
      },
    },
  };
  const channels: Record<string, Record<string, unknown>> = {};
  const operations: Record<string, unknown> = {};
  const agentParam = { agent: { description: 'agent id, [A-Za-z0-9_-]{1,64}' } };
  const channel = (
    key: string,
    address: string,
    description: string,
    messages: Record<string, unknown>,
    extraParams = {},
  ) => {
    channels[key] = {
      address: `${PREFIX}/{agent}/${address}`,
      description,
      parameters: { ...agentParam, ...extraParams },
      messages,
    };
  };
  const op = (key: string, action: 'send' | 'receive', ch: string, summary: string) => {
    operations[key] = {
      action,
      summary,
      channel: { $ref: `#/channels/${ch}` },
      messages: Object.keys(channels[ch]?.messages ?? {}).map((m) => msgRef(ch, m)),
    };
  };

  channel(
    'status',
    'status',
    'Retained, QoS 1. Birth after the cmd subscription is acknowledged, published again (same boot_id) when its pbx facts become known or change; last will / clean stop when offline.',
    {
      'status.birth': {
        name: 'status.birth',
        payload: ref('status.birth'),
        examples: example('online', STATUS_EXAMPLES.birth),
      },
      'status.will': {
        name: 'status.will',
        payload: ref('status.will'),
        examples: example('offline', STATUS_EXAMPLES.will),
      },
    },
  );
  op('publishStatus', 'send', 'status', 'Birth and last will.');

  for (const s of STATES) {
    schemas[`state.${s.name}`] = plain(s.schema);
    const key = `state.${s.name}`;
    channel(key, `state/${s.name}`, `Retained, QoS 1. ${s.description}`, {
      [key]: {
        name: key,
        title: `state.${s.name} snapshot`,
        payload: envelopeOf(`state.${s.name}`, key),
        examples: example(s.name, env(`state.${s.name}`, s.example, 41)),
      },
    });
    op(`publishState.${s.name}`, 'send', key, s.description);
  }
  for (const e of EVENTS) {
    const key = `event.${e.name}`;
    schemas[key] = plain(e.schema);
    channel(`events.${e.name}`, `events/${e.name}`, `Not retained, QoS 1. ${e.description}`, {
      [key]: {
        name: e.name,
        payload: envelopeOf(e.name, key),
        examples: example(e.name, env(e.name, e.example, 42)),
      },
    });
    op(`publishEvent.${e.name}`, 'send', `events.${e.name}`, e.description);
  }

  const exampleKey = exampleSigningKey();
  const cmdMessages: Record<string, unknown> = {};
  const replyMessages: Record<string, unknown> = {};
  for (const c of COMMANDS) {
    const jti = `example-${c.name.replace('.', '-')}`;
    schemas[`cmd.${c.name}.args`] = plain(c.args);
    schemas[`cmd.${c.name}.result`] = plain(c.result);
    if (c.part) schemas[`cmd.${c.name}.part`] = plain(c.part);
    const token = signCommand(
      {
        aud: AGENT,
        jti,
        cmd: c.name,
        args: c.example.args as Record<string, unknown>,
        reply_to: `${PREFIX}/${AGENT}/reply/ops-cli/${jti}`,
      },
      { kid: 'ops-1', privateKey: exampleKey, nowSecs: IAT },
    );
    cmdMessages[`cmd.${c.name}`] = {
      name: c.name,
      summary: c.description,
      description: `Scope \`${c.scope}\`. Payload: compact JWS (EdDSA) whose claims (components/schemas/command.claims) carry \`cmd: "${c.name}"\` and \`args\` per components/schemas/cmd.${c.name}.args.`,
      contentType: 'application/jose',
      payload: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
        maxLength: 16384,
      },
      'x-pbxlink-scope': c.scope,
      'x-pbxlink-args': ref(`cmd.${c.name}.args`),
      examples: example(c.name, token),
    };
    const parts = c.example.parts ?? [];
    if (c.part) {
      replyMessages[`reply.${c.name}.part`] = {
        name: `${c.name} part`,
        payload: replyOf('part', `cmd.${c.name}.part`),
        examples: example(`${c.name} part`, { v: 1, id: jti, ok: true, part: 1, data: parts[0] }),
      };
      replyMessages[`reply.${c.name}.done`] = {
        name: `${c.name} done`,
        payload: replyOf('done', `cmd.${c.name}.result`),
        examples: example(`${c.name} done`, { v: 1, id: jti, ok: true, done: true, data: c.example.result }),
      };
    } else {
      replyMessages[`reply.${c.name}`] = {
        name: `${c.name} reply`,
        payload: replyOf('ok', `cmd.${c.name}.result`),
        examples: example(`${c.name} ok`, { v: 1, id: jti, ok: true, data: c.example.result }),
      };
    }
  }
  replyMessages['reply.error'] = {
    name: 'error reply',
    description: ERROR_CODES.map((code) => `\`${code}\`: ${ERROR_CODE_TEXT[code]}`).join('\n\n'),
    payload: ref('reply.error'),
    examples: example('invalid args', {
      v: 1,
      id: 'example-extensions-get',
      ok: false,
      error: {
        code: 'invalid_args',
        message: "invalid arguments for extensions.get: account: Expected string to match '^[0-9]{1,20}$'",
        details: { problems: [{ path: '/account', message: "Expected string to match '^[0-9]{1,20}$'" }] },
      },
    }),
  };
  channel(
    'cmd',
    'cmd',
    'Not retained, QoS 1. Signed commands (the agent subscribes with a persistent session).',
    cmdMessages,
  );
  op('receiveCommand', 'receive', 'cmd', 'Signed commands to run.');
  channel(
    'reply',
    'reply/{suffix}',
    'Not retained, QoS 1. Replies to commands: the MQTT 5 Response Topic or claim reply_to, which must lie under P/A/reply/.',
    replyMessages,
    {
      suffix: { description: 'chosen by the consumer; may hold several levels' },
    },
  );
  op('sendReply', 'send', 'reply', 'Replies: ok, parts then done, or error.');
  channel(
    'blob',
    'blob/{transfer_id}/{index}',
    'Not retained, QoS 1. Raw bytes of one chunk of a file transfer (recordings.get).',
    {
      'blob.chunk': {
        name: 'blob chunk',
        contentType: 'application/octet-stream',
        payload: {
          type: 'string',
          format: 'binary',
          description: 'raw bytes, chunk_size long except the last',
        },
        examples: example('chunk', 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA='),
      },
    },
    {
      transfer_id: { description: 'from the first recordings.get part' },
      index: { description: 'chunk index from 0' },
    },
  );
  op('sendBlob', 'send', 'blob', 'File transfer chunks.');

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'pbxlink',
      version,
      description:
        'The MQTT contract of pbxlink, the on-box agent for Asterisk/FreePBX. Topic prefix `pbxlink/v1` is the default (PBXLINK_TOPIC_PREFIX). Generated from protocol/src/schemas by scripts/gen-asyncapi.ts; do not edit by hand.',
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { schemas },
  };
}

/** The AsyncAPI document as YAML text (what protocol/asyncapi.yaml holds). */
export function renderAsyncApiYaml(version?: string): string {
  return `# Generated by scripts/gen-asyncapi.ts from protocol/src/schemas; do not edit.\n${stringify(buildAsyncApi(version), { aliasDuplicateObjects: false, lineWidth: 0, version: '1.1' })}`;
}
