import type { Timer } from '../core/clock';
import type { AgentEvents, ModuleContext } from '../core/module';
import { PolledCollector, type PollOptions } from './polled-collector';
import { readSystemResources, type SystemResourcesData, type SystemSources } from './system-resources';

type Status = AgentEvents['component.status']['status'];

/** Health of one component in state.health `components`. */
export interface ComponentState {
  status: Status;
  reason?: string;
  /** ISO time the status began. */
  since: string;
}

/** What the AMI side knows of Asterisk (the lead wires it to the AMI client); null fields when unknown. */
export interface AsteriskInfo {
  version: string | null;
  ami_version: string | null;
  uptime_s: number | null;
  last_reload_s: number | null;
  dialect: string | null;
}

/** state.health data (protocol HealthState). */
export interface HealthData {
  agent: {
    agent?: string;
    version: string;
    boot_id: string;
    started_at: string;
    uptime_s: number;
    rss_mb: number;
  };
  components: Record<string, ComponentState>;
  system: SystemResourcesData;
  asterisk: AsteriskInfo;
}

/** Constructor options of the health collector. */
export interface HealthOptions extends PollOptions {
  version: string;
  bootId: string;
  /** Agent start, ms since the epoch. */
  startedAt: number;
  agentId?: string;
  system: SystemSources;
  /** Asks the AMI side for version/uptime; absent or failing → nulls. */
  asteriskInfo?: () => Promise<AsteriskInfo | null>;
  /** Timeout for asteriskInfo in ms (default 3 s). */
  asteriskTimeoutMs?: number;
  /** Resident set size in bytes (default process.memoryUsage.rss). */
  rss?: () => number;
  /** Components listed before anyone reported them (default ami, database: "degraded", "no status reported yet"). */
  components?: readonly string[];
}

/** What decides a health republication (see HEALTH_THRESHOLDS). */
interface HealthView {
  key: string;
  memPct: number;
  load1: number;
  hostBootS: number;
  astBootS: number | null;
  astReloadS: number | null;
}

/**
 * Republish rules: components, agent identity, users, cores, total memory, Asterisk version/dialect
 * count always; memory use by ≥ 5 points of total; the 1-min load by ≥ 1.0; a host reboot, Asterisk
 * restart or reload (their start times, now − uptime, moving by more than 30 s). Never counted:
 * timestamps, the uptime text and seconds, agent uptime and RSS, CPU usage (they move on every poll;
 * the keep-alive carries them).
 */
export const HEALTH_THRESHOLDS = { memPctPoints: 5, load1: 1, epochS: 30 } as const;

const NO_ASTERISK: AsteriskInfo = {
  version: null,
  ami_version: null,
  uptime_s: null,
  last_reload_s: null,
  dialect: null,
};
const COMPONENT_NAME = /^[a-z][a-z0-9_.-]{0,31}$/;
const MAX_COMPONENTS = 16;

/** state/health every 30 s by default; republished at once when a component's status changes (issue 4 part 7). */
export class HealthCollector extends PolledCollector<HealthData, HealthView> {
  readonly name = 'health';
  private readonly components = new Map<string, ComponentState>();

  constructor(private readonly opts: HealthOptions) {
    super('health', '*/30 * * * * *', opts);
  }

  protected override onStart(ctx: ModuleContext): void {
    const since = new Date(this.opts.startedAt).toISOString();
    for (const c of this.opts.components ?? ['ami', 'database']) {
      if (!this.components.has(c))
        this.components.set(c, { status: 'degraded', reason: 'no status reported yet', since });
    }
    ctx.bus.on(this.name, 'component.status', (e) => this.onComponent(e));
  }

  /** The current component states (what the next snapshot carries). */
  componentStates(): Record<string, ComponentState> {
    return Object.fromEntries([...this.components].map(([k, v]) => [k, { ...v }]));
  }

  async collect(): Promise<HealthData> {
    const [system, asterisk] = await Promise.all([
      readSystemResources(this.opts.system),
      this.readAsterisk(),
    ]);
    return this.assemble(system, asterisk);
  }

