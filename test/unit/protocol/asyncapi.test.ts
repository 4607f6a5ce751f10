import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAsyncApiYaml } from '../../../protocol/src/schemas/asyncapi';
import { renderEventDocs } from '../../../protocol/src/schemas/docs';
import {
  COMMANDS,
  EnvelopeOf,
  EVENTS,
  findCommand,
  ReplyDoneOf,
  ReplyErrorSchema,
  ReplyOkOf,
  ReplyPartOf,
  STATES,
  StatusBirth,
  StatusWill,
  validate,
  validateArgs,
} from '../../../protocol/src/schemas/index';
import { buildJsonSchemas } from '../../../protocol/src/schemas/json-schemas';
import { verifyCommand } from '../../../protocol/src/signing';

const ROOT = join(import.meta.dirname, '../../..');
const YAML_PATH = join(ROOT, 'protocol/asyncapi.yaml');
const SCHEMA_DIR = join(ROOT, 'protocol/schemas');
const committed = readFileSync(YAML_PATH, 'utf8');
type Msg = { examples?: Array<{ payload: unknown }> };
const doc = parse(committed, { version: '1.1' }) as {
  channels: Record<string, { address: string; messages: Record<string, Msg> }>;
};
const REGEN = 'run `npx tsx scripts/gen-asyncapi.ts` and commit the result';

describe('generated artefacts match the code (drift)', () => {
  it(`protocol/asyncapi.yaml is up to date (${REGEN})`, () => {
    expect(committed === renderAsyncApiYaml(), REGEN).toBe(true);
  });

  it(`docs/events.md is up to date (${REGEN})`, () => {
    expect(readFileSync(join(ROOT, 'docs/events.md'), 'utf8') === renderEventDocs(), REGEN).toBe(true);
  });
  it(`protocol/schemas/*.json are up to date (${REGEN})`, () => {
    const files = buildJsonSchemas();
    expect(
      readdirSync(SCHEMA_DIR)
        .filter((f) => f.endsWith('.json'))
        .sort(),
      REGEN,
    ).toEqual(Object.keys(files).sort());
    for (const [name, schema] of Object.entries(files)) {
      // content and key order must match; the layout is the formatter's (biome)
      const onDisk = JSON.stringify(JSON.parse(readFileSync(join(SCHEMA_DIR, name), 'utf8')));
      expect(onDisk, `${name}: ${REGEN}`).toBe(JSON.stringify(schema));
    }
  });
});

