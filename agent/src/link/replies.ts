/**
 * Replies of one command (DESIGN.md "Commands"): parts `{v,id,ok:true,part:n,data}`, then one final reply (ok,
 * done or error), to the MQTT 5 Response Topic with its Correlation Data echoed, else to the signed `reply_to`.
 * No reply exceeds the link's maximum packet size: an oversized part is refused (`internal`), an oversized final
 * result becomes an `internal` error, an oversized error loses its details.
 */
import {
  doneReply,
  errorReply,
  errorReplyFrom,
  okReply,
  partReply,
  type Reply,
  type ReplyError,
} from '../../../protocol/src/envelope';
import { PbxlinkError } from '../core/errors';
import type { Logger } from '../core/log';
import { RawJson } from '../core/raw-json';
import { type PublishProperties, publishPacketSize } from './packet-size';
import type { ReplyRecorder } from './replay-cache';

const CLOSE_BRACE = Buffer.from('}');

/** What replies are published through (LinkPublisher satisfies it). */
export interface ReplyTransport {
  publishReply(topic: string, payload: string | Buffer, properties?: PublishProperties): Promise<void>;
  publishBlob(transferId: string, index: number, bytes: Buffer): Promise<void>;
  /** Largest packet the agent may send now. */
  readonly maxPacketBytes: number;
}

/** Where the replies of one command go. */
export interface ReplyDestination {
  topic: string;
  /** MQTT 5 Correlation Data of the command, echoed on every reply. */
  correlationData?: Buffer;
}

/** Sends and records the replies of one command, numbering parts from 1. */
export class ReplyChannel {
  private parts = 0;
  private finished = false;
  private readonly properties: PublishProperties | undefined;

  constructor(
    private readonly transport: ReplyTransport,
    private readonly dest: ReplyDestination,
    private readonly id: string,
    private readonly recorder: ReplyRecorder,
    private readonly log: Logger,
  ) {
    this.properties = dest.correlationData ? { correlationData: dest.correlationData } : undefined;
  }

  /** Parts sent so far. */
  get partsSent(): number {
    return this.parts;
  }

  /** True once the final reply went out (or was attempted). */
  get done(): boolean {
    return this.finished;
  }

  /** Largest `data` JSON a reply may carry now (packet limit minus topic, properties and the reply's own fields). */
  get maxPayloadBytes(): number {
    const fixed = publishPacketSize(this.dest.topic, 0, {
      qos: 1,
      protocolVersion: 5,
      properties: this.properties,
    });
    const wrapper = Buffer.byteLength(JSON.stringify(partReply(this.id, 999_999_999, null))) - 'null'.length;
    return Math.max(0, this.transport.maxPacketBytes - fixed - wrapper);
  }

  /** Sends one part (`data` may be RawJson: its JSON goes in as is); resolves on PUBACK. Throws
   * PbxlinkError(internal) for a part over the size limit. */
  async part(data: unknown): Promise<void> {
    if (this.finished) throw new PbxlinkError('internal', 'part after the final reply');
    const n = this.parts + 1;
    const text =
      data instanceof RawJson ? this.rawPart(n, data) : JSON.stringify(partReply(this.id, n, data ?? null));
    this.checkSize(text);
    this.parts++;
    this.recorder.add(text, false);
    await this.transport.publishReply(this.dest.topic, text, this.properties);
  }

  /** Part `n` around JSON already serialized: partReply's last member is data, so `{…,"data":null}` with the
   * JSON in place of `null` — as text, or as bytes: written around the JSON in place when it leaves room. */
  private rawPart(n: number, data: RawJson): string | Buffer {
    const head = JSON.stringify(partReply(this.id, n, null)).slice(0, -'null}'.length);
    const json = data.json;
    if (typeof json === 'string') return `${head}${json}}`;
    const h = Buffer.byteLength(head);
    if (data.room && data.room.before >= h && data.room.after >= 1) {
      const whole = Buffer.from(json.buffer, json.byteOffset - h, h + json.length + 1);
      whole.write(head, 0, h, 'utf8');
      whole[h + json.length] = 0x7d; // }
      return whole;
    }
    return Buffer.concat([Buffer.from(head), json, CLOSE_BRACE]);
  }

  /** Sends the final reply for a handler's result: `done` after parts, else a single ok. */
  async result(data: unknown): Promise<'ok' | ReplyError['error']['code']> {
    const reply = this.parts > 0 ? doneReply(this.id, data ?? null) : okReply(this.id, data ?? null);
    const text = JSON.stringify(reply);
    if (!this.fits(text)) {
      this.log.error(
        { id: this.id, bytes: Buffer.byteLength(text), max: this.transport.maxPacketBytes },
        'command result exceeds the maximum packet size; replied internal',
      );
      return this.error(new PbxlinkError('internal', 'the result is too large for one message'));
    }
    await this.finish(text);
    return 'ok';
  }

  /** Sends the final error reply for a thrown value (PbxlinkError keeps its code; anything else is `internal`). */
  async error(err: unknown): Promise<ReplyError['error']['code']> {
    let reply: Reply = errorReplyFrom(this.id, err);
    let text = JSON.stringify(reply);
    if (!this.fits(text)) {
      const e = (reply as ReplyError).error;
      reply = errorReply(this.id, e.code, e.message.slice(0, 500), { truncated: true });
      text = JSON.stringify(reply);
    }
    await this.finish(text);
    return (reply as ReplyError).error.code;
  }

  /** Re-sends cached reply payloads as they were (a redelivered command). */
  async resend(payloads: readonly string[]): Promise<void> {
    this.finished = true;
    for (const text of payloads) {
      if (!this.fits(text)) {
        this.log.warn(
          { id: this.id, topic: this.dest.topic },
          'cached reply too large for this reply topic; skipped',
        );
        continue;
      }
      await this.publish(text);
    }
  }

  /** Sends a one-off reply that is not recorded (e.g. for a redelivery whose first reply is unknown). */
  async once(reply: Reply): Promise<void> {
    this.finished = true;
    await this.publish(JSON.stringify(reply));
  }

  private async finish(text: string): Promise<void> {
    this.finished = true;
    this.recorder.add(text, true);
    await this.publish(text);
  }

  private async publish(text: string): Promise<void> {
    try {
      await this.transport.publishReply(this.dest.topic, text, this.properties);
    } catch (err) {
      // The link is down: the reply is cached; a redelivery of the command gets it.
      this.log.warn({ err, id: this.id, topic: this.dest.topic }, 'reply not delivered');
    }
  }

  private fits(text: string | Buffer): boolean {
    const size = publishPacketSize(this.dest.topic, Buffer.byteLength(text), {
      qos: 1,
      protocolVersion: 5,
      properties: this.properties,
    });
    return size <= this.transport.maxPacketBytes;
  }

  private checkSize(text: string | Buffer): void {
    if (!this.fits(text)) {
      throw new PbxlinkError(
        'internal',
        `a reply part of ${Buffer.byteLength(text)} bytes exceeds the maximum packet size ${this.transport.maxPacketBytes}`,
      );
    }
  }
}
