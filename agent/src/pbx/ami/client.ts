import { createConnection, type Socket } from 'node:net';
import { Backoff, type BackoffOptions } from '../../core/backoff';
import type { Clock, Timer } from '../../core/clock';
import { PbxlinkError } from '../../core/errors';
import type { Logger } from '../../core/log';
import { makeDialect } from './dialect';
import { encodeAction } from './encode';
import { AmiFramer } from './framer';
import { PendingActions } from './pending';
import { EventSubscribers } from './subscribers';
import type {
  ActionOptions,
  AmiClient,
  AmiConnectionState,
  AmiDialect,
  AmiListResult,
  AmiMessage,
} from './types';

/** Event classes the agent asks for at login (reference §1 privilege classes; §1.2 comma list). */
export const LOGIN_EVENT_CLASSES = 'system,call,agent,user,cdr';

/** Everything the client needs; the caller owns clock and logger (a child logger per module). */
export interface AmiClientOptions {
  host: string;
  port: number;
  username: string;
  secret: string;
  clock: Clock;
  log: Logger;
  /** Default per-action timeout (10 s). */
  actionTimeoutMs?: number;
  /** TCP connect + greeting + login + probing must finish within this (10 s). */
  connectTimeoutMs?: number;
  /** Keep-alive Ping interval (20 s); a Ping unanswered within `pingTimeoutMs` (5 s) forces a reconnect. */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /** Reconnect policy (exponential, full jitter, capped). */
  backoff?: BackoffOptions;
  /** Framer cap per message (1 MiB). */
  maxMessageBytes?: number;
}

type StatusFn = (s: { state: AmiConnectionState; resynced?: boolean; reason?: string }) => void;
type EventFn = (msg: AmiMessage) => void;

/** The AMI client: connect, log in, learn the dialect, correlate actions, keep alive, reconnect with backoff. */
export class AmiTcpClient implements AmiClient {
  private st: AmiConnectionState = 'disconnected';
  private dia: AmiDialect | undefined;
  private socket: Socket | undefined;
  private pending: PendingActions;
  private readonly backoff: Backoff;
  private readonly subs: EventSubscribers;
  private readonly statusFns = new Set<StatusFn>();
  private readonly waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  private reconnectTimer: Timer | undefined;
  private connectTimer: Timer | undefined;
  private pingTimer: Timer | undefined;
  private conn = 0;
  private seq = 0;
  private started = false;
  private fatal: PbxlinkError | undefined;
  private closed: Promise<void> = Promise.resolve();
  /** When bytes last arrived (monotonic ms): proof of life while a Ping reply waits behind a burst of events. */
  private lastDataAt = 0;

  constructor(private readonly opts: AmiClientOptions) {
    this.pending = new PendingActions(opts.clock);
    this.backoff = new Backoff(opts.backoff);
    this.subs = new EventSubscribers(opts.log);
  }

  get state(): AmiConnectionState {
    return this.st;
  }

  get dialect(): AmiDialect | undefined {
    return this.dia;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.fatal = undefined;
    this.connect();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.opts.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.teardown(new PbxlinkError('unavailable', 'AMI client stopped', { retryable: false }));
    await this.closed;
    this.setState('stopped');
    this.settleWaiters(new PbxlinkError('unavailable', 'AMI client stopped', { retryable: false }));
  }

