/**
 * The agent's configuration: its typed shape, every knob's YAML key, environment variable, default and
 * meaning (DESIGN.md "Configuration"). One table (FIELDS) drives loading, validation, masking in
 * `pbxlink check` and docs/configuration.md, so the four cannot drift apart.
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

const U16 = { min: 1, max: 65535 } as const;

/** Every knob, in documentation order. */
export const FIELDS: readonly FieldSpec[] = [
  {
    path: 'agent_id',
    kind: 'string',
    env: 'PBXLINK_AGENT_ID',
    defaultNote: 'host name, sanitized to [A-Za-z0-9_-]',
    doc: "this PBX's id, `[A-Za-z0-9_-]{1,64}`",
  },
  {
    path: 'topic_prefix',
    kind: 'string',
    env: 'PBXLINK_TOPIC_PREFIX',
    default: 'pbxlink/v1',
    doc: 'topic prefix (no `+`, `#`, leading or trailing `/`)',
  },
  {
    path: 'broker.url',
    kind: 'string',
    env: 'PBXLINK_BROKER_URL',
    doc: 'broker URL: `mqtt://`, `mqtts://`, `ws://`, `wss://` (required)',
  },
  { path: 'broker.username', kind: 'string', env: 'PBXLINK_BROKER_USERNAME', doc: 'broker login' },
  {
    path: 'broker.password',
    kind: 'string',
    env: 'PBXLINK_BROKER_PASSWORD',
    secret: true,
    doc: 'broker password',
  },
  {
    path: 'broker.ca',
    kind: 'string',
    env: 'PBXLINK_BROKER_CA',
    defaultNote: 'system CAs',
    doc: 'PEM file of the CA to pin for TLS',
  },
  {
    path: 'broker.cert',
    kind: 'string',
    env: 'PBXLINK_BROKER_CERT',
    doc: 'PEM client certificate (with `broker.key`)',
  },
  {
    path: 'broker.key',
    kind: 'string',
    env: 'PBXLINK_BROKER_KEY',
    doc: 'PEM private key of the client certificate',
  },
  {
    path: 'broker.protocol_version',
    kind: 'enum',
    env: 'PBXLINK_BROKER_PROTOCOL_VERSION',
    values: [5, 4],
    default: 5,
    doc: '5 = MQTT 5, 4 = MQTT 3.1.1',
  },
  {
    path: 'broker.keepalive_s',
    kind: 'int',
    min: 5,
    max: 65535,
    default: 30,
    doc: 'MQTT keep-alive in seconds',
  },
  {
    path: 'broker.max_packet_bytes',
    kind: 'int',
    min: 4096,
    max: 268435455,
    default: 98304,
    doc: "largest message sent (lowered to the broker's advertised Maximum Packet Size)",
  },
  {
    path: 'broker.session_expiry_s',
    kind: 'int',
    min: 0,
    max: 4294967295,
    default: 604800,
    doc: 'MQTT 5 session expiry: how long the broker queues commands for an offline agent',
  },
  {
    path: 'broker.connect_timeout_ms',
    kind: 'int',
    min: 1000,
    max: 600000,
    default: 30000,
    doc: 'timeout of one connection attempt',
  },
  {
    path: 'broker.reconnect_min_ms',
    kind: 'int',
    min: 100,
    max: 3600000,
    default: 1000,
    doc: 'first reconnect delay (exponential backoff, full jitter)',
  },
  {
    path: 'broker.reconnect_max_ms',
    kind: 'int',
    min: 100,
    max: 3600000,
    default: 60000,
    doc: 'reconnect delay cap',
  },
  {
    path: 'ami.host',
    kind: 'string',
    default: '127.0.0.1',
    defaultNote: 'manager.conf bindaddr when not a wildcard, else 127.0.0.1',
    doc: 'AMI host (set with PBXLINK_AMI_URL)',
  },
  {
    path: 'ami.port',
    kind: 'int',
    ...U16,
    default: 5038,
    defaultNote: 'manager.conf [general] port, else 5038',
    doc: 'AMI port (set with PBXLINK_AMI_URL)',
  },
  {
    path: 'ami.username',
    kind: 'string',
    defaultNote: 'discovered (AMPMGRUSER, manager.conf)',
    doc: 'AMI user (set with PBXLINK_AMI_URL)',
  },
  {
    path: 'ami.secret',
    kind: 'string',
    secret: true,
    defaultNote: 'discovered (manager.conf, AMPMGRPASS, elastix.conf amiadminpwd)',
    doc: 'AMI secret (set with PBXLINK_AMI_URL)',
  },
  {
    path: 'ami.ping_interval_s',
    kind: 'int',
    min: 1,
    max: 3600,
    default: 20,
    doc: 'AMI Ping interval; a missed Pong reconnects',
  },
  {
    path: 'ami.action_timeout_ms',
    kind: 'int',
    min: 100,
    max: 600000,
    default: 10000,
    doc: 'timeout of one AMI action',
  },
  {
    path: 'db.host',
    kind: 'string',
    default: '127.0.0.1',
    defaultNote: 'discovered (AMPDBHOST), else 127.0.0.1',
    doc: 'MySQL host (set with PBXLINK_DB_URL)',
  },
  {
    path: 'db.port',
    kind: 'int',
    ...U16,
    default: 3306,
    defaultNote: 'discovered (AMPDBPORT), else 3306',
    doc: 'MySQL port (set with PBXLINK_DB_URL)',
  },
  {
    path: 'db.user',
    kind: 'string',
    defaultNote: 'discovered (AMPDBUSER)',
    doc: 'MySQL user (set with PBXLINK_DB_URL)',
  },
  {
    path: 'db.password',
    kind: 'string',
    secret: true,
    defaultNote: 'discovered (AMPDBPASS)',
    doc: 'MySQL password (set with PBXLINK_DB_URL)',
  },
  {
    path: 'db.config_db',
    kind: 'string',
    env: 'PBXLINK_CONFIG_DB',
    default: 'asterisk',
    defaultNote: 'discovered (AMPDBNAME), else asterisk',
    doc: 'FreePBX configuration database',
  },
  {
    path: 'db.cdr_db',
    kind: 'string',
    env: 'PBXLINK_CDR_DB',
    default: 'asteriskcdrdb',
    defaultNote: 'discovered (CDRDBNAME), else asteriskcdrdb',
    doc: 'CDR database',
  },
  {
    path: 'db.cdr_table',
    kind: 'string',
    env: 'PBXLINK_CDR_TABLE',
    default: 'cdr',
    defaultNote: 'discovered (CDRDBTABLENAME), else cdr',
    doc: 'CDR table',
  },
  {
    path: 'db.cdr_host',
    kind: 'string',
    defaultNote: 'discovered (CDRDBHOST), else db.host',
    doc: 'CDR server host when it differs',
  },
  {
    path: 'db.cdr_port',
    kind: 'int',
    ...U16,
    defaultNote: 'discovered (CDRDBPORT), else db.port',
    doc: 'CDR server port when it differs',
  },
  {
    path: 'db.cdr_user',
    kind: 'string',
    defaultNote: 'discovered (CDRDBUSER), else db.user',
    doc: 'CDR user when it differs',
  },
  {
    path: 'db.cdr_password',
    kind: 'string',
    secret: true,
    defaultNote: 'discovered (CDRDBPASS), else db.password',
    doc: 'CDR password when it differs',
  },
  {
    path: 'paths.monitor_dir',
    kind: 'string',
    env: 'PBXLINK_MONITOR_DIR',
    default: '/var/spool/asterisk/monitor',
    defaultNote: 'discovered (MIXMON_DIR, ASTSPOOLDIR/monitor), else /var/spool/asterisk/monitor',
    doc: 'recordings root',
  },
  {
    path: 'paths.state_dir',
    kind: 'string',
    env: 'PBXLINK_STATE_DIR',
    default: '/var/lib/pbxlink',
    doc: "agent's own state (outbox, replay cache, seq, lock)",
  },
  {
    path: 'paths.trusted_keys',
    kind: 'string',
    env: 'PBXLINK_TRUSTED_KEYS',
    default: '/etc/pbxlink/trusted-keys.json',
    doc: 'file of trusted command keys (DESIGN.md "Commands")',
  },
  {
    path: 'apply_cmd',
    kind: 'argv',
    env: 'PBXLINK_APPLY_CMD',
    defaultNote:
      'fwconsole reload when fwconsole is on PATH or in /usr/sbin (or AMPSBIN), else AMPBIN/module_admin reload',
    doc: 'argv run after config changes (YAML list; env: words split on spaces, or a JSON array)',
  },
  {
    path: 'log.level',
    kind: 'enum',
    env: 'PBXLINK_LOG_LEVEL',
    values: LOG_LEVELS,
    default: 'info',
    doc: 'pino level',
  },
  {
    path: 'log.file',
    kind: 'string',
    env: 'PBXLINK_LOG_FILE',
    defaultNote: 'stdout',
    doc: 'log file, reopened on SIGHUP (logrotate)',
  },
  {
    path: 'schedules.health',
    kind: 'cron',
    default: '*/30 * * * * *',
    doc: 'state/health schedule (node-cron, 6 fields = with seconds)',
  },
  { path: 'schedules.disks', kind: 'cron', default: '*/5 * * * *', doc: 'state/disks schedule' },
  { path: 'schedules.firewall', kind: 'cron', default: '*/5 * * * *', doc: 'state/firewall schedule' },
  {
    path: 'schedules.keepalive_s',
    kind: 'int',
    min: 10,
    max: 86400,
    default: 300,
    doc: 'an unchanged snapshot is republished only this often',
  },
  {
    path: 'outbox.max_bytes',
    kind: 'int',
    min: 65536,
    max: 4294967295,
    default: 67108864,
    doc: 'bound of the on-disk outbox (oldest events dropped first)',
  },
  {
    path: 'commands.concurrency',
    kind: 'int',
    min: 1,
    max: 64,
    default: 4,
    doc: 'commands executed at once',
  },
  {
    path: 'commands.timeout_ms',
    kind: 'int',
    min: 100,
    max: 3600000,
    default: 30000,
    doc: 'timeout of one command',
  },
  {
    path: 'commands.cdr_max_rows',
    kind: 'int',
    min: 1,
    max: 10000000,
    default: 10000,
    doc: 'most rows one cdr.query page returns',
  },
  {
    path: 'recordings.push',
    kind: 'enum',
    values: ['off', 'mqtt', 'https'],
    default: 'off',
    doc: 'push new recordings: off, over MQTT blobs, or HTTPS PUT to url_template',
  },
  {
    path: 'recordings.url_template',
    kind: 'string',
    doc: 'https URL for push=https; `{agent}`, `{uniqueid}`, `{name}` are substituted',
  },
  {
    path: 'recordings.max_concurrent_transfers',
    kind: 'int',
    min: 1,
    max: 32,
    default: 2,
    doc: 'file transfers at once',
  },
];

/** The spec of one path, or undefined. */
export function fieldSpec(path: string): FieldSpec | undefined {
  return FIELDS.find((f) => f.path === path);
}

/** Deep-freezes a plain object tree (the config is immutable once loaded). */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}