describe('AsyncAPI document', () => {
  it('validates with @asyncapi/parser without errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(committed);
    const serious = diagnostics
      .filter((d) => d.severity <= 1)
      .map((d) => `${d.code} ${d.message} at ${d.path.join('.')}`);
    expect(serious).toEqual([]);
    expect(document).toBeDefined();
    expect(document?.channels().length).toBe(Object.keys(doc.channels).length);
  });

  it('has a channel and messages for every command, event and state, and nothing else', () => {
    const msgs = (ch: string) => Object.keys(doc.channels[ch]?.messages ?? {}).sort();
    expect(msgs('cmd')).toEqual(COMMANDS.map((c) => `cmd.${c.name}`).sort());
    const replies = COMMANDS.flatMap((c) =>
      c.part ? [`reply.${c.name}.done`, `reply.${c.name}.part`] : [`reply.${c.name}`],
    );
    expect(msgs('reply')).toEqual([...replies, 'reply.error'].sort());
    const expected: Record<string, string> = {
      status: 'pbxlink/v1/{agent}/status',
      cmd: 'pbxlink/v1/{agent}/cmd',
      reply: 'pbxlink/v1/{agent}/reply/{suffix}',
      blob: 'pbxlink/v1/{agent}/blob/{transfer_id}/{index}',
    };
    for (const s of STATES) expected[`state.${s.name}`] = `pbxlink/v1/{agent}/state/${s.name}`;
    for (const e of EVENTS) expected[`events.${e.name}`] = `pbxlink/v1/{agent}/events/${e.name}`;
    expect(Object.fromEntries(Object.entries(doc.channels).map(([k, v]) => [k, v.address]))).toEqual(
      expected,
    );
    for (const s of STATES) expect(msgs(`state.${s.name}`)).toEqual([`state.${s.name}`]);
    for (const e of EVENTS) expect(msgs(`events.${e.name}`)).toEqual([`event.${e.name}`]);
    expect(msgs('status')).toEqual(['status.birth', 'status.will']);
  });

  it('every message has an example, and each example is valid per the code schemas', () => {
    const examplePub = createPublicKey(
      createPrivateKey({
        key: Buffer.from(`302e020100300506032b657004220420${'42'.repeat(32)}`, 'hex'),
        format: 'der',
        type: 'pkcs8',
      }),
    );
    const schemaFor = (channel: string, msg: string): TSchema | 'jws' | 'blob' => {
      if (msg === 'status.birth') return StatusBirth;
      if (msg === 'status.will') return StatusWill;
      if (msg === 'reply.error') return ReplyErrorSchema;
      if (msg === 'blob.chunk') return 'blob';
      if (channel === 'cmd') return 'jws';
      const s = STATES.find((x) => msg === `state.${x.name}`);
      if (s) return EnvelopeOf(`state.${s.name}`, s.schema);
      const e = EVENTS.find((x) => msg === `event.${x.name}`);
      if (e) return EnvelopeOf(e.name, e.schema);
      const m = /^reply\.(.+?)(\.part|\.done)?$/.exec(msg);
      const c = m && findCommand(m[1] ?? '');
      if (c && m?.[2] === '.part' && c.part) return ReplyPartOf(c.part);
      if (c && m?.[2] === '.done') return ReplyDoneOf(c.result);
      if (c && !m?.[2]) return ReplyOkOf(c.result);
      throw new Error(`message ${msg} in ${channel} has no counterpart in the code`);
    };
    let checked = 0;
    for (const [channel, ch] of Object.entries(doc.channels)) {
      for (const [name, msg] of Object.entries(ch.messages)) {
        expect(msg.examples?.length, `${name} has an example`).toBeGreaterThan(0);
        for (const ex of msg.examples ?? []) {
          const schema = schemaFor(channel, name);
          if (schema === 'blob') expect(typeof ex.payload).toBe('string');
          else if (schema === 'jws') {
            const v = verifyCommand(String(ex.payload), {
              agentId: 'pbx-101',
              nowSecs: 1_768_472_430,
              resolveKey: () => ({ publicKey: examplePub, scopes: ['admin'] }),
            });
            expect(`cmd.${v.claims.cmd}`).toBe(name);
            expect(validateArgs(v.claims.cmd, v.claims.args).ok, name).toBe(true);
          } else {
            const r = validate(schema, ex.payload);
            expect(r, `${name}: ${JSON.stringify(r)}`).toEqual({ ok: true, value: ex.payload });
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(COMMANDS.length * 2);
  });

  it('exports a JSON Schema for every command args/result, event, state', () => {
    for (const c of COMMANDS) {
      expect(existsSync(join(SCHEMA_DIR, `cmd.${c.name}.args.json`))).toBe(true);
      expect(existsSync(join(SCHEMA_DIR, `cmd.${c.name}.result.json`))).toBe(true);
    }
    for (const e of EVENTS) expect(existsSync(join(SCHEMA_DIR, `event.${e.name}.json`))).toBe(true);
    for (const s of STATES) expect(existsSync(join(SCHEMA_DIR, `state.${s.name}.json`))).toBe(true);
    const args = JSON.parse(readFileSync(join(SCHEMA_DIR, 'cmd.extensions.create.args.json'), 'utf8'));
    expect(args).toMatchObject({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: false,
      required: ['account'],
    });
  });
});
