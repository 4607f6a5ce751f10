import type { IClientOptions, IPublishPacket, MqttClient, Packet } from 'mqtt';
import type { AgentTopics } from '../../../protocol/src/topics';
import type { BackoffOptions } from '../core/backoff';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/log';
import type { PublishProperties } from './packet-size';

/** What the birth message says about this agent besides online/agent/boot_id (DESIGN.md "Topics"). */
export interface BirthInfo {
  version: string;
  started_at: string;
  capabilities: string[];
  pbx: Record<string, unknown>;
}

/** Largest packet the agent accepts (MQTT 5): a signed command is a few KB. */
export const DEFAULT_MAX_INCOMING_BYTES = 256 * 1024;

/** Most commands held between CONNACK and birth (a persistent session delivers its queue at once). */
export const MAX_EARLY = 1000;

/** Connection settings of the MQTT session. */
export interface SessionOptions {
  /** `mqtt://`, `mqtts://`, `ws://` or `wss://`. */
  url: string;
  topics: AgentTopics;
  bootId: string;
  /** Read at every (re)connect, so the birth carries what the agent knows by then. */
  birth: () => BirthInfo;
  /** 5 (default) or 4 for MQTT 3.1.1 brokers. */
  protocolVersion?: 4 | 5;
  username?: string;
  password?: string;
  /** CA certificate(s) to pin for mqtts/wss (PEM). */
  ca?: string | Buffer;
  /** Client certificate and key (PEM) for brokers that require them. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Client id; default `pbxlink-<agent>`, stable so the broker keeps the persistent session. */
  clientId?: string;
  keepaliveS?: number;
  /** MQTT 5 Session Expiry Interval: how long the broker keeps commands for an offline agent. */
  sessionExpiryS?: number;
  connectTimeoutMs?: number;
  /** Ceiling on outgoing packets; the broker's CONNACK Maximum Packet Size lowers it. */
  maxPacketBytes?: number;
  /** MQTT 5 CONNECT Maximum Packet Size: the broker does not forward bigger commands to us (bounded input). */
  maxIncomingBytes?: number;
  backoff?: BackoffOptions;
  clock: Clock;
  log: Logger;
}

/** A message received on `P/A/cmd`, with its MQTT 5 properties (Response Topic, Correlation Data, Message Expiry). */
export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  properties: NonNullable<IPublishPacket['properties']>;
  dup: boolean;
}

/** Link transitions, for health and logs. `connected` means birth is on the broker (ready for commands). */
export type SessionStatus =
  | { state: 'connected'; sessionPresent: boolean; maxPacketBytes: number }
  | { state: 'lost'; reason: string }
  | { state: 'reconnecting'; inMs: number; attempt: number };

/** Options of one publish. */
export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
  properties?: PublishProperties;
}

/** mqtt.js options: persistent session, last will, no mqtt.js reconnect (the session drives it with Backoff). */
export function buildClientOptions(o: SessionOptions, protocolVersion: 4 | 5, will: Buffer): IClientOptions {
  const v5 = protocolVersion === 5;
  return {
    protocolVersion,
    clientId: o.clientId ?? `pbxlink-${o.topics.agent}`,
    clean: false,
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    keepalive: o.keepaliveS ?? 30,
    // mqtt-packet otherwise pre-builds 65,536 two-byte Buffers on the first packet (~6 MB of heap kept for the
    // life of the process, a tenth of an idle agent's RSS); the agent writes few enough packets to build them.
    writeCache: false,
    ...(v5
      ? {
          properties: {
            sessionExpiryInterval: o.sessionExpiryS ?? 7 * 86_400,
            maximumPacketSize: o.maxIncomingBytes ?? DEFAULT_MAX_INCOMING_BYTES,
          },
        }
      : {}),
    will: { topic: o.topics.status, payload: will, qos: 1, retain: true },
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.ca !== undefined ? { ca: o.ca } : {}),
    ...(o.cert !== undefined ? { cert: o.cert } : {}),
    ...(o.key !== undefined ? { key: o.key } : {}),
    rejectUnauthorized: true,
  };
}

/** The private parts of an mqtt.js 5.16 MqttClient (build/lib/client.js) that storeWithoutPayloadCopy replaces. */
interface StoreAndSendInternals {
  _storeAndSend?: (packet: Packet, cb: ((err?: Error) => void) | undefined, cbStorePut: () => void) => void;
  _writePacket?: (packet: Packet, cb?: (err?: Error) => void) => void;
}

/**
 * Makes `client` keep its QoS 1 PUBLISH packets for retransmission without deep-copying their payload; returns
 * false (nothing changed) when this mqtt.js has no `_storeAndSend`/`_writePacket` to replace.
 *
 * Why: mqtt.js 5.16's `_storeAndSend` clones every outgoing PUBLISH with rfdc — payload Buffer included — before
 * putting it in the outgoing store, only so that it can strip a topic alias from the stored copy. A 64 KiB copy per
 * recording chunk is garbage at PUBACK, but V8 frees external memory lazily, so a 200 MB transfer grew the agent's
 * RSS by ~64 MB (issue 7 benchmark). Storing the packet itself is safe here: the link sets no topic alias (packets
 * that carry one, or an empty topic, still take mqtt.js's own path), every connection is a fresh client with
 * mqtt.js's reconnect off, so its store is never replayed (the outbox owns redelivery), and publishers reuse a
 * payload buffer only after its PUBACK, when mqtt.js has already removed it from the store. The stored object is
 * a shallow copy, so nothing mqtt.js later sets on the written packet reaches the stored one.
 */
export function storeWithoutPayloadCopy(client: MqttClient): boolean {
  const c = client as unknown as StoreAndSendInternals;
  const original = c._storeAndSend;
  const write = c._writePacket;
  if (typeof original !== 'function' || typeof write !== 'function') return false;
  c._storeAndSend = (packet, cb, cbStorePut) => {
    if (
      packet.cmd !== 'publish' ||
      packet.topic.length === 0 ||
      packet.properties?.topicAlias !== undefined
    ) {
      original.call(client, packet, cb, cbStorePut);
      return;
    }
    const stored = { ...packet, ...(packet.properties ? { properties: { ...packet.properties } } : {}) };
    client.outgoingStore.put(stored, (err?: Error) => {
      if (err) {
        cb?.(err);
        return;
      }
      cbStorePut();
      write.call(client, packet, cb);
    });
  };
  return true;
}

/** Sets TCP_NODELAY on the client's socket (TCP and TLS streams have setNoDelay; ws sets it on its own socket). */
export function noDelay(client: MqttClient): void {
  const s = client.stream as unknown as { setNoDelay?: (on: boolean) => void } | undefined;
  if (s && typeof s.setNoDelay === 'function') s.setNoDelay(true);
}

/** The broker URL without credentials, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}

/** Rejects when `p` has not settled within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
