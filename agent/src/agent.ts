/**
 * Wires the agent: builds every part from the frozen config, starts them in order (commands, link, AMI,
 * modules), stops them in reverse. main.ts (cli/run.ts) is the only caller; nothing here is a singleton.
 */
import { readFileSync } from 'node:fs';
import { agentTopics } from '../../protocol/src/topics';
import type { AgentDeps, AgentHandle } from './cli/run';
import { readAsteriskInfo } from './collectors/asterisk-info';
import { DatabaseHealth } from './collectors/database-health';
import { DisksCollector } from './collectors/disks-collector';
import { FirewallCollector } from './collectors/firewall-collector';
import { HealthCollector } from './collectors/health-collector';
import { buildRecordings } from './collectors/recordings-wiring';
import { createCollectorSources } from './collectors/sources';
import { pbxInfo } from './commands/agent-info';
import { buildCommandHandlers } from './commands/index';
import type { AgentConfig } from './config/schema';
import { Bus } from './core/bus';
import { HeapTrim } from './core/heap-trim';
import type { Logger } from './core/log';
import type { AgentEvents, Module, ModuleContext, StateName } from './core/module';
import { Scheduler } from './core/scheduler';
import { Link } from './link/link';
import { LinkPublisher } from './link/publisher';
import { CommandService } from './link/router-service';
import { newBootId } from './link/seq-store';
import { AmiActions } from './pbx/ami/actions';
import { AmiTcpClient } from './pbx/ami/client';
import { CdrWorker } from './pbx/cdr/worker-client';
import { createConfigChanger } from './pbx/freepbx/config-changer';
import { FreepbxDb } from './pbx/freepbx/db';
import { CallState } from './state/calls';
import { PeerState } from './state/peers';

/** Everything built by buildAgent, exposed for tests. */
export interface AgentParts {
  readonly config: AgentConfig;
  readonly ctx: ModuleContext;
  readonly link: Link;
  readonly publisher: LinkPublisher;
  readonly ami: AmiTcpClient;
  readonly db: FreepbxDb | undefined;
  readonly peers: PeerState;
  readonly calls: CallState;
  readonly modules: readonly Module[];
  readonly commands: CommandService;
  readonly bootId: string;
  readonly startedAt: number;
}

const SNAPSHOTS: readonly StateName[] = ['health', 'peers', 'calls', 'disks', 'firewall'];

/** Builds the agent without starting it. */
export function buildAgent(config: AgentConfig, deps: AgentDeps): AgentHandle & { parts: AgentParts } {
  const { log, clock, version } = deps;
  const startedAt = clock.now();
  const bootId = newBootId();
  const topics = agentTopics(config.topic_prefix, config.agent_id);
  const bus = new Bus<AgentEvents>((err, event, owner) =>
    log.error({ err, event, owner }, 'bus listener failed'),
  );
  const scheduler = new Scheduler(log.child({ module: 'scheduler' }));
  const ami = buildAmi(config, deps);
  const db = config.db.user
    ? newDb(config.db.host, config.db.port, config.db.user, config.db.password, log)
    : undefined;
  const cdrDb = buildCdrDb(config, log) ?? db;
  // cdr.query pages run in a worker process with V8's optimizing compiler (the daemon runs without it to stay
  // small when idle: docs/install.md); it is started on the first query and closed after 30 s without one.
  const cdrSettings = {
    cdrDb: config.db.cdr_db,
    cdrTable: config.db.cdr_table,
    maxRows: config.commands.cdr_max_rows,
  };
  const cdrWorker = cdrDb && new CdrWorker({ setup: { db: cdrDb.settings, ...cdrSettings } });

  let capabilities: string[] = [];
  const link = buildLink(config, deps, bootId, startedAt, topics, ami, () => capabilities);
  const publisher = new LinkPublisher(link, clock, log.child({ module: 'publisher' }));
  const ctx: ModuleContext = { log, clock, scheduler, bus, publisher, ami };

  const sources = createCollectorSources({ monitorDir: config.paths.monitor_dir });
  const peers = new PeerState();
  const calls = new CallState();
  const recordings = buildRecordings({ config, link: publisher, db: cdrDb, clock, log });
  const keepAliveMs = config.schedules.keepalive_s * 1000;
  const modules: Module[] = [
    new HealthCollector({
      version,
      bootId,
      startedAt,
      agentId: config.agent_id,
      system: sources.system,
      asteriskInfo: () => readAsteriskInfo(ami),
      components: ['ami', 'database', 'broker'],
      cron: config.schedules.health,
      keepAliveMs,
    }),
    new DatabaseHealth(db),
    peers,
    calls,
    new DisksCollector(sources.disks, { cron: config.schedules.disks, keepAliveMs }),
    new FirewallCollector(sources.firewall, { cron: config.schedules.firewall, keepAliveMs }),
    recordings.watcher,
    new HeapTrim(),
  ];

  // Extensions and follow-me share one ConfigChanger: its per-account lock serializes both.
  const changer = db
    ? createConfigChanger({
        db,
        configDb: config.db.config_db,
        ami,
        applyArgv: config.apply_cmd,
        publisher,
        log: log.child({ module: 'config-change' }),
      })
    : undefined;
  const configDeps = db && changer ? { db, configDb: config.db.config_db, changer } : undefined;
  const handlers = buildCommandHandlers({
    info: { agentId: config.agent_id, version, bootId, startedAt, ami },
    refresh: { bus, snapshots: () => SNAPSHOTS },
    peers,
    calls,
    sources,
    cdr: cdrDb && { db: cdrDb, ...cdrSettings, log: log.child({ module: 'cdr' }), worker: cdrWorker },
    recordings: recordings.commandDeps,
    extensions: configDeps && { ...configDeps, log: log.child({ module: 'extensions' }) },
    followme: configDeps && {
      ...configDeps,
      actions: new AmiActions(ami),
      log: log.child({ module: 'followme' }),
    },
  });
  capabilities = handlers.map((h) => h.name);
  const commands = new CommandService({
    agentId: config.agent_id,
    topics,
    stateDir: config.paths.state_dir,
    trustedKeysFile: config.paths.trusted_keys,
    concurrency: config.commands.concurrency,
    timeoutMs: config.commands.timeout_ms,
    link,
    transport: publisher,
    handlers,
    clock,
    log: log.child({ module: 'commands' }),
  });

  // Transitions of the two links become component.status for state/health (degraded, not dead).
  ami.onStatus((s) => {
    if (s.state === 'connected' && s.resynced) {
      bus.emit('component.status', { component: 'ami', status: 'ok' });
      void link.refreshBirth(); // the birth's pbx part is known now (and may have changed: an upgrade)
    } else if (s.state === 'disconnected' || s.state === 'stopped')
      bus.emit('component.status', { component: 'ami', status: 'down', reason: s.reason ?? s.state });
  });
  link.onStatus((s) => {
    if (s.state === 'connected') {
      bus.emit('component.status', { component: 'broker', status: 'ok' });
      void link.refreshBirth(); // AMI may have logged in while the birth was on its way
    } else if (s.state === 'lost')
      bus.emit('component.status', { component: 'broker', status: 'down', reason: s.reason });
  });

  const parts: AgentParts = {
    config,
    ctx,
    link,
    publisher,
    ami,
    db,
    peers,
    calls,
    modules,
    commands,
    bootId,
    startedAt,
  };
  const started: Module[] = [];
  let stopping: Promise<void> | undefined;

  return {
    parts,
    async start() {
      // Commands a persistent session delivers at connect must find their handler: the router first.
      commands.start();
      link.start();
      ami.start();
      for (const m of modules) {
        try {
          await m.start({ ...ctx, log: log.child({ module: m.name }) });
          started.push(m);
        } catch (err) {
          // One failing module does not stop the daemon (STYLE.md, after zigbee2mqtt).
          log.error({ err, module: m.name }, 'module failed to start');
        }
      }
      log.info(
        { agent: config.agent_id, boot_id: bootId, version, commands: capabilities.length },
        'modules started',
      );
    },
    stop(reason: string) {
      stopping ??= (async () => {
        log.info({ reason }, 'agent stopping');
        await commands.stop();
        for (const m of started.reverse()) {
          try {
            await m.stop();
          } catch (err) {
            log.warn({ err, module: m.name }, 'module failed to stop cleanly');
          }
        }
        recordings.pusher?.stop();
        scheduler.stop();
        await cdrWorker?.close();
        await ami.stop();
        await link.stop();
        await db?.close();
        if (cdrDb !== db) await cdrDb?.close();
        log.info('modules stopped');
      })();
      return stopping;
    },
  };
}

