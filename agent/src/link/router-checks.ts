/** The router's pure checks: where a command's replies may go, and whether its caller may run it with these args. */
import { hasScope } from '../../../protocol/src/keys';
import { findCommand } from '../../../protocol/src/schemas/registry';
import { checkCommand, validate } from '../../../protocol/src/schemas/validate';
import { isReplyTopicFor } from '../../../protocol/src/topics';
import type { CommandHandler } from '../commands/types';
import { PbxlinkError } from '../core/errors';
import type { ReplyDestination } from './replies';
import type { IncomingMessage } from './session';

/** Reads `reply_to` from a token's payload WITHOUT verifying it (the destination of a rejection reply); bounded. */
export function peekReplyTo(token: Buffer | string): string | undefined {
  const text = typeof token === 'string' ? token : token.toString('utf8');
  if (text.length > 16 * 1024) return undefined;
  const payload = text.trim().split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { reply_to?: unknown };
    return typeof claims?.reply_to === 'string' ? claims.reply_to : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The reply destination of a message (DESIGN.md "Commands"): the MQTT 5 Response Topic when present (Correlation
 * Data echoed), else `reply_to`; it must lie under `P/A/reply/`, else `{refused}` says why (no reply is sent).
 */
export function replyDestination(
  prefix: string,
  agent: string,
  msg: Pick<IncomingMessage, 'payload' | 'properties'>,
): { ok: true; dest: ReplyDestination } | { ok: false; reason: string } {
  const responseTopic = msg.properties.responseTopic;
  const topic = responseTopic ?? peekReplyTo(msg.payload);
  if (topic === undefined) return { ok: false, reason: 'no reply topic (MQTT 5 Response Topic or reply_to)' };
  if (!isReplyTopicFor(prefix, agent, topic)) {
    const what = responseTopic === undefined ? 'reply_to' : 'Response Topic';
    return {
      ok: false,
      reason: `${what} ${JSON.stringify(topic.slice(0, 300))} is not under ${prefix}/${agent}/reply/`,
    };
  }
  const cd = msg.properties.correlationData;
  return { ok: true, dest: cd ? { topic, correlationData: Buffer.from(cd) } : { topic } };
}

/**
 * After verification, in DESIGN.md order: no such command (or none on this agent) → unknown_command; outside the
 * key's scopes (`admin` = all) → forbidden; args failing the schema → invalid_args with `{problems}` naming each
 * argument. Commands of the wire contract are checked against the protocol registry; a handler outside it against
 * its own scope and schema. Returns the handler and the validated args.
 */
export function authorize(
  handlers: ReadonlyMap<string, CommandHandler>,
  cmd: string,
  scopes: readonly string[],
  args: unknown,
): { handler: CommandHandler; args: Record<string, unknown> } {
  const handler = handlers.get(cmd);
  const spec = findCommand(cmd);
  if (!handler) {
    throw new PbxlinkError(
      'unknown_command',
      spec ? `${cmd} is not available on this agent` : `unknown command ${JSON.stringify(cmd)}`,
    );
  }
  if (spec) return { handler, args: checkCommand(cmd, scopes, args ?? {}).args };
  if (!hasScope(scopes, handler.scope)) {
    throw new PbxlinkError('forbidden', `${cmd} needs scope ${handler.scope}`, {
      details: { scope: handler.scope },
    });
  }
  const checked = validate(handler.args, args ?? {});
  if (!checked.ok) {
    const text = checked.problems
      .map((p) => `${p.path === '' ? 'args' : p.path.slice(1)}: ${p.message}`)
      .join('; ');
    throw new PbxlinkError('invalid_args', `invalid arguments for ${cmd}: ${text}`, {
      details: { problems: checked.problems },
    });
  }
  return { handler, args: checked.value as Record<string, unknown> };
}
