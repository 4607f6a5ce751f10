import { join } from 'node:path';
import type { AgentTopics } from '../../../protocol/src/topics';
import { parseTopic } from '../../../protocol/src/topics';
import type { Clock } from '../core/clock';
import { PbxlinkError } from '../core/errors';
import type { Logger } from '../core/log';
import { DiskOutbox } from './outbox';
import { envelopeMaxBytes, type OutRecord, renderEnvelope } from './record';
import { SendQueue } from './send-queue';
import { SeqStore } from './seq-store';
import {
  type IncomingMessage,
  MqttSession,
  type PublishOptions,
  type SessionOptions,
  type SessionStatus,
} from './session';
import { StateStore } from './state-store';

/** Settings of the link beyond the session's. */
export interface LinkOptions extends Omit<SessionOptions, 'clock' | 'log'> {
  /** PBXLINK_STATE_DIR: the outbox and seq live under it. */
  stateDir: string;
  /** Bound of the on-disk outbox (default 64 MB). */
  outboxBytes?: number;
  outboxSegmentBytes?: number;
  /** Messages in flight (sent, PUBACK pending) at once. */
  window?: number;
  /** Bounds of the in-memory send queue. */
  queueItems?: number;
  queueBytes?: number;
  seqBlock?: number;
  clock: Clock;
  log: Logger;
}

/** Counters for state/health and the overload benchmark. */
export interface LinkStats {
  connected: boolean;
  /** Events shed from the in-memory queue under overload since start (never given a seq; reported as `link.shed`). */
  shed: number;
  /** Events dropped from the disk outbox at its bound, not yet reported. */
  dropped: number;
  /** Snapshots/events refused because they exceed maxPacketBytes. */
  oversize: number;
  queued: number;
  inFlight: number;
  outboxEntries: number;
  outboxBytes: number;
  lastSeq: number;
}

interface Sent {
  topic: string;
  payload: string;
  rec: OutRecord;
}

/**
 * The agent's MQTT link: session + seq + outbox. Online with nothing on disk, records go through a
 * bounded memory queue and get their seq when sent. Otherwise (link down, or disk backlog still
 * replaying) events get their seq and go to disk, snapshots to the latest-per-topic store. On reconnect
 * the disk replays in order (window of `window` unacknowledged), then stored snapshots, then an
 * `outbox.dropped` event `{dropped, since}` if the bound was hit, then live traffic. Seqs therefore
 * reach the broker in increasing order.
 */
export class Link {
  private session: MqttSession | undefined;
  private seq: SeqStore | undefined;
  private disk: DiskOutbox | undefined;
  private states: StateStore | undefined;
  private readonly queue: SendQueue;
  private readonly inFlight = new Map<number, Sent>();
  private draining = true;
  private diskSending = 0;
  private oversize = 0;
  private stopped = false;
  /** Bumped by every spill, so acknowledgements of an earlier connection are ignored. */
  private epoch = 0;
  private downReason = 'connecting';
  private unreportedShed = 0;
  private shedSince: string | null = null;
  private readonly statusListeners: ((s: SessionStatus) => void)[] = [];
  private commandHandler: ((m: IncomingMessage) => void | Promise<void>) | undefined;
  private readonly window: number;

  constructor(private readonly opts: LinkOptions) {
    this.queue = new SendQueue({ maxItems: opts.queueItems, maxBytes: opts.queueBytes });
    this.window = opts.window ?? 256;
  }

  /** This agent's topics. */
  get topics(): AgentTopics {
    return this.opts.topics;
  }

  /** True while connected with birth acknowledged. */
  get connected(): boolean {
    return this.session?.connected ?? false;
  }

  /** This process's boot id. */
  get bootId(): string {
    return this.opts.bootId;
  }

  /** Largest packet the agent may send (min of configured and the broker's CONNACK Maximum Packet Size). */
  get maxPacketBytes(): number {
    return this.sessionOrThrow().maxPacketBytes;
  }

  /** The MQTT session (raw publish for replies and blobs, status, incoming commands). */
  get mqtt(): MqttSession {
    return this.sessionOrThrow();
  }

  /** Publishes the birth again when what it says has changed (MqttSession.refreshBirth); no-op before start. */
  refreshBirth(): Promise<void> {
    return this.session?.refreshBirth() ?? Promise.resolve();
  }

