/**
 * `pbxlink run`: configuration → validation → lock → build the agent (agent.ts, loaded lazily) → start →
 * wait for SIGINT/SIGTERM → stop → release the lock → exit code. SIGHUP reopens the log file.
 */
import pino from 'pino';
import type { LoadedConfig } from '../config/load';
import type { AgentConfig } from '../config/schema';
import { type Clock, systemClock } from '../core/clock';
import { isPbxlinkError } from '../core/errors';
import { acquireStateLock, type StateLock } from '../core/lock';
import { createLogger, type Logger, maskSecrets } from '../core/log';
import { EXIT } from './exit-codes';

/** What main.ts hands to `buildAgent(config, deps)` in agent.ts. */
export interface AgentDeps {
  readonly log: Logger;
  readonly clock: Clock;
  /** pbxlink's version (package.json). */
  readonly version: string;
  /** Where each config value came from and the discovery notes (for agent.info / logs). */
  readonly configSources: Readonly<Record<string, string>>;
}

/** What agent.ts's `buildAgent` returns. `start` resolves once modules are started; `stop` is idempotent. */
export interface AgentHandle {
  start(): Promise<void>;
  stop(reason: string): Promise<void>;
}

/** agent.ts's module shape. */
export interface AgentModule {
  buildAgent(config: AgentConfig, deps: AgentDeps): AgentHandle | Promise<AgentHandle>;
}

/** How long a clean stop may take before the process exits anyway. */
const STOP_TIMEOUT_MS = 15_000;

/** Loads agent.ts lazily; undefined while it does not exist yet. The template literal lets esbuild
 * bundle `./agent.ts` when present (glob import) without failing the build while it is missing. */
async function loadAgentModule(): Promise<AgentModule | undefined> {
  const ext = '.ts';
  try {
    const mod = (await import(`../agent${ext}`)) as Partial<AgentModule>;
    if (typeof mod.buildAgent !== 'function')
      throw new Error('agent/src/agent.ts does not export buildAgent(config, deps)');
    return mod as AgentModule;
  } catch (e) {
    // Only agent.ts itself missing means "not built yet"; a missing import *inside* agent.ts is a real error.
    const msg = String((e as Error)?.message ?? e);
    if (/not found in bundle: \.\.\/agent\.ts|Cannot find module '[^']*\/agent\/src\/agent\.ts'/.test(msg))
      return undefined;
    throw e;
  }
}

function makeLogger(cfg: AgentConfig, secrets: string[]): { log: Logger; reopen: () => void } {
  if (!cfg.log.file) return { log: createLogger({ level: cfg.log.level, secrets }), reopen: () => {} };
  const dest = pino.destination({ dest: cfg.log.file, mkdir: true, sync: false });
  return {
    log: createLogger({ level: cfg.log.level, secrets, destination: dest }),
    reopen: () => dest.reopen(),
  };
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      // The same signal again while stopping forces the exit (Ctrl-C twice, or TERM sent twice). The other one
      // is the same request arriving twice: Ctrl-C reaches a whole process group, and a wrapper (the demo, a
      // script) then sends its own SIGTERM. Left to Node's default, it killed the agent mid-stop, before its
      // clean DISCONNECT: the broker published the last will after the `stopped` status.
      process.once(sig, () => process.exit(EXIT.failure));
      process.on(sig === 'SIGINT' ? 'SIGTERM' : 'SIGINT', () => {});
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Runs the agent until a signal; returns the exit code. `err` prints one line to stderr. */
export async function runAgent(
  loaded: LoadedConfig,
  version: string,
  err: (line: string) => void,
): Promise<number> {
  const mask = (l: string) =>
    maskSecrets(
      l,
      loaded.secrets.filter((x) => x.length >= 3),
    );
  if (!loaded.config) {
    for (const p of loaded.problems) err(mask(`config error: ${p}`));
    err(
      `pbxlink: ${loaded.problems.length} configuration problem(s); not started (see docs/configuration.md, or run \`pbxlink check\`)`,
    );
    return EXIT.config;
  }
  const cfg = loaded.config;
  const { log, reopen } = makeLogger(cfg, loaded.secrets);
  const onHup = () => reopen();
  process.on('SIGHUP', onHup);
  for (const n of loaded.notes) log.warn({ detail: n }, 'configuration notice');
  let lock: StateLock;
  try {
    lock = acquireStateLock(cfg.paths.state_dir);
  } catch (e) {
    err(mask(`pbxlink: ${(e as Error).message}`));
    log.flush?.();
    return isPbxlinkError(e) && e.code === 'busy' ? EXIT.locked : EXIT.failure;
  }
  let agent: AgentHandle | undefined;
  const fatal = (e: unknown) => {
    log.fatal({ err: e }, 'fatal error');
    lock.release();
    log.flush?.();
    process.exit(EXIT.failure);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  try {
    const mod = await loadAgentModule();
    if (!mod) {
      err('pbxlink: the agent core (agent/src/agent.ts) is not built yet; `pbxlink check` works meanwhile');
      return EXIT.failure;
    }
    agent = await mod.buildAgent(cfg, { log, clock: systemClock, version, configSources: loaded.sources });
    const signalled = waitForSignal();
    await agent.start();
    log.info({ version, agent: cfg.agent_id }, 'agent started');
    const sig = await signalled;
    log.info({ signal: sig }, 'stopping');
    const stopped = agent.stop(sig === 'SIGTERM' ? 'stopped' : 'interrupted');
    const timedOut = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
    if ((await Promise.race([stopped, timedOut])) === 'timeout')
      log.warn({ timeout_ms: STOP_TIMEOUT_MS }, 'stop timed out');
    log.info({}, 'agent stopped');
    return EXIT.ok;
  } catch (e) {
    log.fatal({ err: e }, 'agent failed');
    err(mask(`pbxlink: ${(e as Error)?.message ?? String(e)}`));
    await agent?.stop('error').catch(() => {});
    return EXIT.failure;
  } finally {
    lock.release();
    process.off('SIGHUP', onHup);
    process.off('uncaughtException', fatal);
    process.off('unhandledRejection', fatal);
    log.flush?.();
  }
}
