/**
 * Generates docs/commands.md from the protocol registry (every command, its scope, args, an example request via
 * pbxctl and the example replies), so the document cannot drift from the contract. The drift test compares;
 * `UPDATE_DOCS=1 npx vitest run test/unit/router/commands-doc.test.ts` rewrites it.
 */
import type { TSchema } from '@sinclair/typebox';
import { errorReply, type Reply } from '../../../protocol/src/envelope';
import { ERROR_CODE_TEXT, ERROR_CODES } from '../../../protocol/src/errors';
import { COMMANDS, type CommandSpec } from '../../../protocol/src/schemas/registry';

const AGENT = 'pbx-101';
const JTI = '0f6b1c2e-7d4a-4c1b-9a55-3e2f1d0c9b8a';

/** A short type name of a JSON Schema node. */
function typeOf(s: TSchema): string {
  const x = s as { type?: string; anyOf?: TSchema[]; const?: unknown; items?: TSchema; enum?: unknown[] };
  if (x.const !== undefined) return JSON.stringify(x.const);
  if (x.anyOf) return x.anyOf.map(typeOf).join(' \\| ');
  if (x.type === 'array' && x.items) return `${typeOf(x.items)}[]`;
  return x.type ?? 'any';
}

function describeArg(s: TSchema): string {
  const x = s as {
    description?: string;
    minimum?: number;
    maximum?: number;
    maxLength?: number;
    pattern?: string;
  };
  const bits: string[] = [];
  if (x.description) bits.push(x.description);
  if (x.minimum !== undefined || x.maximum !== undefined)
    bits.push(`${x.minimum ?? '…'}..${x.maximum ?? '…'}`);
  if (x.maxLength !== undefined && !x.pattern) bits.push(`≤ ${x.maxLength} chars`);
  return bits.join('; ').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function argsTable(spec: CommandSpec): string {
  const props = (spec.args as { properties?: Record<string, TSchema>; required?: string[] }).properties ?? {};
  const required = new Set((spec.args as { required?: string[] }).required ?? []);
  const names = Object.keys(props);
  if (names.length === 0) return 'Arguments: none.\n';
  const rows = names.map(
    (n) =>
      `| \`${n}\` | ${typeOf(props[n]!)} | ${required.has(n) ? 'yes' : 'no'} | ${describeArg(props[n]!)} |`,
  );
  return ['| argument | type | required | notes |', '| --- | --- | --- | --- |', ...rows, ''].join('\n');
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+,-]*$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `--arg` values pbxctl needs for `args` (`k=v` for strings, `k:=JSON` otherwise). */
export function pbxctlArgs(args: Record<string, unknown>): string[] {
  return Object.entries(args).map(([k, v]) =>
    typeof v === 'string' ? `${k}=${v}` : `${k}:=${JSON.stringify(v)}`,
  );
}

/** The pbxctl command line for an example request. */
export function pbxctlLine(cmd: string, args: Record<string, unknown>): string {
  return ['pbxctl send', AGENT, cmd, ...pbxctlArgs(args).flatMap((a) => ['--arg', shellQuote(a)])].join(' ');
}

/** The example replies of a command as they appear on the wire, in order. */
export function exampleReplies(spec: CommandSpec): Reply[] {
  const parts = spec.example.parts ?? [];
  const out: Reply[] = parts.map((data, i) => ({ v: 1, id: JTI, ok: true, part: i + 1, data }));
  out.push(
    parts.length > 0
      ? { v: 1, id: JTI, ok: true, done: true, data: spec.example.result }
      : { v: 1, id: JTI, ok: true, data: spec.example.result },
  );
  return out;
}

function section(spec: CommandSpec): string {
  const replies = exampleReplies(spec)
    .map((r) => JSON.stringify(r))
    .join('\n');
  return [
    `### \`${spec.name}\``,
    '',
    `Scope \`${spec.scope}\`. ${spec.description}`,
    '',
    argsTable(spec),
    'Request:',
    '',
    '```sh',
    pbxctlLine(spec.name, spec.example.args as Record<string, unknown>),
    '```',
    '',
    spec.part ? 'Replies (parts, then the final `done`), one JSON message each:' : 'Reply:',
    '',
    '```json',
    replies,
    '```',
    '',
  ].join('\n');
}

const INTRO = `# Commands

Generated from the protocol registry (\`protocol/src/schemas/registry.ts\`) by
\`test/unit/router/commands-doc.ts\`; a test fails when this file and the registry differ
(\`UPDATE_DOCS=1 npx vitest run test/unit/router/commands-doc.test.ts\` rewrites it).

A command is an Ed25519-signed JWS published to \`P/A/cmd\` (DESIGN.md "Commands"). \`pbxctl send\`
signs it with your key (\`--key\`, \`--kid\`), publishes it with a fresh reply topic under
\`P/A/reply/\` (MQTT 5 Response Topic and Correlation Data, and the signed \`reply_to\`), and prints
the replies. The examples below assume \`PBXCTL_BROKER_URL\`, \`PBXCTL_KEY\` and \`PBXCTL_KID\` are set,
and the agent id \`${AGENT}\`.

## What the agent does with a command

1. **Reply destination.** The MQTT 5 Response Topic when present (its Correlation Data is echoed on
   every reply), else the signed \`reply_to\`. It must lie under \`P/A/reply/\`; otherwise nothing is
   replied and an \`audit\` event with outcome \`refused\` records it.
2. **Verification** (protocol \`verifyCommand\`): alg EdDSA only, a trusted \`kid\`, a valid signature,
   \`aud\` = this agent, \`exp\` not past (60 s skew), \`exp - iat\` ≤ 300 s, a \`jti\` not used by another
   token.
3. **Redelivery.** The byte-identical token again (a QoS 1 redelivery, or a consumer retry) gets the
   first replies again — also after an agent restart — and does not run twice. A different token
   with a used \`jti\` is \`replayed\`. Replies are cached in full up to 64 KB per command; beyond that
   only the final reply is sent again.
4. **Authorization** by the key's scopes (\`admin\` grants all; \`secrets:read\` only widens
   \`extensions.get\`), then **argument validation** against the command's schema: \`invalid_args\`
   with \`details.problems\` naming each bad argument (\`{"path":"/limit","message":…}\`).
5. **Execution** with a per-command timeout (the handler is aborted; reply \`unavailable\`) and a
   concurrency limit (\`commands.concurrency\`; beyond it \`busy\`). Every reply is cached for its
   \`jti\`, errors included, so a retry after \`busy\` or \`unavailable\` must be a new command (new
   \`jti\`; \`pbxctl send\` always makes one): the same token only gets the same answer again.
6. **Replies**: \`{"v":1,"id":JTI,"ok":true,"data":…}\`; long results as parts
   \`{"v":1,"id","ok":true,"part":n,"data":…}\` and a final \`{"v":1,"id","ok":true,"done":true,"data":…}\`;
   errors \`{"v":1,"id","ok":false,"error":{"code","message","details"}}\`: \`details\` is always there,
   \`{}\` when the error has nothing more to say. \`id\` is the command's \`jti\`; when no \`jti\` can be read
   from the token at all (not a JWS, over 16 KB, or a \`jti\` that is not a string of at most 128
   characters) it is \`"-"\`, and only MQTT 5 Correlation Data ties the reply to its command. No message exceeds the
   broker's Maximum Packet Size (96 KB by default, counted as 96,000 bytes). An error that is not one of
   the codes below is \`internal\` with a generic message; its details go to the agent log only.
7. **Audit.** Every command and refusal is appended to \`audit/audit-NNNNNN.jsonl\` in the state dir —
   key id, command, args with secrets masked, outcome, duration, \`prev_hash\` and \`hash\` (sha256
   chain) — and published as an \`audit\` event.

Trusted keys (\`PBXLINK_TRUSTED_KEYS\`) are re-read when the file changes: a key added works at once,
a key removed gets \`unknown_key\`; a file that does not parse (or is briefly missing while an editor
replaces it) keeps the keys in force and logs why.

## Error codes

A command whose reply topic (Response Topic or \`reply_to\`) is not under \`P/A/reply/\` gets no reply at
all (DESIGN.md): the refusal is logged and published as an \`audit\` event with outcome \`refused\`.

| code | meaning |
| --- | --- |
${ERROR_CODES.map((c) => `| \`${c}\` | ${ERROR_CODE_TEXT[c]} |`).join('\n')}

Example (a key without \`read\` asking for \`agent.info\`):

\`\`\`sh
pbxctl send ${AGENT} agent.info --key cdr-only.key
\`\`\`

\`\`\`json
${JSON.stringify(errorReply(JTI, 'forbidden', 'agent.info needs scope read', { scope: 'read' }))}
\`\`\`

## Command reference
`;

/** The whole document. */
export function commandsDoc(): string {
  return `${INTRO}\n${COMMANDS.map(section).join('\n')}`;
}