  /** Opens the state dir (seq, outbox) and starts connecting; returns without waiting for the broker. */
  start(): void {
    if (this.session) return;
    const dir = this.opts.stateDir;
    this.seq = SeqStore.open(dir, { block: this.opts.seqBlock });
    this.disk = new DiskOutbox(join(dir, 'outbox'), {
      maxBytes: this.opts.outboxBytes,
      segmentBytes: this.opts.outboxSegmentBytes,
      now: () => this.opts.clock.now(),
    });
    this.states = new StateStore(join(dir, 'outbox-state'));
    const session = new MqttSession({ ...this.opts, log: this.opts.log });
    this.session = session;
    session.onStatus((s) => this.handleStatus(s));
    for (const fn of this.statusListeners) session.onStatus(fn);
    session.onMessage((m) => this.commandHandler?.(m));
    session.start();
  }

  /** Registers the handler of messages on `P/A/cmd`. */
  onCommand(handler: (m: IncomingMessage) => void | Promise<void>): void {
    this.commandHandler = handler;
  }

  /** Adds a listener for link transitions. */
  onStatus(fn: (s: SessionStatus) => void): void {
    this.statusListeners.push(fn);
    this.session?.onStatus(fn);
  }

  /** Queues a snapshot or event (never throws for a down link; refuses one over maxPacketBytes, counted). */
  enqueue(rec: OutRecord): void {
    if (this.stopped || !this.disk || !this.seq || !this.states) {
      throw new PbxlinkError('unavailable', 'the link is not started');
    }
    const session = this.sessionOrThrow();
    try {
      session.checkSize(rec.topic, envelopeMaxBytes(this.opts.topics.agent, rec));
    } catch (err) {
      this.oversize++;
      this.opts.log.error(
        { err, topic: rec.topic },
        'message too big for the broker; dropped (callers must split)',
      );
      return;
    }
    if (!this.draining && session.connected) {
      const shed = this.queue.push(rec);
      if (shed > 0) this.noteShed(shed);
      this.pump();
    } else if (rec.kind === 'event') {
      this.disk.append(rec.topic, renderEnvelope(this.opts.topics.agent, rec, this.seq.next()));
    } else {
      this.states.put(rec);
    }
  }

  /** Publishes a raw message now (replies, blobs): resolves on PUBACK; not kept in the outbox. */
  publishRaw(topic: string, payload: string | Buffer, opts: PublishOptions = {}): Promise<void> {
    return this.sessionOrThrow().publish(topic, payload, opts);
  }

  /** The broker link as a component of state/health: ok when connected, else down with the last reason. */
  health(): { status: 'ok' | 'degraded' | 'down'; reason?: string } {
    if (!this.connected) return { status: 'down', reason: this.downReason };
    if (this.draining) return { status: 'degraded', reason: 'replaying the outbox' };
    return { status: 'ok' };
  }

  /** Counters for health and benchmarks. */
  stats(): LinkStats {
    return {
      connected: this.connected,
      shed: this.queue.shed,
      dropped: this.disk?.dropped.dropped ?? 0,
      oversize: this.oversize,
      queued: this.queue.length,
      inFlight: this.inFlight.size + this.diskSending,
      outboxEntries: this.disk?.entries ?? 0,
      outboxBytes: this.disk?.bytes ?? 0,
      lastSeq: this.seq?.current ?? 0,
    };
  }

  /** Clean stop: waits briefly for PUBACKs, keeps whatever is unacknowledged on disk, publishes offline, disconnects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    const deadline = this.opts.clock.monotonic() + 1000;
    while (
      this.connected &&
      (this.queue.length > 0 || this.inFlight.size > 0 || this.diskSending > 0) &&
      this.opts.clock.monotonic() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    this.stopped = true;
    this.spill();
    await this.session?.stop();
    this.disk?.close();
    this.seq?.close();
  }

  private sessionOrThrow(): MqttSession {
    if (!this.session) throw new PbxlinkError('unavailable', 'the link is not started');
    return this.session;
  }

  private handleStatus(s: SessionStatus): void {
    if (this.stopped) return;
    if (s.state === 'connected') {
      this.draining = true;
      this.drain();
    } else if (s.state === 'lost') {
      this.downReason = s.reason;
      this.spill();
    }
  }

  /** Link lost: what was sent but not acknowledged, then what was queued, goes to disk in seq order. */
  private spill(): void {
    const disk = this.disk;
    if (!disk || !this.seq || !this.states) return;
    this.draining = true;
    this.epoch++;
    this.diskSending = 0;
    disk.rewind();
    for (const sent of this.inFlight.values()) disk.append(sent.topic, sent.payload);
    this.inFlight.clear();
    for (const rec of this.queue.drain()) {
      if (rec.kind === 'event')
        disk.append(rec.topic, renderEnvelope(this.opts.topics.agent, rec, this.seq.next()));
      else this.states.put(rec);
    }
    disk.flush();
  }

