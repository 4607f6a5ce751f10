/**
 * The command side of the agent in one piece for agent.ts: trusted keys (hot reload), the persistent replay
 * cache and the audit log in the state dir, and the router on the link. Start it before `link.start()` so the
 * commands a persistent session delivers at connect find their handler.
 */
import { join } from 'node:path';
import type { AgentTopics } from '../../../protocol/src/topics';
import type { CommandHandler } from '../commands/types';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/log';
import type { Publisher } from '../core/module';
import { AuditLog } from './audit';
import { PersistentReplayCache } from './replay-cache';
import type { ReplyTransport } from './replies';
import { CommandRouter, type RouterStats } from './router';
import type { IncomingMessage } from './session';
import { TrustedKeyStore } from './trusted-keys';

/** What the command service needs (all from the config and the agent's parts). */
export interface CommandServiceOptions {
  agentId: string;
  topics: AgentTopics;
  /** PBXLINK_STATE_DIR: `replay-cache.jsonl` and `audit/` live here. */
  stateDir: string;
  /** PBXLINK_TRUSTED_KEYS. */
  trustedKeysFile: string;
  /** config commands.concurrency / commands.timeout_ms. */
  concurrency: number;
  timeoutMs: number;
  /** The link: commands in. */
  link: { onCommand(handler: (m: IncomingMessage) => void | Promise<void>): void };
  /** Replies and blobs out, and `audit` events (LinkPublisher is both). */
  transport: ReplyTransport & Pick<Publisher, 'publishEvent'>;
  handlers: readonly CommandHandler[];
  clock: Clock;
  log: Logger;
}

/** Trusted keys + replay cache + audit log + router, started and stopped together. */
export class CommandService {
  private keys: TrustedKeyStore | undefined;
  private replay: PersistentReplayCache | undefined;
  private audit: AuditLog | undefined;
  private router: CommandRouter | undefined;

  constructor(private readonly opts: CommandServiceOptions) {}

  /** The command names served (birth `capabilities`, agent.info). */
  get capabilities(): string[] {
    return this.opts.handlers.map((h) => h.name);
  }

  /** Router counters (zero before start). */
  stats(): RouterStats {
    return this.router?.stats() ?? { running: 0, executed: 0 };
  }

  /** Loads the keys (a bad file is logged; commands then get unknown_key), opens the state files, attaches to the link. */
  start(): void {
    if (this.router) return;
    const o = this.opts;
    const log = o.log;
    this.keys = new TrustedKeyStore({
      file: o.trustedKeysFile,
      clock: o.clock,
      log: log.child({ part: 'trusted-keys' }),
    });
    this.keys.start();
    this.replay = PersistentReplayCache.open(o.stateDir, Math.floor(o.clock.now() / 1000), {
      log: log.child({ part: 'replay-cache' }),
    });
    this.audit = new AuditLog({
      dir: join(o.stateDir, 'audit'),
      clock: o.clock,
      log,
      publisher: o.transport,
    });
    this.audit.open();
    this.router = new CommandRouter({
      agentId: o.agentId,
      topics: o.topics,
      transport: o.transport,
      handlers: o.handlers,
      keys: this.keys,
      replay: this.replay,
      audit: this.audit,
      clock: o.clock,
      log,
      concurrency: o.concurrency,
      defaultTimeoutMs: o.timeoutMs,
    });
    this.router.start(o.link);
  }

  /** Aborts running commands (they reply `unavailable`), then closes the files. Call before `link.stop()`. Idempotent. */
  async stop(): Promise<void> {
    await this.router?.stop();
    this.keys?.stop();
    this.replay?.close();
    this.audit?.close();
    this.router = undefined;
  }
}
