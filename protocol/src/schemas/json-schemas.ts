import type { TSchema } from '@sinclair/typebox';
import { CommandClaims, CommandHeader } from './claims';
import { EnvelopeOf, EnvelopeSchema, ReplySchema } from './envelope';
import { COMMANDS, EVENTS, STATES } from './registry';
import { StatusPayload } from './status';

const DRAFT = 'http://json-schema.org/draft-07/schema#';

/** Standalone JSON Schema document (draft-07) of a TypeBox schema, with a title. */
function doc(title: string, schema: TSchema): Record<string, unknown> {
  return { $schema: DRAFT, title, ...JSON.parse(JSON.stringify(schema)) };
}

/** Every JSON Schema file of protocol/schemas/, keyed by file name: envelopes, replies, claims, status, each state/event envelope, each command's args/result/part. */
export function buildJsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {
    'envelope.json': doc('pbxlink snapshot/event envelope (any type)', EnvelopeSchema),
    'reply.json': doc('pbxlink command reply (ok, part, done or error)', ReplySchema),
    'command-header.json': doc('pbxlink command JWS protected header', CommandHeader),
    'command-claims.json': doc('pbxlink command claims (JWS payload)', CommandClaims),
    'status.json': doc('pbxlink P/A/status payload (birth or will)', StatusPayload),
  };
  for (const s of STATES)
    out[`state.${s.name}.json`] = doc(
      `pbxlink state.${s.name} envelope`,
      EnvelopeOf(`state.${s.name}`, s.schema),
    );
  for (const e of EVENTS)
    out[`event.${e.name}.json`] = doc(`pbxlink ${e.name} event envelope`, EnvelopeOf(e.name, e.schema));
  for (const c of COMMANDS) {
    out[`cmd.${c.name}.args.json`] = doc(`pbxlink ${c.name} args`, c.args);
    out[`cmd.${c.name}.result.json`] = doc(
      `pbxlink ${c.name} result data${c.part ? ' (done reply)' : ''}`,
      c.result,
    );
    if (c.part) out[`cmd.${c.name}.part.json`] = doc(`pbxlink ${c.name} part data`, c.part);
  }
  return out;
}

/** File text of one generated schema (2-space JSON, trailing newline). */
export function renderJsonSchema(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
