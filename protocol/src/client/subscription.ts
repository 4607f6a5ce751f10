import type { IPublishPacket, MqttClient } from 'mqtt';
import { PbxlinkError } from '../errors';
import { topicMatches } from '../topics';

/** One message received on a subscription. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** MQTT 5 properties of the PUBLISH (response topic, correlation data, …). */
  properties?: IPublishPacket['properties'];
}

/** Most messages a subscription buffers for a slow reader; older ones are dropped past it (counted in `dropped`).
 * A safety net: the client stops reading from the broker long before (PAUSE_AT). */
export const MAX_BUFFERED_MESSAGES = 10_000;

/** With this many messages unread, the client stops taking packets from the broker (the broker queues them,
 * within its own limits) until the reader is down to RESUME_AT: a slow reader holds little memory here. */
export const PAUSE_AT = 64;
export const RESUME_AT = 16;

/** The subscriptions of each client, consulted by the one handleMessage hook installed on it. */
const subscriptionsOf = new WeakMap<MqttClient, Set<MessageSubscription>>();

/**
 * mqtt.js calls `handleMessage` for each incoming PUBLISH after its 'message' event, and takes the next packet
 * from the socket (and sends the PUBACK) only when its callback runs: holding the callback while a subscription
 * of this client is full is the backpressure. One hook per client, for all its subscriptions: while one is held,
 * the client's other packets wait too (other subscriptions, PUBACKs, PINGRESP — a reader stalled for longer than
 * the keep-alive loses the connection, and the client reconnects).
 */
function hookClient(client: MqttClient): Set<MessageSubscription> {
  let subs = subscriptionsOf.get(client);
  if (subs) return subs;
  const own = new Set<MessageSubscription>();
  subs = own;
  subscriptionsOf.set(client, own);
  const previous = client.handleMessage.bind(client);
  client.handleMessage = (packet, callback) => {
    previous(packet, (err?: Error) => {
      if (err) return callback(err);
      for (const sub of own) if (sub.holdFor(packet.topic, () => callback())) return;
      callback();
    });
  };
  return own;
}

/**
 * Messages matching a set of topic filters, as an async iterator. `open()` subscribes (QoS 1) and resolves after
 * the SUBACK; `close()` unsubscribes and ends the iteration.
 */
export class MessageSubscription implements AsyncIterableIterator<InboundMessage> {
  /** Messages dropped because the reader fell more than MAX_BUFFERED_MESSAGES behind. */
  dropped = 0;
  private readonly queue: InboundMessage[] = [];
  private waiter: ((r: IteratorResult<InboundMessage>) => void) | undefined;
  private closed = false;
  /** The client's next packet, held while this subscription's reader is behind (see hookClient). */
  private held: (() => void) | undefined;
  private readonly onMessage = (topic: string, payload: Buffer, packet: IPublishPacket) => {
    if (this.closed || !this.filters.some((f) => topicMatches(f, topic))) return;
    const msg: InboundMessage = {
      topic,
      payload,
      retain: packet.retain === true,
      properties: packet.properties,
    };
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: msg, done: false });
      return;
    }
    this.queue.push(msg);
    if (this.queue.length > MAX_BUFFERED_MESSAGES) {
      this.queue.shift();
      this.dropped++;
    }
  };
  private readonly onClose = () => {
    if (!this.client.options.reconnectPeriod) void this.close();
  };

  constructor(
    private readonly client: MqttClient,
    readonly filters: readonly string[],
  ) {}

  /** Messages received and not read yet. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Holds `resume` (the client's next packet) while `topic` is this subscription's and its reader is PAUSE_AT
   * messages behind; true when held. */
  holdFor(topic: string, resume: () => void): boolean {
    if (this.closed || this.queue.length < PAUSE_AT || !this.filters.some((f) => topicMatches(f, topic))) {
      return false;
    }
    this.held = resume;
    return true;
  }

  private release(): void {
    const r = this.held;
    this.held = undefined;
    r?.();
  }

  /** Subscribes to every filter at QoS 1 and waits for the broker's acknowledgement. */
  async open(): Promise<this> {
    hookClient(this.client).add(this);
    this.client.on('message', this.onMessage);
    this.client.on('close', this.onClose);
    let granted: { topic: string; qos: number }[];
    try {
      granted = await this.client.subscribeAsync(
        this.filters.map((f) => f),
        { qos: 1 },
      );
    } catch (e) {
      await this.close();
      throw new PbxlinkError(
        'unavailable',
        `subscribe to ${this.filters.join(', ')} failed: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    const refused = granted.filter((g) => g.qos >= 0x80);
    if (refused.length > 0) {
      await this.close();
      throw new PbxlinkError(
        'forbidden',
        `the broker refused the subscription to ${refused.map((g) => g.topic).join(', ')}`,
      );
    }
    return this;
  }

  /** The next message, or done once closed. */
  next(): Promise<IteratorResult<InboundMessage>> {
    const m = this.queue.shift();
    if (this.held && this.queue.length <= RESUME_AT) this.release();
    if (m) return Promise.resolve({ value: m, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Ends the iteration (for `break` in `for await`). */
  async return(): Promise<IteratorResult<InboundMessage>> {
    await this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Unsubscribes (best effort) and ends the iteration; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    subscriptionsOf.get(this.client)?.delete(this);
    this.release();
    this.client.off('message', this.onMessage);
    this.client.off('close', this.onClose);
    this.queue.length = 0;
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
    if (this.client.connected) {
      await this.client.unsubscribeAsync(this.filters.slice()).catch(() => {});
    }
  }
}
