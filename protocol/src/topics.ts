import { PbxlinkError } from './errors';

/** Default topic prefix (DESIGN.md "Configuration", PBXLINK_TOPIC_PREFIX). */
export const DEFAULT_TOPIC_PREFIX = 'pbxlink/v1';

/** The retained state snapshot names of DESIGN.md ("Topics"). */
export const STATE_NAMES = ['health', 'peers', 'calls', 'disks', 'firewall'] as const;
/** One of the state snapshot names. */
export type StateName = (typeof STATE_NAMES)[number];

/** Agent ids: `[A-Za-z0-9_-]{1,64}` (DESIGN.md, PBXLINK_AGENT_ID). */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** State names and event types: one topic level, dotted words (`peer.status`). */
export const TOPIC_WORD_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** Transfer ids of file transfers (one topic level). */
export const TRANSFER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Longest reply suffix accepted after `P/A/reply/` (characters). */
export const MAX_REPLY_SUFFIX_LENGTH = 256;
/** Longest topic prefix accepted (characters). */
export const MAX_PREFIX_LENGTH = 200;

/** True when `id` is a valid agent id. */
export function isValidAgentId(id: unknown): id is string {
  return typeof id === 'string' && AGENT_ID_PATTERN.test(id);
}

/** Throws PbxlinkError(invalid_args) unless `id` is a valid agent id; returns it. */
export function validateAgentId(id: unknown): string {
  if (!isValidAgentId(id)) {
    throw new PbxlinkError(
      'invalid_args',
      `invalid agent id ${JSON.stringify(id)}: expected [A-Za-z0-9_-]{1,64}`,
    );
  }
  return id;
}

/** True when one topic level is a plain name: non-empty, no wildcard, no NUL, not `.`/`..`. */
function isPlainLevel(level: string): boolean {
  return (
    level.length > 0 &&
    level !== '.' &&
    level !== '..' &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
    !/[+#\u0000-\u001f\u007f]/.test(level)
  );
}

/** Throws PbxlinkError(invalid_args) unless `prefix` is a usable topic prefix (no wildcards, empty levels, `$`); returns it. */
export function validateTopicPrefix(prefix: unknown): string {
  const ok =
    typeof prefix === 'string' &&
    prefix.length > 0 &&
    prefix.length <= MAX_PREFIX_LENGTH &&
    !prefix.startsWith('$') &&
    prefix.split('/').every(isPlainLevel);
  if (!ok) throw new PbxlinkError('invalid_args', `invalid topic prefix ${JSON.stringify(prefix)}`);
  return prefix as string;
}

/** Throws unless `word` is a valid state name or event type level. */
function checkWord(what: string, word: string): string {
  if (typeof word !== 'string' || word.length > 64 || !TOPIC_WORD_PATTERN.test(word)) {
    throw new PbxlinkError('invalid_args', `invalid ${what} ${JSON.stringify(word)}`);
  }
  return word;
}

/** True when `suffix` is an acceptable reply suffix: plain levels only, bounded length. */
export function isValidReplySuffix(suffix: unknown): suffix is string {
  return (
    typeof suffix === 'string' &&
    suffix.length > 0 &&
    suffix.length <= MAX_REPLY_SUFFIX_LENGTH &&
    suffix.split('/').every(isPlainLevel)
  );
}

/** Throws unless `index` is a chunk index (integer ≥ 0). */
function checkIndex(index: number): number {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new PbxlinkError('invalid_args', `invalid chunk index ${String(index)}`);
  }
  return index;
}

/** Topic builders for one agent under one prefix; every part is validated. */
export interface AgentTopics {
  readonly prefix: string;
  readonly agent: string;
  /** `P/A/status` (retained birth / last will). */
  readonly status: string;
  /** `P/A/cmd` (signed commands). */
  readonly cmd: string;
  /** `P/A/reply/` — every reply topic starts with this. */
  readonly replyBase: string;
  /** `P/A/state/<name>`. */
  state(name: string): string;
  /** `P/A/events/<type>`. */
  event(type: string): string;
  /** `P/A/reply/<suffix>` (suffix may hold `/`, never wildcards or empty/`..` levels). */
  reply(suffix: string): string;
  /** `P/A/blob/<transfer_id>/<index>`. */
  blob(transferId: string, index: number): string;
}