  /** Replays the disk outbox with a bounded window; when it is empty, switches to the memory path. */
  private drain(): void {
    const disk = this.disk!;
    const session = this.session!;
    const epoch = this.epoch;
    while (this.draining && session.connected && this.diskSending < this.window) {
      const e = disk.next();
      if (!e) break;
      this.diskSending++;
      const retain = parseTopic(this.opts.topics.prefix, e.topic)?.kind === 'state';
      session.publish(e.topic, e.payload, { qos: 1, retain }).then(
        () => {
          if (epoch !== this.epoch) return;
          disk.ack(e.id);
          this.diskSending--;
          this.drain();
        },
        (err: unknown) => {
          // Link lost: spill() rewound the outbox. Too big for this broker: skip it for good.
          if (epoch === this.epoch && (err as PbxlinkError).code === 'invalid_args') {
            this.oversize++;
            disk.ack(e.id);
            this.diskSending--;
            this.drain();
          }
        },
      );
    }
    if (this.draining && session.connected && this.diskSending === 0 && disk.inFlight === 0) {
      this.draining = false;
      for (const rec of this.states!.takeAll()) this.queue.push(rec);
      this.reportDropped();
      this.pump();
    }
  }

  /**
   * Publishes `outbox.dropped` `{dropped, since}` after the outbox overflowed. The count is cleared when the
   * report is queued: if the link drops again, the report itself goes to disk like any event.
   */
  private reportDropped(): void {
    const disk = this.disk!;
    const { dropped, since } = disk.dropped;
    if (dropped === 0) return;
    disk.clearDropped(dropped);
    this.opts.log.warn({ dropped, since }, 'outbox bound was hit; oldest events dropped');
    this.queue.push({
      kind: 'event',
      topic: this.opts.topics.event('outbox.dropped'),
      type: 'outbox.dropped',
      ts: new Date(this.opts.clock.now()).toISOString(),
      bootId: this.opts.bootId,
      data: JSON.stringify({ dropped, since }),
    });
  }

  /** Start of an overload episode is logged once; the count is published when it ends (`link.shed`). */
  private noteShed(n: number): void {
    if (this.unreportedShed === 0) {
      this.shedSince = new Date(this.opts.clock.now()).toISOString();
      this.opts.log.warn({ queued: this.queue.length }, 'send queue full; shedding oldest events');
    }
    this.unreportedShed += n;
  }

  /**
   * Once the queue has emptied after an overload, publishes event `link.shed` `{shed, since}`: how many
   * events were shed (they never got a seq, so no gap shows for them) since when.
   */
  private reportShed(): void {
    const shed = this.unreportedShed;
    this.unreportedShed = 0;
    this.opts.log.warn({ shed, since: this.shedSince }, 'overload over; events were shed');
    this.queue.push({
      kind: 'event',
      topic: this.opts.topics.event('link.shed'),
      type: 'link.shed',
      ts: new Date(this.opts.clock.now()).toISOString(),
      bootId: this.opts.bootId,
      data: JSON.stringify({ shed, since: this.shedSince }),
    });
    this.shedSince = null;
  }

  /** Sends queued records while the window has room; each gets its seq now. */
  private pump(): void {
    const session = this.session!;
    while (!this.draining && session.connected && this.inFlight.size < this.window) {
      if (this.queue.length === 0 && this.unreportedShed > 0) this.reportShed();
      const rec = this.queue.shift();
      if (!rec) return;
      const seq = this.seq!.next();
      const payload = renderEnvelope(this.opts.topics.agent, rec, seq);
      this.inFlight.set(seq, { topic: rec.topic, payload, rec });
      session.publish(rec.topic, payload, { qos: 1, retain: rec.kind === 'state' }).then(
        () => {
          if (this.inFlight.delete(seq)) this.pump();
        },
        () => {
          // Link lost: spill() moved it to disk already.
        },
      );
    }
  }
}
