import { stateType } from '../../../protocol/src/envelope';
import type { Clock } from '../core/clock';
import { PbxlinkError } from '../core/errors';
import type { Logger } from '../core/log';
import type { Publisher, StateName } from '../core/module';
import type { Link } from './link';
import type { PublishProperties } from './packet-size';

/**
 * The `Publisher` modules use (agent/src/core/module.ts), on top of the link: snapshots are retained QoS 1
 * on `P/A/state/<name>`, events QoS 1 on `P/A/events/<type>`, both in the envelope of DESIGN.md and kept
 * in the outbox while the broker is away. `data` is serialized at the call, so later mutation is harmless.
 *
 * Replies and blobs (`publishReply`, `publishBlob`) go straight to the session and resolve on PUBACK; they
 * are NOT kept in the disk outbox: a reply belongs to a command whose sender waits for it now; if the link
 * is down the promise rejects (`unavailable`) and the router decides (the command, redelivered by the
 * persistent session, gets its cached reply again — DESIGN.md "Commands").
 */
export class LinkPublisher implements Publisher {
  constructor(
    private readonly link: Link,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Retained snapshot on `P/A/state/<name>`, envelope type `state.<name>`. Never throws. */
  publishState(name: StateName, data: unknown): void {
    this.put('state', name, data);
  }

  /** Event on `P/A/events/<type>`. Never throws. */
  publishEvent(type: string, data: unknown): void {
    this.put('event', type, data);
  }

  /** A reply to a command (QoS 1, not retained), with MQTT 5 properties (Correlation Data); resolves on PUBACK. */
  publishReply(topic: string, payload: string | Buffer, properties?: PublishProperties): Promise<void> {
    if (!this.link.topics.replyBase || !topic.startsWith(this.link.topics.replyBase)) {
      return Promise.reject(
        new PbxlinkError(
          'forbidden',
          `reply topic ${JSON.stringify(topic)} is not under ${this.link.topics.replyBase}`,
        ),
      );
    }
    return this.link.publishRaw(topic, payload, { qos: 1, retain: false, properties });
  }

  /** Raw bytes of one file chunk on `P/A/blob/<transfer_id>/<index>` (QoS 1); resolves on PUBACK. */
  publishBlob(transferId: string, index: number, bytes: Buffer): Promise<void> {
    let topic: string;
    try {
      topic = this.link.topics.blob(transferId, index);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.link.publishRaw(topic, bytes, { qos: 1, retain: false });
  }

  /** Largest MQTT packet the agent may send now; callers split replies and chunks below it. */
  get maxPacketBytes(): number {
    return this.link.maxPacketBytes;
  }

  private put(kind: 'state' | 'event', name: string, data: unknown): void {
    try {
      const topics = this.link.topics;
      const text = JSON.stringify(data ?? null) ?? 'null';
      this.link.enqueue({
        kind,
        topic: kind === 'state' ? topics.state(name) : topics.event(name),
        type: kind === 'state' ? stateType(name) : name,
        ts: new Date(this.clock.now()).toISOString(),
        bootId: this.link.bootId,
        data: text,
      });
    } catch (err) {
      this.log.error({ err, kind, name }, 'publish refused');
    }
  }
}
