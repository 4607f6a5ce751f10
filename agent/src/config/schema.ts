/**
 * The agent's configuration: its typed shape, every knob's YAML key, environment variable, default and
 * meaning (DESIGN.md "Configuration"). One table (FIELDS, in fields.ts) drives loading, validation,
 * masking in `pbxlink check` and docs/configuration.md, so the four cannot drift apart.
 */

/** How recordings are pushed when they appear: not at all, over MQTT blobs, or by HTTPS PUT. */
export type RecordingsPush = 'off' | 'mqtt' | 'https';

/** The effective configuration, deep-frozen after loading. Keys are the YAML keys. */
export interface AgentConfig {
  /** This PBX's id, `[A-Za-z0-9_-]{1,64}`; the `A` of every topic and the JWS `aud`. */
  readonly agent_id: string;
  /** The `P` of every topic, e.g. `pbxlink/v1`. */
  readonly topic_prefix: string;
  readonly broker: {
    /** `mqtt://`, `mqtts://`, `ws://` or `wss://` URL of the broker. */
    readonly url: string;
    readonly username?: string;
    readonly password?: string;
    /** PEM file of the CA to pin for TLS (system CAs when unset). */
    readonly ca?: string;
    /** PEM client certificate and its key, for brokers that authenticate by certificate. */
    readonly cert?: string;
    readonly key?: string;
    /** 5 (MQTT 5) or 4 (MQTT 3.1.1, for old brokers). */
    readonly protocol_version: 4 | 5;
    readonly keepalive_s: number;
    /** Largest message the agent sends, unless the broker advertises less (DESIGN.md "Size"). */
    readonly max_packet_bytes: number;
    /** MQTT 5 session expiry: how long the broker keeps commands for an offline agent. */
    readonly session_expiry_s: number;
    readonly connect_timeout_ms: number;
    /** Reconnect backoff bounds (exponential, full jitter). */
    readonly reconnect_min_ms: number;
    readonly reconnect_max_ms: number;
  };
  readonly ami: {
    readonly host: string;
    readonly port: number;
    readonly username?: string;
    readonly secret?: string;
    readonly ping_interval_s: number;
    readonly action_timeout_ms: number;
  };
  readonly db: {
    readonly host: string;
    readonly port: number;
    readonly user?: string;
    readonly password?: string;
    /** FreePBX config database (AMPDBNAME) and CDR database/table (CDRDBNAME, CDRDBTABLENAME; §8.1). */
    readonly config_db: string;
    readonly cdr_db: string;
    readonly cdr_table: string;
    /** CDR server when it differs from the config database's (CDRDBHOST/PORT/USER/PASS; §8.1). */
    readonly cdr_host?: string;
    readonly cdr_port?: number;
    readonly cdr_user?: string;
    readonly cdr_password?: string;
  };
  readonly paths: {
    readonly monitor_dir: string;
    readonly state_dir: string;
    readonly trusted_keys: string;
  };
  /** argv of the command run after config changes (no shell). */
  readonly apply_cmd: readonly string[];
  readonly log: { readonly level: string; readonly file?: string };
  readonly schedules: {
    readonly health: string;
    readonly disks: string;
    readonly firewall: string;
    /** An unchanged snapshot is republished only this often. */
    readonly keepalive_s: number;
  };
  readonly outbox: { readonly max_bytes: number };
  readonly commands: {
    readonly concurrency: number;
    readonly timeout_ms: number;
    readonly cdr_max_rows: number;
  };
  readonly recordings: {
    readonly push: RecordingsPush;
    readonly url_template?: string;
    readonly max_concurrent_transfers: number;
  };
}

/** Value kinds the loader knows how to read from YAML and from environment strings. */
export type FieldKind = 'string' | 'int' | 'enum' | 'argv' | 'cron';

/** One configuration knob. */
export interface FieldSpec {
  /** Dotted YAML path, e.g. `broker.url`. */
  readonly path: string;
  readonly kind: FieldKind;
  /** Environment variable that overrides the file (DESIGN.md table, or a documented extra). */
  readonly env?: string;
  /** A credential: masked in `check`, fed to the logger's secret filter, never published. */
  readonly secret?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly (string | number)[];
  /** Default value; undefined means unset (or computed: see `defaultNote`). */
  readonly default?: string | number | readonly string[];
  /** How the default is found when it is not a constant (docs and `check`). */
  readonly defaultNote?: string;
  readonly doc: string;
}

/** The pino levels accepted for `log.level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Allowed agent ids (DESIGN.md table). */
export const AGENT_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Default config file path. */
export const DEFAULT_CONFIG_FILE = '/etc/pbxlink/agent.yaml';

/** Deep-freezes a plain object tree (the config is immutable once loaded). */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}
