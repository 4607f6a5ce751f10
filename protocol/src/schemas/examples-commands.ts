/** Example args, results and parts of every command (checked against their schemas in tests). */
import { EXAMPLE_TS, exampleCdr, examplePbx, exampleResources, stateExamples } from './examples';

const examplePeers = (stateExamples.peers as { peers: unknown[] }).peers;
const exampleCalls = (stateExamples.calls as { calls: unknown[] }).calls;

const followme = {
  grpnum: '106',
  strategy: 'ringallv2',
  grptime: 20,
  grppre: '',
  grplist: ['106', '905312089995#'],
  annmsg_id: null,
  postdest: 'ext-local,106,dest',
  dring: null,
  remotealert_id: null,
  needsconf: false,
  toolate_id: null,
  pre_ring: 0,
  ringing: 'Ring',
};
const write = (action: string, account: string, fields: string[]) => ({
  account,
  action,
  dry_run: false,
  fields,
  applied: { ok: true },
});
const fwrite = (action: string, fields: string[]) => ({
  grpnum: '106',
  action,
  dry_run: false,
  fields,
  applied: { ok: true },
});

/** Example args, result and parts of each command, keyed by command name. */
export const commandExamples: Record<string, { args: unknown; result: unknown; parts?: unknown[] }> = {
  'agent.info': {
    args: {},
    result: {
      agent: 'pbx-101',
      version: '0.1.0',
      boot_id: '5b0c6c7e-8f7d-4a55-9a51-0f2b2c1d9e01',
      started_at: EXAMPLE_TS,
      capabilities: ['cdr', 'recordings', 'extensions', 'followme'],
      pbx: examplePbx,
      caller: { kid: 'ops-1', scopes: ['read', 'cdr:read'] },
    },
  },
  'agent.refresh': { args: {}, result: { republished: ['health', 'peers', 'calls', 'disks', 'firewall'] } },
  'peers.list': { args: {}, parts: [{ peers: examplePeers }], result: { count: examplePeers.length } },
  'calls.list': { args: {}, parts: [{ calls: exampleCalls }], result: { count: exampleCalls.length } },
  'system.resources': { args: {}, result: exampleResources },
  'system.disks': { args: {}, result: stateExamples.disks },
  'system.firewall': { args: {}, result: stateExamples.firewall },
  'extensions.list': {
    args: {},
    parts: [
      {
        extensions: [
          {
            account: '101',
            tech: 'sip',
            trunk: false,
            name: 'Alice',
            dial: 'SIP/101',
            context: 'from-internal',
            host: 'dynamic',
            type: 'friend',
            callerid: 'device <101>',
            secret: '********',
            dtmfmode: 'rfc2833',
            canreinvite: 'no',
            nat: 'yes',
            port: '5060',
            qualify: 'yes',
            deny: '0.0.0.0/0.0.0.0',
            permit: '0.0.0.0/0.0.0.0',
          },
          {
            account: 'tr-peer-1',
            tech: 'sip',
            trunk: true,
            name: 'voiptrunk',
            dial: null,
            context: 'from-trunk',
            host: 'sip.provider.example',
            type: 'peer',
            callerid: null,
            secret: '********',
            insecure: 'port,invite',
          },
        ],
      },
    ],
    result: { count: 2 },
  },
  'extensions.get': {
    args: { account: '101' },
    result: {
      account: '101',
      tech: 'sip',
      name: 'Alice',
      dial: 'SIP/101',
      voicemail: 'novm',
      outboundcid: null,
      ringtimer: 0,
      sip: {
        context: 'from-internal',
        host: 'dynamic',
        type: 'friend',
        dtmfmode: 'rfc2833',
        nat: 'yes',
        port: '5060',
        qualify: 'yes',
      },
      secret_set: true,
    },
  },
  'extensions.create': {
    args: {
      account: '150',
      name: 'Bob',
      secret: 'S3cret-150!',
      context: 'from-internal',
      dtmfmode: 'rfc2833',
      nat: 'force_rport,comedia',
      port: 5060,
      qualify: 'yes',
    },
    result: write('create', '150', ['name', 'secret', 'context', 'dtmfmode', 'nat', 'port', 'qualify']),
  },
  'extensions.update': {
    args: { account: '150', name: 'Robert', dry_run: false },
    result: write('update', '150', ['name']),
  },
  'extensions.delete': { args: { account: '150' }, result: write('delete', '150', []) },
  'followme.get': { args: { grpnum: '106' }, result: followme },
  'followme.list': { args: {}, parts: [{ followme: [followme] }], result: { count: 1 } },
  'followme.create': {
    args: {
      grpnum: '106',
      strategy: 'ringallv2',
      grptime: 20,
      grplist: ['106', '905312089995#'],
      pre_ring: 0,
      ringing: 'Ring',
    },
    result: fwrite('create', ['strategy', 'grptime', 'grplist', 'pre_ring', 'ringing']),
  },
  'followme.update': {
    args: { grpnum: '106', grplist: '106-905312089995#', needsconf: 'CHECKED' },
    result: fwrite('update', ['grplist', 'needsconf']),
  },
  'followme.delete': {
    args: { grpnum: '106', dry_run: true },
    result: { ...fwrite('delete', []), dry_run: true, applied: null },
  },
  'cdr.query': {
    args: {
      start_date: '2026-01-15',
      end_date: '2026-01-15 23:59:59',
      field_name: 'src',
      field_pattern: '101',
      status: 'ANSWERED',
      limit: 100,
      order: 'desc',
    },
    parts: [{ rows: [exampleCdr] }],
    result: { count: 1, next_cursor: null },
  },
  'recordings.get': {
    args: { name: '2026/01/15/out-5551234-101-20260115-102030-1768472430.14.wav' },
    parts: [
      {
        transfer_id: 'r7Kq2m9XzA',
        name: '2026/01/15/out-5551234-101-20260115-102030-1768472430.14.wav',
        size: 576044,
        sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        chunk_size: 65536,
        chunks: 9,
        offset: 0,
        topic: 'pbxlink/v1/pbx-101/blob/r7Kq2m9XzA/+',
      },
    ],
    result: { transfer_id: 'r7Kq2m9XzA', chunks_sent: 9, bytes_sent: 576044 },
  },
};