/** Builds the topics of agent `agent` under `prefix` (validates both). */
export function agentTopics(prefix: string, agent: string): AgentTopics {
  const base = `${validateTopicPrefix(prefix)}/${validateAgentId(agent)}`;
  return {
    prefix,
    agent,
    status: `${base}/status`,
    cmd: `${base}/cmd`,
    replyBase: `${base}/reply/`,
    state: (name) => `${base}/state/${checkWord('state name', name)}`,
    event: (type) => `${base}/events/${checkWord('event type', type)}`,
    reply: (suffix) => {
      if (!isValidReplySuffix(suffix))
        throw new PbxlinkError('invalid_args', `invalid reply suffix ${JSON.stringify(suffix)}`);
      return `${base}/reply/${suffix}`;
    },
    blob: (transferId, index) => {
      if (typeof transferId !== 'string' || !TRANSFER_ID_PATTERN.test(transferId)) {
        throw new PbxlinkError('invalid_args', `invalid transfer id ${JSON.stringify(transferId)}`);
      }
      return `${base}/blob/${transferId}/${checkIndex(index)}`;
    },
  };
}

/** What a topic under a prefix is, as told by parseTopic. */
export type ParsedTopic =
  | { kind: 'status'; agent: string }
  | { kind: 'state'; agent: string; name: string }
  | { kind: 'event'; agent: string; type: string }
  | { kind: 'cmd'; agent: string }
  | { kind: 'reply'; agent: string; suffix: string }
  | { kind: 'blob'; agent: string; transferId: string; index: number };

/** Parses a concrete topic under `prefix`; returns null for anything that is not a well-formed pbxlink topic. */
export function parseTopic(prefix: string, topic: string): ParsedTopic | null {
  if (typeof topic !== 'string' || !topic.startsWith(`${prefix}/`)) return null;
  const rest = topic.slice(prefix.length + 1).split('/');
  const [agent, kind, ...tail] = rest;
  if (agent === undefined || kind === undefined || !isValidAgentId(agent)) return null;
  switch (kind) {
    case 'status':
    case 'cmd':
      return tail.length === 0 ? { kind, agent } : null;
    case 'state':
    case 'events': {
      const word = tail[0];
      if (tail.length !== 1 || word === undefined || word.length > 64 || !TOPIC_WORD_PATTERN.test(word))
        return null;
      return kind === 'state' ? { kind: 'state', agent, name: word } : { kind: 'event', agent, type: word };
    }
    case 'reply': {
      const suffix = tail.join('/');
      return isValidReplySuffix(suffix) ? { kind: 'reply', agent, suffix } : null;
    }
    case 'blob': {
      const [transferId, index] = tail;
      if (tail.length !== 2 || transferId === undefined || index === undefined) return null;
      if (!TRANSFER_ID_PATTERN.test(transferId) || !/^(0|[1-9][0-9]{0,14})$/.test(index)) return null;
      return { kind: 'blob', agent, transferId, index: Number(index) };
    }
    default:
      return null;
  }
}

/** True when `topic` is an acceptable reply topic for agent `agent`: under `P/A/reply/`, no wildcards, no empty or `.`/`..` levels, non-empty suffix. */
export function isReplyTopicFor(prefix: string, agent: string, topic: unknown): boolean {
  if (typeof topic !== 'string') return false;
  const parsed = parseTopic(prefix, topic);
  return parsed !== null && parsed.kind === 'reply' && parsed.agent === agent;
}

/** An agent id, or `+` for every agent. */
export type AgentOrAll = string | '+';

/** Subscription filters for consumers; `agent` may be `+` (every agent). */
export interface ConsumerFilters {
  /** `P/A/status`. */
  readonly status: string;
  /** `P/A/state/+` (every snapshot). */
  readonly states: string;
  /** `P/A/events/+` (every event; event types are one level). */
  readonly events: string;
  /** `P/A/reply/#`. */
  readonly replies: string;
  /** `P/A/#` (everything of the agent). */
  readonly all: string;
  /** `P/A/state/<name>`. */
  state(name: string): string;
  /** `P/A/events/<type>`. */
  event(type: string): string;
  /** `P/A/blob/<transfer_id>/+` (every chunk of one transfer). */
  blobs(transferId: string): string;
}

/** Builds consumer wildcard filters for one agent or, with `+`, for all agents. */
export function consumerFilters(prefix: string, agent: AgentOrAll = '+'): ConsumerFilters {
  const a = agent === '+' ? '+' : validateAgentId(agent);
  const base = `${validateTopicPrefix(prefix)}/${a}`;
  return {
    status: `${base}/status`,
    states: `${base}/state/+`,
    events: `${base}/events/+`,
    replies: `${base}/reply/#`,
    all: `${base}/#`,
    state: (name) => `${base}/state/${checkWord('state name', name)}`,
    event: (type) => `${base}/events/${checkWord('event type', type)}`,
    blobs: (transferId) => {
      if (!TRANSFER_ID_PATTERN.test(transferId))
        throw new PbxlinkError('invalid_args', `invalid transfer id ${JSON.stringify(transferId)}`);
      return `${base}/blob/${transferId}/+`;
    },
  };
}

/** True when MQTT topic filter `filter` (with `+`/`#`) matches concrete topic `topic` (MQTT 3.1.1 §4.7). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
