import type { MqttClient } from 'mqtt';
import { PbxlinkError } from '../errors';
import {
  type AgentOrAll,
  consumerFilters,
  DEFAULT_TOPIC_PREFIX,
  type ParsedTopic,
  parseTopic,
} from '../topics';
import { type InboundMessage, MessageSubscription } from './subscription';

/** What `tail` follows: the birth/will, the snapshots, the events, or everything of the agent. */
export const TAIL_WHATS = ['status', 'state', 'events', 'all'] as const;
/** One of TAIL_WHATS. */
export type TailWhat = (typeof TAIL_WHATS)[number];

/** A message seen by tail, with its topic parsed and its JSON payload decoded when it is JSON. */
export interface TailMessage extends InboundMessage {
  parsed: ParsedTopic | null;
  /** The decoded payload, or undefined when it is not JSON (commands, blobs). */
  json: unknown;
}

/** The topic filters `tail` subscribes to for `agent` (or `+`) and `what`. */
export function tailFilters(prefix: string, agent: AgentOrAll, what: TailWhat): string[] {
  if (!(TAIL_WHATS as readonly string[]).includes(what)) {
    throw new PbxlinkError(
      'invalid_args',
      `cannot tail ${JSON.stringify(what)}: expected one of ${TAIL_WHATS.join(', ')}`,
    );
  }
  const f = consumerFilters(prefix, agent);
  if (what === 'status') return [f.status];
  if (what === 'state') return [f.states];
  if (what === 'events') return [f.events];
  return [f.all];
}

function decode(m: InboundMessage, prefix: string): TailMessage {
  const parsed = parseTopic(prefix, m.topic);
  let json: unknown;
  if (parsed?.kind !== 'blob' && parsed?.kind !== 'cmd') {
    try {
      json = JSON.parse(m.payload.toString('utf8'));
    } catch {
      json = undefined;
    }
  }
  return { ...m, parsed, json };
}

/** A live tail: an async iterator of decoded messages; `close()` ends it. */
export interface TailSubscription extends AsyncIterableIterator<TailMessage> {
  readonly filters: readonly string[];
  close(): Promise<void>;
}

/** Subscribes to what an agent (or every agent, `+`) publishes and yields each message decoded, retained ones first. */
export async function tail(
  client: MqttClient,
  agent: AgentOrAll,
  what: TailWhat = 'all',
  opts: { prefix?: string } = {},
): Promise<TailSubscription> {
  const prefix = opts.prefix ?? DEFAULT_TOPIC_PREFIX;
  const sub = await new MessageSubscription(client, tailFilters(prefix, agent, what)).open();
  const it: TailSubscription = {
    filters: sub.filters,
    next: async () => {
      const r = await sub.next();
      return r.done ? r : { value: decode(r.value, prefix), done: false };
    },
    return: async () => {
      await sub.close();
      return { value: undefined, done: true };
    },
    close: () => sub.close(),
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
