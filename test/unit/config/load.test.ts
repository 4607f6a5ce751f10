import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentIdFromHostname, loadConfig } from '../../../agent/src/config/load';
import { publicJwk, publicPem } from '../../../protocol/src/keys';

const ETC = join(import.meta.dirname, '../../fixtures/etc');
let dir: string;
let keys: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pbxlink-load-'));
  const a = generateKeyPairSync('ed25519');
  const b = generateKeyPairSync('ed25519');
  keys = join(dir, 'keys.json');
  writeFileSync(
    keys,
    JSON.stringify([
      { kid: 'ops-1', publicKey: publicPem(a.publicKey), scopes: ['read', 'cdr:read'] },
      { kid: 'ops-2', publicKey: publicJwk(b.publicKey), scopes: ['admin'] },
    ]),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
/** Base env: no discovery of the real /etc, valid keys and state dir. */
const base = () => ({
  PBXLINK_DISCOVERY: '0',
  PBXLINK_TRUSTED_KEYS: keys,
  PBXLINK_STATE_DIR: join(dir, 'state'),
});

describe('loadConfig: precedence defaults < file < env, discovery fills only what is unset', () => {
  it('a note about a discovered AMI secret is left out when the environment gives the AMI login', () => {
    const env = {
      PBXLINK_TRUSTED_KEYS: keys,
      PBXLINK_ETC_ROOT: join(ETC, 'freepbx211'),
      PBXLINK_BROKER_URL: 'mqtt://127.0.0.1:1883',
    };
    expect(loadConfig({ env, hostname: 'h' }).notes.join('\n')).toContain('AMPMGRPASS');
    const given = loadConfig({
      env: { ...env, PBXLINK_AMI_URL: 'ami://ops:s3cret@127.0.0.1:5038' },
      hostname: 'h',
    });
    expect(given.config?.ami.username).toBe('ops');
    expect(given.notes.join('\n')).not.toContain('AMPMGRPASS');
  });

  it('says config changes cannot be applied only when no apply_cmd was given and none was found', () => {
    const empty = mkdtempSync(join(tmpdir(), 'pbxlink-etc-empty-'));
    try {
      const env = {
        PBXLINK_TRUSTED_KEYS: keys,
        PBXLINK_ETC_ROOT: empty,
        PBXLINK_BROKER_URL: 'mqtt://127.0.0.1:1883',
      };
      const found = loadConfig({ env, hostname: 'h' });
      expect(found.notes.join('\n')).toContain('config changes cannot be applied');
      const given = loadConfig({ env: { ...env, PBXLINK_APPLY_CMD: '/bin/true' }, hostname: 'h' });
      expect(given.config?.apply_cmd).toEqual(['/bin/true']);
      expect(given.notes.join('\n')).not.toContain('cannot be applied');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('applies each layer and records its source', () => {
    const cfgFile = file(
      'prec.yaml',
      [
        'agent_id: from-file',
        'broker:',
        '  url: mqtt://file.example:1883',
        '  username: fileuser',
        'db:',
        '  user: filedb',
        '  password: filedbpass',
        'schedules:',
        '  disks: "*/10 * * * *"',
      ].join('\n'),
    );
    const env = {
      PBXLINK_TRUSTED_KEYS: keys,
      PBXLINK_STATE_DIR: join(dir, 'state'),
      PBXLINK_ETC_ROOT: join(ETC, 'freepbx211'),
      PBXLINK_BROKER_URL: 'mqtts://env.example:8883',
      PBXLINK_CDR_DB: 'envcdr',
    };
    const l = loadConfig({ configFile: cfgFile, env, hostname: 'ignored' });
    expect(l.problems).toEqual([]);
    const c = l.config;
    expect(c?.agent_id).toBe('from-file');
    expect(c?.broker.url).toBe('mqtts://env.example:8883');
    expect(c?.broker.username).toBe('fileuser');
    expect(c?.db.user).toBe('filedb'); // file beats discovery (asteriskuser)
    expect(c?.db.password).toBe('filedbpass');
    expect(c?.db.cdr_db).toBe('envcdr'); // env beats discovery (cdrs)
    expect(c?.db.cdr_table).toBe('cdr_2024'); // discovered
    expect(c?.ami.secret).toBe('realAdminSecret'); // discovered
    expect(c?.schedules.disks).toBe('*/10 * * * *');
    expect(c?.schedules.health).toBe('*/30 * * * * *'); // default
    expect(c?.broker.max_packet_bytes).toBe(96000);
    expect(c?.outbox.max_bytes).toBe(64 * 1024 * 1024);
    expect(l.sources).toMatchObject({
      agent_id: `file ${cfgFile}`,
      'broker.url': 'env PBXLINK_BROKER_URL',
      'db.user': `file ${cfgFile}`,
      'db.cdr_table': `${join(ETC, 'freepbx211')}/etc/amportal.conf:54 CDRDBTABLENAME`,
      'schedules.health': 'default',
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c?.broker)).toBe(true);
    expect(l.secrets).toEqual(expect.arrayContaining(['filedbpass', 'realAdminSecret']));
  });

  it('PBXLINK_AMI_URL and PBXLINK_DB_URL carry percent-encoded logins and beat the file', () => {
    const cfgFile = file('urls.yaml', 'ami:\n  username: fileami\n  secret: filesecret\n');
    const l = loadConfig({
      configFile: cfgFile,
      env: {
        ...base(),
        PBXLINK_BROKER_URL: 'mqtt://127.0.0.1:1',
        PBXLINK_AMI_URL: 'ami://mgr:p%40ss%3Aw@[::1]:5039',
        PBXLINK_DB_URL: 'mysql://dbu:dbp@db.local',
      },
    });
    expect(l.problems).toEqual([]);
    expect(l.config?.ami).toMatchObject({ host: '::1', port: 5039, username: 'mgr', secret: 'p@ss:w' });
    expect(l.config?.db).toMatchObject({ host: 'db.local', port: 3306, user: 'dbu', password: 'dbp' });
    expect(l.sources['ami.secret']).toBe('env PBXLINK_AMI_URL');
  });

  it('notes a world-readable config file that holds a credential', () => {
    const open = file('open.yaml', 'broker:\n  url: mqtt://127.0.0.1:1\n  password: pw-in-file\n');
    chmodSync(open, 0o644);
    expect(loadConfig({ configFile: open, env: base() }).notes).toContain(
      `config file ${open} holds credentials but is readable by every user (mode 644); chmod 600 it`,
    );
    chmodSync(open, 0o600);
    expect(loadConfig({ configFile: open, env: base() }).notes.join('\n')).not.toContain(
      'readable by every user',
    );
  });

  it('defaults the agent id to the sanitized host name', () => {
    const l = loadConfig({
      env: { ...base(), PBXLINK_BROKER_URL: 'mqtt://127.0.0.1:1' },
      hostname: 'pbx01.example.com',
    });
    expect(l.config?.agent_id).toBe('pbx01-example-com');
    expect(l.sources.agent_id).toBe('host name');
    expect(l.file).toEqual({ path: '/etc/pbxlink/agent.yaml', found: false, explicit: false }); // missing default: fine
    expect(agentIdFromHostname('ÄÖ.')).toBe('pbx');
    expect(agentIdFromHostname('x'.repeat(80))).toHaveLength(64);
  });

  it.each([
    ['fwconsole reload', ['fwconsole', 'reload']],
    [
      '["/usr/sbin/fwconsole","reload","--skip-registry-checks"]',
      ['/usr/sbin/fwconsole', 'reload', '--skip-registry-checks'],
    ],
  ])('PBXLINK_APPLY_CMD %s', (value, argv) => {
    const l = loadConfig({
      env: { ...base(), PBXLINK_BROKER_URL: 'mqtt://127.0.0.1:1', PBXLINK_APPLY_CMD: value },
    });
    expect(l.config?.apply_cmd).toEqual(argv);
  });
});

describe('loadConfig: every problem listed at once', () => {
  it('reports each problem in its own line, naming the knob and its source, never a secret', () => {
    const badKeys = file(
      'bad-keys.json',
      '[{"kid":"k1","publicKey":"-----BEGIN PUBLIC KEY-----\\nnope\\n-----END PUBLIC KEY-----","scopes":["root"]}]',
    );
    const cfgFile = file(
      'bad.yaml',
      [
        'brokr:',
        '  url: mqtt://typo',
        'broker:',
        '  protocol_version: 3',
        '  keepalive_s: fast',
        '  password: hunter2-secret',
        'ami:',
        '  port: 70000',
        'schedules:',
        '  health: "every minute"',
        'recordings:',
        '  push: https',
        'log:',
        '  level: loud',
        'paths:',
        '  state_dir: relative/dir',
      ].join('\n'),
    );
    const l = loadConfig({
      configFile: cfgFile,
      env: {
        PBXLINK_DISCOVERY: '0',
        PBXLINK_TRUSTED_KEYS: badKeys,
        PBXLINK_AGENT_ID: 'bad id!',
        PBXLINK_DB_URL: 'postgres://u:dbsecret-xyz@h',
      },
    });
    expect(l.config).toBeUndefined();
    const expected = [
      /^brokr \(file .*bad\.yaml\): unknown setting$/,
      /^broker\.protocol_version \(file .*\): 3 is not one of 5, 4$/,
      /^broker\.keepalive_s \(file .*\): "fast" is not an integer$/,
      /^ami\.port \(file .*\): 70000 is out of range \(1\.\.65535\)$/,
      /^schedules\.health \(file .*\): "every minute" is not a valid cron expression/,
      /^log\.level \(file .*\): "loud" is not one of fatal, error/,
      /^PBXLINK_DB_URL: expected mysql:\/\/user:secret@host:port/,
      /^broker\.url: required; set broker\.url in the config file or PBXLINK_BROKER_URL/,
      /^agent_id \(env PBXLINK_AGENT_ID\): "bad id!" is not a valid agent id/,
      /^recordings\.url_template: an https:\/\/ URL is required when recordings\.push is https$/,
      /^paths\.state_dir \(file .*\): "relative\/dir" must be an absolute path$/,
      /^trusted keys file .*bad-keys\.json: .*publicKey/,
      /^trusted keys file .*bad-keys\.json: .*unknown scope "root"/,
    ];
    for (const re of expected)
      expect(
        l.problems.some((p) => re.test(p)),
        `${re} in\n${l.problems.join('\n')}`,
      ).toBe(true);
    expect(l.problems.length).toBe(expected.length);
    for (const p of l.problems) expect(p).not.toMatch(/\n/);
    const all = l.problems.join('\n');
    expect(all).not.toContain('hunter2-secret');
    expect(all).not.toContain('dbsecret-xyz');
  });

  it('a YAML syntax error gives the line and column', () => {
    const cfgFile = file('syntax.yaml', 'broker:\n  url: mqtt://x\n  username: [unclosed\nami:\n');
    const l = loadConfig({ configFile: cfgFile, env: base() });
    expect(l.problems).toContain(
      `config file ${cfgFile}: line 4, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    );
    expect(l.config).toBeUndefined();
    const dup = file('dup.yaml', 'broker:\n  url: mqtt://x\n  url: mqtt://y\n');
    expect(loadConfig({ configFile: dup, env: base() }).problems).toContain(
      `config file ${dup}: line 3, column 3: Map keys must be unique`,
    );
  });

  it('a top level that is not a mapping, and a mapping where a value belongs, are reported', () => {
    expect(
      loadConfig({ configFile: file('list.yaml', '- a\n- b\n'), env: base() }).problems.join('\n'),
    ).toContain('top level must be a mapping');
    const l = loadConfig({ configFile: file('scalar.yaml', 'broker: mqtt://x\n'), env: base() });
    expect(l.problems).toContain(`broker (file ${join(dir, 'scalar.yaml')}): must be a mapping`);
  });

  it('a missing explicit config file is an error; a missing or malformed trusted-keys file too', () => {
    const missing = join(dir, 'nope.yaml');
    const l = loadConfig({
      configFile: missing,
      env: {
        ...base(),
        PBXLINK_BROKER_URL: 'mqtt://127.0.0.1:1',
        PBXLINK_TRUSTED_KEYS: join(dir, 'absent.json'),
      },
    });
    expect(l.problems).toContain(`config file ${missing}: cannot read (not found)`);
    expect(l.problems.some((p) => p.includes('absent.json: cannot read (does not exist)'))).toBe(true);
    const notJson = file('notjson.json', '{kid: 1');
    const l2 = loadConfig({
      env: { ...base(), PBXLINK_BROKER_URL: 'mqtt://127.0.0.1:1', PBXLINK_TRUSTED_KEYS: notJson },
    });
    expect(l2.problems).toEqual([expect.stringMatching(/notjson\.json: not JSON/)]);
  });

  it('rejects unsupported broker schemes, a non-TLS URL with a CA, and half a client certificate', () => {
    const l = loadConfig({
      env: {
        ...base(),
        PBXLINK_BROKER_URL: 'http://x:1',
        PBXLINK_BROKER_CA: keys,
        PBXLINK_BROKER_CERT: keys,
      },
    });
    const all = l.problems.join('\n');
    expect(all).toContain('scheme http:// is not supported');
    expect(all).toContain('broker.cert and broker.key: set both or neither');
    const l2 = loadConfig({ env: { ...base(), PBXLINK_BROKER_URL: 'mqtt://x:1', PBXLINK_BROKER_CA: keys } });
    expect(l2.problems.join('\n')).toContain('not TLS');
  });
});
