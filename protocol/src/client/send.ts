import type { KeyObject } from 'node:crypto';
import { randomBytes, randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { parseReply } from '../envelope';
import { PbxlinkError } from '../errors';
import { signCommand } from '../signing';
import { agentTopics, DEFAULT_TOPIC_PREFIX, validateAgentId } from '../topics';
import { CommandFailedError, formatSeconds, isFinalReply, type OkReply, ReplyTimeoutError } from './replies';
import { MessageSubscription } from './subscription';

/** Longest command lifetime the agent accepts, `exp - iat` (DESIGN.md "Commands"). */
export const MAX_COMMAND_LIFETIME_S = 300;
/** Default time to wait for a reply (and between parts). */
export const DEFAULT_REPLY_TIMEOUT_MS = 10_000;

/** How to sign and wait for one command. */
export interface SendOptions {
  /** Key id the agent knows the public key by (JWS `kid`, claim `iss`). */
  kid: string;
  /** Ed25519 private key (see signing.loadPrivateKey). */
  privateKey: KeyObject;
  /** Wait this long for the first reply and between replies (default 10 s). */
  timeoutMs?: number;
  /** Topic prefix (default `pbxlink/v1`). */
  prefix?: string;
  /** Command lifetime `exp - iat` in seconds (default 60, at most 300); also the MQTT 5 Message Expiry. */
  lifetimeS?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

/** The replies of one sent command: iterate to get ok replies in order; an error reply is thrown. */
export interface CommandReplies extends AsyncIterable<OkReply> {
  /** The command's jti (every reply carries it as `id`). */
  readonly jti: string;
  /** The topic replies arrive on. */
  readonly replyTopic: string;
  /** Stops waiting and unsubscribes (done automatically at the end of the iteration). */
  close(): Promise<void>;
}

/**
 * Signs `cmd` for `agent`, subscribes to a fresh reply topic under `P/A/reply/`, then publishes the command to
 * `P/A/cmd` (QoS 1, MQTT 5 Response Topic, Correlation Data = jti, Message Expiry = exp - now).
 */
export async function sendCommand(
  client: MqttClient,
  agent: string,
  cmd: string,
  args: Record<string, unknown>,
  opts: SendOptions,
): Promise<CommandReplies> {
  validateAgentId(agent);
  const topics = agentTopics(opts.prefix ?? DEFAULT_TOPIC_PREFIX, agent);
  const now = opts.now ?? Date.now;
  const lifetime = opts.lifetimeS ?? 60;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_COMMAND_LIFETIME_S) {
    throw new PbxlinkError(
      'invalid_args',
      `command lifetime must be 1..${MAX_COMMAND_LIFETIME_S} s, got ${lifetime}`,
    );
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
  const jti = randomUUID();
  const replyTopic = topics.reply(randomBytes(12).toString('base64url'));
  const iat = Math.floor(now() / 1000);
  const exp = iat + lifetime;
  const token = await signCommand(
    { iss: opts.kid, aud: agent, jti, iat, exp, cmd, args, reply_to: replyTopic },
    { kid: opts.kid, privateKey: opts.privateKey },
  );

  // Subscribe before publishing, so no reply can arrive before we listen.
  const sub = await new MessageSubscription(client, [replyTopic]).open();
  try {
    const v5 = client.options.protocolVersion === 5;
    await client.publishAsync(topics.cmd, token, {
      qos: 1,
      ...(v5
        ? {
            properties: {
              responseTopic: replyTopic,
              correlationData: Buffer.from(jti),
              messageExpiryInterval: Math.max(1, exp - Math.floor(now() / 1000)),
            },
          }
        : {}),
    });
  } catch (e) {
    await sub.close();
    throw new PbxlinkError(
      'unavailable',
      `publishing the command to ${topics.cmd} failed: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }

  let closedByCaller = false;
  async function* replies(): AsyncGenerator<OkReply> {
    const seenParts = new Set<number>();
    let timer: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ReplyTimeoutError(agent, formatSeconds(timeoutMs), seenParts.size)),
            timeoutMs,
          );
        });
        const r = await Promise.race([sub.next(), timedOut]);
        clearTimeout(timer);
        if (r.done) {
          if (closedByCaller) return;
          throw new PbxlinkError(
            'unavailable',
            `lost the connection to the broker while waiting for replies from ${agent}`,
          );
        }
        const reply = parseReply(r.value.payload);
        // Someone else's reply or garbage on our topic: not ours to act on.
        if (reply === null || reply.id !== jti) continue;
        if (!reply.ok) throw new CommandFailedError(reply);
        if ('part' in reply && typeof reply.part === 'number') {
          // QoS 1 may redeliver: a part seen before is dropped.
          if (seenParts.has(reply.part)) continue;
          seenParts.add(reply.part);
        }
        yield reply;
        if (isFinalReply(reply)) return;
      }
    } finally {
      clearTimeout(timer);
      await sub.close();
    }
  }

  return {
    jti,
    replyTopic,
    close: () => {
      closedByCaller = true;
      return sub.close();
    },
    [Symbol.asyncIterator]: replies,
  };
}
