/**
 * Wires the agent: builds every part from the frozen config, starts them in order (link, AMI, modules),
 * stops them in reverse. main.ts (cli/run.ts) is the only caller; nothing here is a singleton.
 */
import { readFileSync } from 'node:fs';
import { agentTopics } from '../../protocol/src/topics';
import type { AgentDeps, AgentHandle } from './cli/run';
import { dialectName, readAsteriskInfo } from './collectors/asterisk-info';
import { DatabaseHealth } from './collectors/database-health';
import { DisksCollector } from './collectors/disks-collector';
import { FirewallCollector } from './collectors/firewall-collector';
import { HealthCollector } from './collectors/health-collector';
import { createCollectorSources } from './collectors/sources';
import type { AgentConfig } from './config/schema';
import { Bus } from './core/bus';
import type { AgentEvents, Module, ModuleContext } from './core/module';
import { Scheduler } from './core/scheduler';
import { Link } from './link/link';
import { LinkPublisher } from './link/publisher';
import { newBootId } from './link/seq-store';
import { AmiTcpClient } from './pbx/ami/client';
import { FreepbxDb } from './pbx/freepbx/db';
import { CallState } from './state/calls';
import { PeerState } from './state/peers';

/** Everything built by buildAgent, exposed for the command handlers' wiring and for tests. */
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
  readonly bootId: string;
  readonly startedAt: number;
}

/** Every cron expression in the config uses node-cron's six fields (seconds first). */
const keepAliveMs = (cfg: AgentConfig) => cfg.schedules.keepalive_s * 1000;

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

  const ami = new AmiTcpClient({
    host: config.ami.host,
    port: config.ami.port,
    username: config.ami.username ?? '',
    secret: config.ami.secret ?? '',
    clock,
    log: log.child({ module: 'ami' }),
    actionTimeoutMs: config.ami.action_timeout_ms,
    pingIntervalMs: config.ami.ping_interval_s * 1000,
  });

  const db = config.db.user
    ? new FreepbxDb({
        host: config.db.host,
        port: config.db.port,
        user: config.db.user,
        password: config.db.password,
        log: log.child({ module: 'db' }),
      })
    : undefined;

  const capabilities: string[] = [];
  const link = new Link({
    url: config.broker.url,
    topics,
    bootId,
    birth: () => ({
      version,
      started_at: new Date(startedAt).toISOString(),
      capabilities,
      pbx: pbxInfo(ami),
    }),
    protocolVersion: config.broker.protocol_version,
    username: config.broker.username,
    password: config.broker.password,
    ca: config.broker.ca ? readFileSync(config.broker.ca) : undefined,
    cert: config.broker.cert ? readFileSync(config.broker.cert) : undefined,
    key: config.broker.key ? readFileSync(config.broker.key) : undefined,
    keepaliveS: config.broker.keepalive_s,
    sessionExpiryS: config.broker.session_expiry_s,
    connectTimeoutMs: config.broker.connect_timeout_ms,
    maxPacketBytes: config.broker.max_packet_bytes,
    backoff: { initialMs: config.broker.reconnect_min_ms, maxMs: config.broker.reconnect_max_ms },
    stateDir: config.paths.state_dir,
    outboxBytes: config.outbox.max_bytes,
    clock,
    log: log.child({ module: 'link' }),
  });
  const publisher = new LinkPublisher(link, clock, log.child({ module: 'publisher' }));

  const ctx: ModuleContext = { log, clock, scheduler, bus, publisher, ami };
  const sources = createCollectorSources({ monitorDir: config.paths.monitor_dir });
  const peers = new PeerState();
  const calls = new CallState();
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
      keepAliveMs: keepAliveMs(config),
    }),
    new DatabaseHealth(db),
    peers,
    calls,
    new DisksCollector(sources.disks, { cron: config.schedules.disks, keepAliveMs: keepAliveMs(config) }),
    new FirewallCollector(sources.firewall, {
      cron: config.schedules.firewall,
      keepAliveMs: keepAliveMs(config),
    }),
  ];

  // Transitions of the two links become component.status for state/health (degraded, not dead).
  ami.onStatus((s) => {
    if (s.state === 'connected' && s.resynced)
      bus.emit('component.status', { component: 'ami', status: 'ok' });
    else if (s.state === 'disconnected')
      bus.emit('component.status', { component: 'ami', status: 'down', reason: s.reason ?? 'disconnected' });
  });
  link.onStatus((s) => {
    if (s.state === 'connected') bus.emit('component.status', { component: 'broker', status: 'ok' });
    else if (s.state === 'lost')
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
    bootId,
    startedAt,
  };
  const started: Module[] = [];
  let stopping: Promise<void> | undefined;

  return {
    parts,
    async start() {
      link.start();
      ami.start();
      for (const m of modules) {
        try {
          await m.start({ ...ctx, log: log.child({ module: m.name }) });
          started.push(m);
        } catch (err) {
          // One failing module does not stop the daemon (STYLE.md, zigbee2mqtt).
          log.error({ err, module: m.name }, 'module failed to start');
        }
      }
      log.info({ agent: config.agent_id, boot_id: bootId, version }, 'agent started');
    },
    stop(reason: string) {
      stopping ??= (async () => {
        log.info({ reason }, 'agent stopping');
        for (const m of started.reverse()) {
          try {
            await m.stop();
          } catch (err) {
            log.warn({ err, module: m.name }, 'module failed to stop cleanly');
          }
        }
        scheduler.stop();
        await ami.stop();
        await link.stop();
        await db?.close();
        log.info('agent stopped');
      })();
      return stopping;
    },
  };
}

/** The birth message's `pbx` block: what the agent knows about the PBX right now. */
function pbxInfo(ami: AmiTcpClient): Record<string, unknown> {
  const d = ami.dialect;
  return d
    ? {
        dialect: dialectName(d.major),
        asterisk_version: d.asteriskVersion,
        ami_version: d.amiVersion,
        chan_sip: d.chanSip,
        pjsip: d.pjsip,
      }
    : { dialect: null, asterisk_version: null, ami_version: null, chan_sip: null, pjsip: null };
}
