import { Type } from '@sinclair/typebox';
import { AgentId, BootId, ComponentHealth, Dialect, IsoTime, Nullable } from './common';

/** Host figures (seed `systemresources`): uptime text as `uptime` prints it, load, memory, CPU. */
export const SystemResources = Type.Object(
  {
    uptime: Type.String({ maxLength: 200 }),
    uptime_s: Type.Integer({ minimum: 0 }),
    users: Type.Integer({ minimum: 0 }),
    load_average: Type.Tuple([
      Type.Number({ minimum: 0 }),
      Type.Number({ minimum: 0 }),
      Type.Number({ minimum: 0 }),
    ]),
    memory: Type.Object({
      total_bytes: Type.Integer({ minimum: 0 }),
      used_bytes: Type.Integer({ minimum: 0 }),
      free_bytes: Type.Integer({ minimum: 0 }),
    }),
    cpu: Type.Object({
      cores: Type.Integer({ minimum: 1 }),
      usage_pct: Type.Number({ minimum: 0, maximum: 100 }),
    }),
  },
  { additionalProperties: false },
);

/** `state.health` data: the agent, its components, the host and Asterisk. */
export const HealthState = Type.Object(
  {
    agent: Type.Object({
      agent: Type.Optional(AgentId),
      version: Type.String({ maxLength: 64 }),
      boot_id: BootId,
      started_at: IsoTime,
      uptime_s: Type.Integer({ minimum: 0 }),
      rss_mb: Type.Number({ minimum: 0 }),
    }),
    components: Type.Object({
      ami: ComponentHealth,
      database: ComponentHealth,
      broker: Type.Optional(ComponentHealth),
    }),
    system: SystemResources,
    asterisk: Type.Object({
      version: Nullable(Type.String({ maxLength: 64 })),
      ami_version: Nullable(Type.String({ maxLength: 32 })),
      uptime_s: Nullable(Type.Integer({ minimum: 0 })),
      last_reload_s: Nullable(Type.Integer({ minimum: 0 })),
      dialect: Dialect,
    }),
  },
  { additionalProperties: false },
);

/** Size of one watched folder (seed `getharddrivers`); `bytes` null with `error` when unreadable. */
export const FolderSize = Type.Object(
  {
    path: Type.String({ maxLength: 1024 }),
    bytes: Nullable(Type.Integer({ minimum: 0 })),
    error: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

/** `state.disks` data and `system.disks` result: the root filesystem and watched folder sizes. */
export const DisksState = Type.Object(
  {
    root: Type.Object({
      filesystem: Type.String({ maxLength: 256 }),
      size_bytes: Type.Integer({ minimum: 0 }),
      used_bytes: Type.Integer({ minimum: 0 }),
      avail_bytes: Type.Integer({ minimum: 0 }),
      use_pct: Type.Number({ minimum: 0, maximum: 100 }),
      mount: Type.String({ maxLength: 1024 }),
    }),
    folders: Type.Array(FolderSize, { maxItems: 64 }),
  },
  { additionalProperties: false },
);

/** One iptables chain. */
export const FirewallChain = Type.Object(
  {
    table: Type.String({ maxLength: 32 }),
    name: Type.String({ maxLength: 64 }),
    policy: Nullable(Type.String({ maxLength: 32 })),
    rules: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/** `state.firewall` data and `system.firewall` result (seed `getiptablesstatus`). */
export const FirewallState = Type.Object(
  {
    available: Type.Boolean(),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    is_exist: Type.Boolean({ description: 'the seed field: the iptables program exists on the box' }),
    active: Type.Boolean(),
    chains: Type.Array(FirewallChain, { maxItems: 1000 }),
  },
  { additionalProperties: false },
);