  protected view(d: HealthData, now: number): HealthView {
    const a = d.asterisk;
    const key = JSON.stringify([
      d.agent.agent ?? null,
      d.agent.version,
      d.agent.boot_id,
      d.components,
      d.system.users,
      d.system.cpu.cores,
      d.system.memory.total_bytes,
      a.version,
      a.ami_version,
      a.dialect,
    ]);
    const nowS = now / 1000;
    return {
      key,
      memPct:
        d.system.memory.total_bytes > 0
          ? (d.system.memory.used_bytes * 100) / d.system.memory.total_bytes
          : 0,
      load1: d.system.load_average[0],
      hostBootS: nowS - d.system.uptime_s,
      astBootS: a.uptime_s === null ? null : nowS - a.uptime_s,
      astReloadS: a.last_reload_s === null ? null : nowS - a.last_reload_s,
    };
  }

  protected changed(a: HealthView, b: HealthView): boolean {
    const t = HEALTH_THRESHOLDS;
    const epochMoved = (x: number | null, y: number | null) =>
      x === null || y === null ? x !== y : Math.abs(x - y) > t.epochS;
    return (
      a.key !== b.key ||
      Math.abs(a.memPct - b.memPct) >= t.memPctPoints ||
      Math.abs(a.load1 - b.load1) >= t.load1 ||
      epochMoved(a.hostBootS, b.hostBootS) ||
      epochMoved(a.astBootS, b.astBootS) ||
      epochMoved(a.astReloadS, b.astReloadS)
    );
  }

  private onComponent(e: AgentEvents['component.status']): void {
    const ctx = this.ctx;
    if (!ctx || !COMPONENT_NAME.test(e.component)) return;
    const prev = this.components.get(e.component);
    if (!prev && this.components.size >= MAX_COMPONENTS) return;
    const reason = e.status === 'ok' ? undefined : e.reason?.slice(0, 500);
    if (prev && prev.status === e.status && prev.reason === reason) return;
    const since = prev && prev.status === e.status ? prev.since : new Date(ctx.clock.now()).toISOString();
    this.components.set(
      e.component,
      reason === undefined ? { status: e.status, since } : { status: e.status, reason, since },
    );
    this.log?.info({ component: e.component, status: e.status, reason }, 'component status changed');
    // Degraded, not dead (issue 4 part 7): consumers learn at once, with the last host figures.
    if (this.latest) this.publishNow(this.assemble(this.latest.system, this.latest.asterisk));
    else this.refresh();
    // Asterisk's version, dialect and uptime change with the AMI link: read them again now.
    // runNow waits for a poll in flight (which may have read Asterisk before the link came up).
    if (e.component === 'ami') void this.runNow();
  }

  private async readAsterisk(): Promise<AsteriskInfo> {
    const fn = this.opts.asteriskInfo;
    if (!fn) return NO_ASTERISK;
    const clock = this.ctx?.clock;
    let timer: Timer | undefined;
    const timeout = new Promise<null>((resolve) => {
      const ms = this.opts.asteriskTimeoutMs ?? 3000;
      timer = clock ? clock.setTimeout(() => resolve(null), ms) : setTimeout(() => resolve(null), ms);
    });
    try {
      return { ...NO_ASTERISK, ...((await Promise.race([fn(), timeout])) ?? {}) };
    } catch {
      return NO_ASTERISK;
    } finally {
      if (clock) clock.clearTimeout(timer);
      else clearTimeout(timer as ReturnType<typeof setTimeout>);
    }
  }

  private assemble(system: SystemResourcesData, asterisk: AsteriskInfo): HealthData {
    const now = this.ctx?.clock.now() ?? Date.now();
    const rss = (this.opts.rss ?? (() => process.memoryUsage.rss()))();
    return {
      agent: {
        ...(this.opts.agentId ? { agent: this.opts.agentId } : {}),
        version: this.opts.version,
        boot_id: this.opts.bootId,
        started_at: new Date(this.opts.startedAt).toISOString(),
        uptime_s: Math.max(0, Math.floor((now - this.opts.startedAt) / 1000)),
        rss_mb: Math.round((rss / (1024 * 1024)) * 10) / 10,
      },
      components: this.componentStates(),
      system,
      asterisk,
    };
  }
}
