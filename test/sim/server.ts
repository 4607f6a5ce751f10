/** The AMI simulator: a real TCP server that speaks AMI as Asterisk 1.8.32.3 / 11.25.3 / 13.38.3 / 16.30.0. */
import { createServer, type Server, type Socket } from 'node:net';
import type { ActionHooks } from './actions';
import { actionTable } from './actions';
import type { CallKit } from './calls';
import type { SimEvent } from './events';
import { type LoadOptions, type LoadResult, runLoad } from './load';
import type { PeerSpec, SimChannel } from './model';
import type { Dialect, DialectProfile } from './profiles';
import type { SimQuirks } from './quirks';
import { runScenario, type ScenarioName, type ScenarioOptions, type ScenarioResult } from './scenarios';
import { type SessionHost, SimSession } from './session';
import { createSimCore, frameEvent } from './sim-core';
import { reloadEvents, shutdownEvent } from './system-events';
import { type ActionMessage, type Fields, frame, timestamp } from './wire';

/** Options of startAmiSimulator. */
export interface AmiSimulatorOptions {
  dialect: Dialect;
  username?: string;
  secret?: string;
  port?: number;
  host?: string;
  peers?: PeerSpec[];
  /** `timestampevents=yes` in manager.conf: `Timestamp:` after Privilege (§1). */
  timestampEvents?: boolean;
  /** cdr_manager enabled: scenarios end with a Cdr event (§5.5). */
  cdrManager?: boolean;
  /** Delay before answering a failed Login (§1.1: 1 s). */
  authFailDelayMs?: number;
  /** `authtimeout`: close unauthenticated sessions after this long (§1.1: 30 s). */
  authTimeoutMs?: number;
  /** `allowmultiplelogin` (default true). */
  allowMultipleLogin?: boolean;
  /** Scenario time factor: 1 = realistic pacing, 0.01 = 100× faster, 0 = no waiting. */
  speed?: number;
  /** Profile fields to override (see SimCoreOptions.profileOverrides). */
  profileOverrides?: Partial<Omit<DialectProfile, 'dialect'>>;
  /** Opt-in wire quirks from real captures (§15); off by default. */
  quirks?: SimQuirks;
  /** Append a non-Asterisk `SimSentAt: <epoch ms>` header to each event, for latency benchmarks. */
  stampEvents?: boolean;
  /** Wall clock (ms), injectable. */
  now?: () => number;
  /** Initial AstDB content, keys `/FAMILY/key` (§6.2). */
  astdb?: Record<string, string>;
}

/** One recorded action, for assertions. */
export interface RecordedAction {
  action: string;
  headers: Record<string, string>;
  at: number;
}

/** A running simulator. */
export interface AmiSimulator {
  readonly port: number;
  readonly dialect: Dialect;
  readonly profile: DialectProfile;
  readonly astdb: Map<string, string>;
  readonly peers: PeerSpec[];
  readonly channels: SimChannel[];
  readonly actionsReceived: RecordedAction[];
  readonly calls: CallKit;
  connections(): number;
  close(): Promise<void>;
  dropConnections(): void;
  setStalled(on: boolean): void;
  sendGarbage(bytes: Buffer | string): void;
  emitEvent(fields: Fields): void;
  /** Emits one simulator event (framed with Privilege and optional Timestamp) to logged-in sessions. */
  emit(e: SimEvent): void;
  /** Asterisk stopping: `Shutdown` event to every session, then all connections close (server keeps listening). */
  shutdown(opts?: { restart?: boolean }): void;
  failNext(action: string, n?: number, opts?: { mode?: 'error' | 'drop'; message?: string }): void;
  runScenario(name: ScenarioName, opts?: ScenarioOptions): Promise<ScenarioResult>;
  runLoad(opts: LoadOptions): Promise<LoadResult>;
  /** Called with each event's name and the time (performance.now()) it was written to the sockets. */
  onEventWritten: ((name: string, sentAt: number, text: string) => void) | undefined;
}

/** Realistic failure messages for failNext (§6.1). */
const FAIL_MESSAGES: Record<string, string> = {
  dbput: 'Failed to update entry',
  dbget: 'Database entry not found',
  dbdel: 'Database entry not found',
  dbdeltree: 'Database unavailable',
  command: 'Command response construction error',
  login: 'Authentication failed',
};