  /** Resolves once logged in and the dialect is known; rejects on bad credentials or stop. */
  waitReady(timeoutMs = 30_000): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.st === 'connected' && this.dia) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        resolve: () => {
          this.opts.clock.clearTimeout(t);
          resolve();
        },
        reject: (e: Error) => {
          this.opts.clock.clearTimeout(t);
          reject(e);
        },
      };
      const t = this.opts.clock.setTimeout(() => {
        this.waiters.delete(w);
        reject(new PbxlinkError('unavailable', `AMI not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  action(action: string, fields: Record<string, string> = {}, opts: ActionOptions = {}): Promise<AmiMessage> {
    return this.send(action, fields, false, opts) as Promise<AmiMessage>;
  }

  list(
    action: string,
    fields: Record<string, string> = {},
    opts: ActionOptions = {},
  ): Promise<AmiListResult> {
    return this.send(action, fields, true, opts) as Promise<AmiListResult>;
  }

  async command(cli: string, opts: ActionOptions = {}): Promise<string[]> {
    const r = await this.action('Command', { Command: cli }, opts);
    // 1.8–13: Response: Follows + raw body; 14+: Success|Error + Output: lines (§2.1, §2.2).
    if (r.output && (r.name === 'Follows' || r.output.length > 0)) {
      const lines = [...r.output];
      // 14+ sends one empty `Output: ` for empty output (§2.2).
      return lines.length === 1 && lines[0] === '' && r.name !== 'Follows' ? [] : lines;
    }
    if (r.name === 'Success') return [];
    throw new PbxlinkError('internal', `AMI command "${cli}" failed: ${r.headers.message ?? r.name}`, {
      details: { response: r.name, message: r.headers.message },
    });
  }

  onEvent(names: readonly string[] | '*', fn: EventFn): () => void {
    return this.subs.add(names, fn);
  }

  onStatus(fn: StatusFn): () => void {
    this.statusFns.add(fn);
    return () => this.statusFns.delete(fn);
  }

  private send(action: string, fields: Record<string, string>, list: boolean, opts: ActionOptions) {
    const sock = this.socket;
    if (!sock || this.st !== 'connected') {
      return Promise.reject(new PbxlinkError('unavailable', `AMI not connected (action ${action})`));
    }
    return this.sendRaw(sock, action, fields, list, opts.timeoutMs ?? this.opts.actionTimeoutMs ?? 10_000);
  }

  private sendRaw(
    sock: Socket,
    action: string,
    fields: Record<string, string>,
    list: boolean,
    timeoutMs: number,
  ) {
    const id = `${this.conn}.${++this.seq}`;
    const p = this.pending.add(id, action, list, timeoutMs);
    sock.write(encodeAction(action, id, fields));
    return p;
  }

  private connect(): void {
    const conn = ++this.conn;
    this.seq = 0;
    this.setState('connecting');
    const { host, port, clock, log } = this.opts;
    const sock = createConnection({ host, port });
    sock.setNoDelay(true); // Without TCP_NODELAY small actions waited on Nagle: p99 39 ms (issue 3).
    this.socket = sock;
    this.closed = new Promise((resolve) => sock.once('close', () => resolve()));
    const pending = new PendingActions(clock);
    this.pending = pending;
    const framer = new AmiFramer(
      {
        message: (m) => this.onMessage(m, pending),
        greeting: (v) => void this.login(sock, v, conn),
        error: (e) => {
          log.warn({ err: e.message }, 'AMI stream error; reconnecting');
          sock.destroy();
        },
      },
      {
        maxMessageBytes: this.opts.maxMessageBytes,
        wantEvent: (n) => pending.collecting || this.subs.wants(n),
      },
    );
    this.connectTimer = clock.setTimeout(() => {
      if (!this.dia || this.conn !== conn) sock.destroy(new Error('AMI connect/login timed out'));
    }, this.opts.connectTimeoutMs ?? 10_000);
    sock.on('data', (d: Buffer) => {
      this.lastDataAt = this.opts.clock.monotonic();
      framer.push(d);
    });
    sock.on('error', (err) => log.debug({ err: err.message }, 'AMI socket error'));
    sock.on('close', () => {
      framer.end();
      this.onClose(conn, sock);
    });
  }

  private async login(sock: Socket, amiVersion: string, conn: number): Promise<void> {
    const { username, secret, log } = this.opts;
    try {
      // The secret goes on the wire only; it is never logged.
      const r = (await this.sendRaw(
        sock,
        'Login',
        // Only the classes the agent uses: dialplan (Newexten, VarSet) and reporting (RTCP) noise stays in
        // Asterisk (§1.2: a comma list of class names; the user's read= still filters).
        { Username: username, Secret: secret, Events: LOGIN_EVENT_CLASSES },
        false,
        this.opts.actionTimeoutMs ?? 10_000,
      )) as AmiMessage;
      if (r.name !== 'Success') {
        this.fatal = new PbxlinkError('unavailable', `AMI login failed for user "${username}"`, {
          retryable: false,
          details: { message: r.headers.message },
        });
        log.error({ user: username, message: r.headers.message }, 'AMI login failed');
        this.started = false;
        sock.destroy();
        return;
      }
      this.setState('connected');
      log.info({ host: this.opts.host, port: this.opts.port, amiVersion }, 'AMI connected');
      const dialect = await this.probe(amiVersion);
      if (this.conn !== conn || !this.started) return;
      this.dia = dialect;
      this.backoff.reset();
      this.opts.clock.clearTimeout(this.connectTimer);
      this.startPing(sock, conn);
      log.info({ dialect }, 'AMI resynced');
      this.emitStatus({ state: 'connected', resynced: true });
      this.settleWaiters();
    } catch (err) {
      if (this.conn === conn) {
        log.warn({ err: (err as Error).message }, 'AMI login or probe failed; reconnecting');
        sock.destroy();
      }
    }
  }

  /** CoreSettings for the version (banner 2.8.0 is ambiguous, §0.3), then chan_sip and PJSIP probes (§16). */
  private async probe(amiVersion: string): Promise<AmiDialect> {
    const core = await this.action('CoreSettings');
    const asteriskVersion = core.name === 'Success' ? core.headers.asteriskversion : undefined;
    const sip = await this.list('SIPpeers');
    const pj = await this.list('PJSIPShowEndpoints');
    return makeDialect({
      amiVersion,
      asteriskVersion,
      chanSip: sip.response.name === 'Success',
      pjsip: pj.response.name === 'Success',
    });
  }

  private startPing(sock: Socket, conn: number): void {
    const { clock, log } = this.opts;
    const every = this.opts.pingIntervalMs ?? 20_000;
    this.pingTimer = clock.setInterval(() => {
      if (this.conn !== conn) return;
      const sentAt = clock.monotonic();
      this.action('Ping', {}, { timeoutMs: this.opts.pingTimeoutMs ?? 5_000 }).catch(() => {
        if (this.conn !== conn || sock.destroyed) return;
        // Under a flood the Pong queues behind events: bytes since the Ping mean Asterisk is alive.
        if (this.lastDataAt > sentAt) return;
        log.warn('AMI Ping unanswered; reconnecting');
        sock.destroy();
      });
    }, every);
  }

  private onMessage(m: AmiMessage, pending: PendingActions): void {
    if (m.kind === 'response') pending.onResponse(m);
    else if (!pending.onEvent(m)) this.subs.deliver(m);
  }

  private onClose(conn: number, sock: Socket): void {
    if (this.socket !== sock) return;
    const wasReady = this.dia !== undefined;
    this.teardown(new PbxlinkError('unavailable', 'AMI connection lost'));
    if (this.fatal) {
      this.setState('stopped', this.fatal.message);
      this.settleWaiters(this.fatal);
      return;
    }
    if (!this.started) return;
    const delay = this.backoff.next();
    this.setState('disconnected', 'connection lost');
    if (wasReady || this.backoff.attempts === 1)
      this.opts.log.warn({ conn, retryInMs: delay }, 'AMI connection lost');
    this.reconnectTimer = this.opts.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.started) this.connect();
    }, delay);
  }

  /** Drops the socket and everything tied to it; pending actions reject with `unavailable`. */
  private teardown(err: PbxlinkError): void {
    const { clock } = this.opts;
    clock.clearInterval(this.pingTimer);
    clock.clearTimeout(this.connectTimer);
    this.pingTimer = undefined;
    this.connectTimer = undefined;
    this.dia = undefined;
    const sock = this.socket;
    this.socket = undefined;
    this.pending.rejectAll(err);
    sock?.destroy();
  }

  private setState(state: AmiConnectionState, reason?: string): void {
    if (this.st === state) return;
    this.st = state;
    this.emitStatus(reason === undefined ? { state } : { state, reason });
  }

  private emitStatus(s: { state: AmiConnectionState; resynced?: boolean; reason?: string }): void {
    for (const fn of this.statusFns) {
      try {
        fn(s);
      } catch (err) {
        this.opts.log.warn({ err }, 'AMI status listener threw');
      }
    }
  }

  private settleWaiters(err?: Error): void {
    const all = [...this.waiters];
    this.waiters.clear();
    for (const w of all)
      if (err) w.reject(err);
      else w.resolve();
  }
}
