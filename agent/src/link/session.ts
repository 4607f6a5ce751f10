import {
  connect,
  type IClientOptions,
  type IConnackPacket,
  type IPublishPacket,
  type MqttClient,
} from 'mqtt';
import { Backoff } from '../core/backoff';
import type { Timer } from '../core/clock';
import { PbxlinkError } from '../core/errors';
import { DEFAULT_MAX_PACKET_BYTES, publishPacketSize } from './packet-size';
import {
  buildClientOptions,
  type IncomingMessage,
  MAX_EARLY,
  noDelay,
  type PublishOptions,
  redactUrl,
  type SessionOptions,
  type SessionStatus,
  storeWithoutPayloadCopy,
  withTimeout,
} from './session-options';

export type {
  BirthInfo,
  IncomingMessage,
  PublishOptions,
  SessionOptions,
  SessionStatus,
} from './session-options';
export { DEFAULT_MAX_INCOMING_BYTES, redactUrl } from './session-options';

/**
 * The MQTT session: persistent (clean start off, session expiry), last will and birth on `P/A/status`,
 * `P/A/cmd` subscribed at QoS 1 before birth, reconnect with the project's backoff (mqtt.js's fixed
 * reconnect is off: every attempt is a fresh client, so mqtt.js never replays its in-memory store —
 * the outbox owns redelivery).
 */
export class MqttSession {
  private client: MqttClient | undefined;
  private gen = 0;
  private ready = false;
  private stopping = false;
  private everConnected = false;
  private subscribed = false;
  private lastError = '';
  private reconnectTimer: Timer | undefined;
  private maxBytes: number;
  private readonly backoff: Backoff;
  private readonly pendings = new Set<(err: Error) => void>();
  private readonly statusListeners: ((s: SessionStatus) => void)[] = [];
  private messageHandler: ((m: IncomingMessage) => void | Promise<void>) | undefined;
  /** Commands the broker delivered before birth was acknowledged (queued while we were offline). */
  private early: IncomingMessage[] = [];
  /** The birth payload on the broker now (retained), to republish it only when it changes. */
  private birthJson = '';

  constructor(private readonly opts: SessionOptions) {
    this.maxBytes = opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    this.backoff = new Backoff(opts.backoff);
  }

  /** True while connected with birth acknowledged. */
  get connected(): boolean {
    return this.ready;
  }

  /** Largest packet the agent may send now: min(configured, broker's CONNACK Maximum Packet Size). */
  get maxPacketBytes(): number {
    return this.maxBytes;
  }

  /** The MQTT protocol version in use (4 = 3.1.1, 5). */
  get protocolVersion(): 4 | 5 {
    return this.opts.protocolVersion ?? 5;
  }

  /** Registers the handler for messages on `P/A/cmd`; errors it throws are logged. */
  onMessage(handler: (m: IncomingMessage) => void | Promise<void>): void {
    this.messageHandler = handler;
  }

  /** Adds a listener for status transitions. */
  onStatus(fn: (s: SessionStatus) => void): void {
    this.statusListeners.push(fn);
  }

  /** Starts connecting; returns at once (the session keeps retrying until stop()). */
  start(): void {
    checkBrokerUrl(this.opts.url);
    this.stopping = false;
    if (!this.client && this.reconnectTimer === undefined) this.connectOnce();
  }

  /**
   * Publishes the birth again (retained) when what it says has changed since it was published — the PBX's
   * dialect and version become known when AMI logs in, which may be after the broker connection — so the
   * retained status a late consumer reads is current. Nothing while not connected: the next connect's birth
   * reads the same source.
   */
  async refreshBirth(): Promise<void> {
    const client = this.client;
    if (!this.ready || !client) return;
    const birth = this.birthText();
    if (birth === this.birthJson) return;
    this.birthJson = birth;
    try {
      await this.send(client, this.opts.topics.status, Buffer.from(birth), { qos: 1, retain: true });
    } catch (err) {
      this.birthJson = ''; // sent again by the next refresh or connect
      this.opts.log.warn({ err }, 'birth refresh failed');
    }
  }

  private birthText(): string {
    const topics = this.opts.topics;
    return JSON.stringify({
      online: true,
      agent: topics.agent,
      boot_id: this.opts.bootId,
      ...this.opts.birth(),
    });
  }