/** Starts a simulator listening on 127.0.0.1 (port 0 = OS-chosen). */
export async function startAmiSimulator(opts: AmiSimulatorOptions): Promise<AmiSimulator> {
  let sim: AmiSimulator | undefined;
  const core = createSimCore(opts, (e: SimEvent) => sim?.emit(e));
  const { state, kit, scenarioHost } = core;
  const { profile } = state;
  const now = state.now;
  const map = state.astdb.map;
  const sessions = new Set<SimSession>();
  const sockets = new Set<Socket>();
  const failures = new Map<string, Array<{ mode: 'error' | 'drop'; message: string }>>();
  const actionsReceived: RecordedAction[] = [];
  let stalled = false;
  let pendingGreetings: SimSession[] = [];
  const hooks: ActionHooks = {
    onReload: (module, via) => {
      state.reloadedAt = now();
      // Emitted after the response is written (the reload runs after the action returns).
      setImmediate(() => {
        for (const e of reloadEvents(profile, module, via, state.peers)) sim?.emit(e);
      });
    },
  };

  const fullyBooted = (): string => {
    const f: Fields = [
      ['Event', 'FullyBooted'],
      ['Privilege', 'system,all'],
    ];
    if (opts.timestampEvents) f.push(['Timestamp', timestamp(now())]);
    // 16+: Uptime and LastReload precede Status (§1.1, §5.7).
    if (profile.fullyBootedUptime) {
      f.push(
        ['Uptime', String(Math.floor((now() - state.startedAt) / 1000))],
        ['LastReload', String(Math.floor((now() - state.reloadedAt) / 1000))],
      );
    }
    f.push(['Status', 'Fully Booted']);
    return frame(f);
  };

  const host: SessionHost = {
    state,
    actions: actionTable(state),
    hooks,
    username: opts.username ?? 'admin',
    secret: opts.secret ?? 'amp111',
    authFailDelayMs: opts.authFailDelayMs ?? 1000,
    authTimeoutMs: opts.authTimeoutMs ?? 30_000,
    allowMultipleLogin: opts.allowMultipleLogin ?? true,
    quirks: opts.quirks,
    userInUse: (user, self) => [...sessions].some((x) => x !== self && x.authed && x.user === user),
    isStalled: () => stalled,
    takeFailure: (action) => failures.get(action)?.shift(),
    record: (action: string, m: ActionMessage) => {
      actionsReceived.push({ action, headers: m.toRecord(), at: now() });
      if (actionsReceived.length > 10_000) actionsReceived.splice(0, 5_000);
    },
    fullyBooted,
  };

  const server: Server = createServer((socket) => {
    // Bytes on the wire are unaffected; without it Nagle delays the simulator's small writes by up to
    // tens of ms and the latency benchmark would measure the simulator, not the agent.
    socket.setNoDelay(true);
    sockets.add(socket);
    const s = new SimSession(socket, host);
    sessions.add(s);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      sessions.delete(s);
    });
    if (stalled) pendingGreetings.push(s);
    else s.greet();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  sim = {
    port,
    dialect: opts.dialect,
    profile,
    astdb: map,
    peers: state.peers,
    channels: state.channels,
    actionsReceived,
    calls: kit,
    onEventWritten: undefined,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    setStalled: (on) => {
      stalled = on;
      if (!on) {
        const g = pendingGreetings;
        pendingGreetings = [];
        for (const s of g) s.greet();
        for (const s of sessions) s.resume();
      }
    },
    sendGarbage: (bytes) => {
      for (const s of sockets) if (!s.destroyed) s.write(bytes);
    },
    emitEvent: (fields) => {
      if (stalled) return;
      const priv = fields.find(([k]) => k.toLowerCase() === 'privilege')?.[1] ?? 'all';
      const cls = priv.split(',')[0] ?? 'all';
      const text = frame(fields);
      for (const s of sessions) s.sendEvent(cls === 'all' ? 'system' : cls, text);
    },
    emit: (e) => {
      if (stalled) return;
      const text = frameEvent(e, {
        timestampMs: opts.timestampEvents ? now() : undefined,
        stamp: opts.stampEvents ? performance.timeOrigin + performance.now() : undefined,
      });
      for (const s of sessions) s.sendEvent(e.cls, text);
      sim?.onEventWritten?.(e.name, performance.now(), text);
    },
    shutdown: (o = {}) => {
      sim?.emit(shutdownEvent(state.channels.length, o.restart ?? false));
      for (const s of sockets) s.end();
      setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, 50).unref();
    },
    failNext: (action, n = 1, o = {}) => {
      const lc = action.toLowerCase();
      const list = failures.get(lc) ?? [];
      for (let i = 0; i < n; i++)
        list.push({ mode: o.mode ?? 'error', message: o.message ?? FAIL_MESSAGES[lc] ?? 'Failed' });
      failures.set(lc, list);
    },
    runScenario: (name, o) => runScenario(scenarioHost, name, o),
    runLoad: (o) => runLoad(scenarioHost, o),
  };
  return sim;
}