function buildAmi(config: AgentConfig, { clock, log }: AgentDeps): AmiTcpClient {
  return new AmiTcpClient({
    host: config.ami.host,
    port: config.ami.port,
    username: config.ami.username ?? '',
    secret: config.ami.secret ?? '',
    clock,
    log: log.child({ module: 'ami' }),
    actionTimeoutMs: config.ami.action_timeout_ms,
    pingIntervalMs: config.ami.ping_interval_s * 1000,
  });
}

function buildLink(
  config: AgentConfig,
  { clock, log, version }: AgentDeps,
  bootId: string,
  startedAt: number,
  topics: ReturnType<typeof agentTopics>,
  ami: AmiTcpClient,
  capabilities: () => string[],
): Link {
  const b = config.broker;
  return new Link({
    url: b.url,
    topics,
    bootId,
    birth: () => ({
      version,
      started_at: new Date(startedAt).toISOString(),
      capabilities: capabilities(),
      pbx: pbxInfo(ami),
    }),
    protocolVersion: b.protocol_version,
    username: b.username,
    password: b.password,
    ca: b.ca ? readFileSync(b.ca) : undefined,
    cert: b.cert ? readFileSync(b.cert) : undefined,
    key: b.key ? readFileSync(b.key) : undefined,
    keepaliveS: b.keepalive_s,
    sessionExpiryS: b.session_expiry_s,
    connectTimeoutMs: b.connect_timeout_ms,
    maxPacketBytes: b.max_packet_bytes,
    backoff: { initialMs: b.reconnect_min_ms, maxMs: b.reconnect_max_ms },
    stateDir: config.paths.state_dir,
    outboxBytes: config.outbox.max_bytes,
    clock,
    log: log.child({ module: 'link' }),
  });
}

function newDb(
  host: string,
  port: number,
  user: string,
  password: string | undefined,
  log: Logger,
): FreepbxDb {
  return new FreepbxDb({ host, port, user, password, log: log.child({ module: 'db' }) });
}

/** A separate pool when the CDR database lives elsewhere (CDRDBHOST/PORT/USER/PASS, reference §8.1). */
function buildCdrDb(config: AgentConfig, log: Logger): FreepbxDb | undefined {
  const d = config.db;
  if (!d.cdr_host && !d.cdr_user && d.cdr_port === undefined) return undefined;
  const user = d.cdr_user ?? d.user;
  if (!user) return undefined;
  return newDb(d.cdr_host ?? d.host, d.cdr_port ?? d.port, user, d.cdr_password ?? d.password, log);
}