  /** Throws PbxlinkError(invalid_args) when a publish of `payload` to `topic` would exceed maxPacketBytes. */
  checkSize(topic: string, payloadBytes: number, opts: PublishOptions = {}): void {
    const size = publishPacketSize(topic, payloadBytes, {
      qos: opts.qos ?? 1,
      protocolVersion: this.protocolVersion,
      properties: opts.properties,
    });
    if (size > this.maxBytes) {
      throw new PbxlinkError(
        'invalid_args',
        `message of ${size} bytes exceeds the maximum packet size ${this.maxBytes}`,
        {
          details: { bytes: size, max: this.maxBytes, topic },
        },
      );
    }
  }

  /** Publishes; resolves on PUBACK (QoS 1). Rejects when the link is down, drops before PUBACK, or the message is too big. */
  publish(topic: string, payload: string | Buffer, opts: PublishOptions = {}): Promise<void> {
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
    try {
      this.checkSize(topic, buf.length, opts);
    } catch (err) {
      return Promise.reject(err);
    }
    const client = this.client;
    if (!this.ready || !client)
      return Promise.reject(new PbxlinkError('unavailable', 'the MQTT link is down'));
    return this.send(client, topic, buf, opts);
  }

  /** Publishes `online:false, reason:"stopped"` (retained), disconnects cleanly (no last will) and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.opts.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    if (!client) return;
    if (this.ready) {
      const offline = JSON.stringify(this.offline('stopped'));
      await withTimeout(
        this.send(client, this.opts.topics.status, Buffer.from(offline), { qos: 1, retain: true }),
        3000,
      ).catch((err: unknown) => this.opts.log.warn({ err }, 'offline status not acknowledged before stop'));
    }
    const wasReady = this.ready;
    this.gen++;
    this.client = undefined;
    this.early = [];
    this.setDown('stopped');
    if (!wasReady) {
      client.end(true);
      return;
    }
    await withTimeout(new Promise<void>((resolve) => client.end(false, {}, () => resolve())), 2000).catch(
      () => {
        client.end(true);
      },
    );
  }

  private offline(reason: string): Record<string, unknown> {
    return { online: false, agent: this.opts.topics.agent, boot_id: this.opts.bootId, reason };
  }

  private send(client: MqttClient, topic: string, buf: Buffer, opts: PublishOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        this.pendings.delete(fail);
        reject(err);
      };
      this.pendings.add(fail);
      const props = this.protocolVersion === 5 && opts.properties ? { properties: opts.properties } : {};
      client.publish(topic, buf, { qos: opts.qos ?? 1, retain: opts.retain ?? false, ...props }, (err) => {
        if (err)
          return fail(new PbxlinkError('unavailable', `publish failed: ${err.message}`, { cause: err }));
        if (settled) return;
        settled = true;
        this.pendings.delete(fail);
        resolve();
      });
    });
  }

  private clientOptions(): IClientOptions {
    return buildClientOptions(
      this.opts,
      this.protocolVersion,
      Buffer.from(JSON.stringify(this.offline('connection lost'))),
    );
  }

  private connectOnce(): void {
    this.reconnectTimer = undefined;
    const gen = ++this.gen;
    const client = connect(this.opts.url, this.clientOptions());
    this.client = client;
    // Memory: no deep copy of each QoS 1 payload (mqtt.js 5.16 _storeAndSend; why in session-options.ts).
    if (!storeWithoutPayloadCopy(client) && gen === 1)
      this.opts.log.warn(
        'this mqtt.js has no _storeAndSend: QoS 1 payloads are copied (higher RSS in transfers)',
      );
    noDelay(client);
    client.on('connect', (connack) => {
      if (gen === this.gen) void this.onConnack(gen, client, connack);
    });
    client.on('message', (topic, payload, packet) => {
      if (gen === this.gen) this.deliver(topic, payload, packet);
    });
    client.on('error', (err) => {
      this.lastError = err.message;
    });
    client.on('disconnect', (packet) => {
      this.lastError = `broker sent DISCONNECT (reason ${packet.reasonCode ?? 0})`;
    });
    client.on('close', () => {
      if (gen === this.gen) this.onClose(client);
    });
  }

  private async onConnack(gen: number, client: MqttClient, connack: IConnackPacket): Promise<void> {
    // Latency: Nagle would hold small publishes back ~40 ms (issue 4 benchmark note). ws sets it itself.
    noDelay(client);
    const brokerMax = connack.properties?.maximumPacketSize;
    const configured = this.opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    this.maxBytes = brokerMax ? Math.min(brokerMax, configured) : configured;
    const topics = this.opts.topics;
    try {
      // A present session still holds our P/A/cmd subscription (and the commands queued for us). The first
      // connect of a process subscribes anyway: the session may date from a run with another topic prefix.
      if (!connack.sessionPresent || !this.subscribed) {
        const granted = await new Promise<{ qos: number }[]>((resolve, reject) =>
          client.subscribe(topics.cmd, { qos: 1 }, (err, g) => (err ? reject(err) : resolve(g ?? []))),
        );
        if (granted.some((g) => g.qos !== 1 && g.qos !== 0))
          throw new Error(`subscription to ${topics.cmd} refused`);
      }
      if (gen !== this.gen) return;
      const birth = this.birthText();
      await this.send(client, topics.status, Buffer.from(birth), { qos: 1, retain: true });
      this.birthJson = birth;
    } catch (err) {
      if (gen !== this.gen) return;
      this.lastError = (err as Error).message;
      this.opts.log.error({ err }, 'subscribe or birth failed; reconnecting');
      client.end(true);
      return;
    }
    if (gen !== this.gen) return;
    this.ready = true;
    this.everConnected = true;
    // Birth first, then the commands that arrived with the session, so their replies can be sent.
    for (const m of this.early.splice(0)) this.dispatch(m);
    this.backoff.reset();
    this.opts.log.info(
      {
        broker: redactUrl(this.opts.url),
        session_present: connack.sessionPresent,
        max_packet_bytes: this.maxBytes,
      },
      'connected',
    );
    this.emit({ state: 'connected', sessionPresent: connack.sessionPresent, maxPacketBytes: this.maxBytes });
  }

  private deliver(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const msg: IncomingMessage = { topic, payload, properties: packet.properties ?? {}, dup: packet.dup };
    if (this.ready) {
      this.dispatch(msg);
      return;
    }
    if (this.early.length >= MAX_EARLY) {
      this.opts.log.warn({ topic }, 'too many commands before birth; dropped one');
      return;
    }
    this.early.push(msg);
  }

  private dispatch(msg: IncomingMessage): void {
    const handler = this.messageHandler;
    if (!handler) return;
    try {
      const r = handler(msg);
      if (r instanceof Promise)
        r.catch((err: unknown) => this.opts.log.error({ err }, 'command handler failed'));
    } catch (err) {
      this.opts.log.error({ err }, 'command handler failed');
    }
  }

  private onClose(client: MqttClient): void {
    this.early = [];
    client.removeAllListeners('connect');
    client.removeAllListeners('message');
    client.end(true);
    this.client = undefined;
    // setDown() clears lastError: keep it for the log lines below (e.g. "Connection refused: Not authorized").
    const reason = this.lastError || 'connection closed';
    this.setDown(reason);
    if (this.stopping) return;
    const inMs = this.backoff.next();
    if (this.backoff.attempts === 1 && !this.everConnected) {
      this.opts.log.warn({ broker: redactUrl(this.opts.url), reason }, 'broker unreachable; retrying');
    } else {
      this.opts.log.debug({ in_ms: inMs, attempt: this.backoff.attempts, reason }, 'reconnecting');
    }
    this.emit({ state: 'reconnecting', inMs, attempt: this.backoff.attempts });
    this.reconnectTimer = this.opts.clock.setTimeout(() => {
      if (!this.stopping) this.connectOnce();
    }, inMs);
  }

  /** Marks the link down: rejects every publish waiting for PUBACK (the outbox replays them). */
  private setDown(reason: string): void {
    const wasReady = this.ready;
    this.ready = false;
    for (const fail of [...this.pendings])
      fail(new PbxlinkError('unavailable', `connection lost before PUBACK: ${reason}`));
    if (wasReady) {
      if (reason !== 'stopped') this.opts.log.warn({ reason }, 'connection lost');
      this.emit({ state: 'lost', reason });
    }
    this.lastError = '';
  }

  private emit(s: SessionStatus): void {
    for (const fn of this.statusListeners) {
      try {
        fn(s);
      } catch (err) {
        this.opts.log.error({ err }, 'status listener failed');
      }
    }
  }
}

/** Throws PbxlinkError(invalid_args) unless `url` is an mqtt://, mqtts://, ws:// or wss:// URL (DESIGN.md "Configuration"). */
export function checkBrokerUrl(url: string): void {
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // reported below
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(protocol)) {
    throw new PbxlinkError(
      'invalid_args',
      `broker URL ${redactUrl(url)} must be mqtt://, mqtts://, ws:// or wss://`,
    );
  }
}
