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

/** Most messages a subscription buffers for a slow reader; older ones are dropped past it (counted in `dropped`). */
export const MAX_BUFFERED_MESSAGES = 10_000;

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

  /** Subscribes to every filter at QoS 1 and waits for the broker's acknowledgement. */
  async open(): Promise<this> {
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
