/** Example payloads of every state, event and command (used by the AsyncAPI document and checked against their schemas in tests). */

/** Timestamp used by every example. */
export const EXAMPLE_TS = '2026-01-15T10:20:30.000Z';

/** Example channel of a live call (Asterisk 13 shape). */
const channel = {
  channel: 'SIP/101-00000007',
  uniqueid: '1768472430.14',
  linkedid: '1768472430.14',
  state: 'Up',
  state_code: 6,
  application: 'Dial',
  application_data: 'SIP/trunk/5551234,300,Tt',
  caller_id_num: '101',
  caller_id_name: 'Alice',
  connected_line_num: '5551234',
  connected_line_name: null,
  context: 'from-internal',
  exten: '5551234',
  priority: 1,
  account_code: null,
  duration_s: 42,
  bridged_channel: 'SIP/trunk-00000008',
  bridge_id: 'b1a5e7c2-2a9e-4e0c-9e1e-3f2f7a1d0c11',
};

/** Example call. */
export const exampleCall = {
  call_id: '1768472430.14',
  direction: 'outbound',
  state: 'answered',
  from: { number: '101', name: 'Alice' },
  to: { number: '5551234', name: null },
  started_at: EXAMPLE_TS,
  answered_at: '2026-01-15T10:20:36.000Z',
  ring_s: 6,
  talk_s: 36,
  channels: [channel],
};

const component = { status: 'ok', since: EXAMPLE_TS };
/** Example PBX info. */
export const examplePbx = {
  dialect: '13',
  asterisk_version: '13.38.3',
  ami_version: '2.10.6',
  chan_sip: true,
  pjsip: false,
};
/** Example host resources. */
export const exampleResources = {
  uptime: ' 10:20:30 up 12 days,  3:04,  1 user,  load average: 0.08, 0.03, 0.01',
  uptime_s: 1047840,
  users: 1,
  load_average: [0.08, 0.03, 0.01],
  memory: { total_bytes: 2_000_000_000, used_bytes: 800_000_000, free_bytes: 1_200_000_000 },
  cpu: { cores: 2, usage_pct: 3.5 },
};

/** Example of each state's data, keyed by state name. */
export const stateExamples: Record<string, unknown> = {
  health: {
    agent: {
      version: '0.1.0',
      boot_id: '5b0c6c7e-8f7d-4a55-9a51-0f2b2c1d9e01',
      started_at: EXAMPLE_TS,
      uptime_s: 3600,
      rss_mb: 48.2,
    },
    components: { ami: component, database: component, broker: component },
    system: exampleResources,
    asterisk: {
      version: '13.38.3',
      ami_version: '2.10.6',
      uptime_s: 1040000,
      last_reload_s: 5000,
      dialect: '13',
    },
  },
  peers: {
    peers: [
      {
        name: '101',
        channel_type: 'SIP',
        trunk: false,
        ip_address: '192.168.1.50',
        ip_port: 5060,
        dynamic: true,
        status: 'ok',
        status_text: 'OK (12 ms)',
        latency_ms: 12,
        description: null,
        device_state: null,
        forcerport: true,
        comedia: true,
        acl: false,
        video_support: false,
        text_support: false,
        realtime: false,
      },
    ],
  },
  calls: { calls: [exampleCall] },
  disks: {
    root: {
      filesystem: '/dev/sda1',
      size_bytes: 50_000_000_000,
      used_bytes: 12_000_000_000,
      avail_bytes: 38_000_000_000,
      use_pct: 24,
      mount: '/',
    },
    folders: [
      { path: '/var/log', bytes: 120_000_000 },
      { path: '/var/spool/asterisk/monitor', bytes: 5_000_000_000 },
      { path: '/var/www/backup', bytes: null, error: 'ENOENT' },
    ],
  },
  firewall: {
    available: true,
    is_exist: true,
    active: true,
    chains: [{ table: 'filter', name: 'INPUT', policy: 'ACCEPT', rules: 12 }],
  },
};

/** Example CDR row. */
export const exampleCdr = {
  calldate: '2026-01-15 10:20:30',
  clid: '"Alice" <101>',
  src: '101',
  dst: '5551234',
  dcontext: 'from-internal',
  channel: 'SIP/101-00000007',
  dstchannel: 'SIP/trunk-00000008',
  lastapp: 'Dial',
  lastdata: 'SIP/trunk/5551234,300,Tt',
  duration: 42,
  billsec: 36,
  disposition: 'ANSWERED',
  amaflags: 3,
  accountcode: '',
  uniqueid: '1768472430.14',
  userfield: '',
  did: '',
  recordingfile: 'out-5551234-101-20260115-102030-1768472430.14.wav',
  cnum: '101',
  cnam: 'Alice',
};

/** Example of each event's data, keyed by event type. */
export const eventExamples: Record<string, unknown> = {
  'recording.push': {
    transfer_id: 'k2x9q1',
    name: '2026/11/29/exten-101-100-20261129-031500-1764386100.12.wav',
    size: 482604,
    sha256: '3f0a6b1c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c',
    chunk_size: 65536,
    chunks: 8,
    offset: 0,
    topic: 'pbxlink/v1/pbx-101/blob/k2x9q1',
  },
  'outbox.dropped': { dropped: 1200, since: '2026-11-29T03:10:00.000Z' },
  'link.shed': { shed: 5400, since: '2026-11-29T03:12:00.000Z' },
  'peer.status': {
    name: '101',
    channel_type: 'SIP',
    status: 'unreachable',
    previous_status: 'ok',
    latency_ms: null,
    address: '192.168.1.50:5060',
    cause: null,
    raw_status: 'Unreachable',
  },
  'call.started': { call: { ...exampleCall, state: 'ringing', answered_at: null, talk_s: 0 }, change: 'new' },
  'call.updated': { call: exampleCall, change: 'answered' },
  'call.ended': {
    call: { ...exampleCall, state: 'ended' },
    end: {
      reason: 'completed',
      q850_code: 16,
      q850_text: 'Normal Clearing',
      dial_status: 'ANSWER',
      hangup_by: 'caller',
    },
  },
  'cdr.new': exampleCdr,
  'recording.new': {
    path: '2026/01/15/out-5551234-101-20260115-102030-1768472430.14.wav',
    size: 576044,
    format: 'wav',
    duration_s: 36,
    uniqueid: '1768472430.14',
    kind: 'out',
    from: '101',
    to: '5551234',
    recorded_at: '2026-01-15T10:20:30',
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    mtime: EXAMPLE_TS,
  },
  'config.changed': {
    kind: 'extension',
    action: 'create',
    id: '150',
    fields: ['name', 'secret', 'context'],
    by: 'ops-1',
    applied: { ok: true },
  },
  audit: {
    at: EXAMPLE_TS,
    kid: 'ops-1',
    cmd: 'extensions.create',
    jti: '01JHX8Q2S6W1K3Z9',
    args: { account: '150', name: 'Bob', secret: '***' },
    outcome: 'ok',
    duration_ms: 812,
    prev_hash: '0000000000000000000000000000000000000000000000000000000000000000',
    hash: '9f2c1e0d3b4a5968778695a4b3c2d1e0f9e8d7c6b5a49382716f5e4d3c2b1a09',
  },
};
