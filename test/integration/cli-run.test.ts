// `pbxlink` CLI as a child process: help/version/usage, invalid configuration, the state-dir lock, the
// release of the lock on exit, no secret in any output, and the esbuild bundle.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicPem } from '../../protocol/src/keys';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { useProcesses } from '../helpers/process';

const ROOT = join(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'agent/src/main.ts');
const ELASTIX = join(ROOT, 'test/fixtures/etc/elastix22');
const FIXTURE_SECRET = 'jEhdIekWmdjE'; // AMPDBPASS/AMI secret in the Elastix sample
const BROKER_PASS = 'brk-Secret-51e0';
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const procs = useProcesses();

let dir: string;
let keysFile: string;
let broker: MosquittoBroker;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pbxlink-run-'));
  keysFile = join(dir, 'keys.json');
  writeFileSync(
    keysFile,
    JSON.stringify([
      { kid: 'k', publicKey: publicPem(generateKeyPairSync('ed25519').publicKey), scopes: ['admin'] },
    ]),
  );
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pbxlink = (args: string[], env: Record<string, string> = {}) =>
  procs.runNode(['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeoutMs: 30_000,
  });

function validEnv(stateDir: string): Record<string, string> {
  return {
    PBXLINK_ETC_ROOT: ELASTIX,
    PBXLINK_BROKER_URL: broker.url,
    PBXLINK_BROKER_PASSWORD: BROKER_PASS,
    PBXLINK_TRUSTED_KEYS: keysFile,
    PBXLINK_STATE_DIR: stateDir,
    PBXLINK_AGENT_ID: 'pbx-run-test',
  };
}

const noSecrets = (text: string) => {
  for (const s of [FIXTURE_SECRET, BROKER_PASS]) expect(text, `secret ${s} leaked`).not.toContain(s);
};

describe('pbxlink command line', () => {
  it('--help and --version exit 0; a bad command line exits 2', async () => {
    const help = await pbxlink(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('pbxlink run   [--config FILE]');
    expect(help.stdout).toContain('78 invalid configuration');
    const v = await pbxlink(['--version']);
    expect([v.code, v.stdout.trim()]).toEqual([0, VERSION]);
    const bad = [[], ['start'], ['run', 'extra'], ['check', '--bogus'], ['run', '--config']];
    const results = await Promise.all(bad.map((args) => pbxlink(args)));
    results.forEach((r, i) => {
      expect(r.code, `pbxlink ${bad[i]?.join(' ')}`).toBe(2);
      expect(r.stderr).toMatch(/^pbxlink: .+\nTry `pbxlink --help`\.$/);
    });
  });

  it('run with an invalid configuration lists every problem on stderr, one per line, and exits 78', async () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(
      cfg,
      'agent_id: "x y"\nbroker:\n  password: yaml-Secret-9a\nschedules:\n  health: nope\nfoo: 1\n',
    );
    const r = await pbxlink(['run', '--config', cfg], {
      PBXLINK_DISCOVERY: '0',
      PBXLINK_TRUSTED_KEYS: join(dir, 'none.json'),
    });
    const lines = r.stderr.split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^config error: foo \(file .*bad\.yaml\): unknown setting$/),
      expect.stringMatching(
        /^config error: schedules\.health \(file .*\): "nope" is not a valid cron expression/,
      ),
      expect.stringMatching(/^config error: broker\.url: required/),
      expect.stringMatching(/^config error: agent_id \(file .*\): "x y" is not a valid agent id/),
      expect.stringMatching(/^config error: trusted keys file .*none\.json: cannot read \(does not exist\)/),
      'pbxlink: 5 configuration problem(s); not started (see docs/configuration.md, or run `pbxlink check`)',
    ]);
    expect(r.stdout).toBe('');
    expect(`${r.stdout}${r.stderr}`).not.toContain('yaml-Secret-9a');
    expect(r.code).toBe(78);
  });

  it('run refuses to start while another live pbxlink holds the state dir (exit 3)', async () => {
    const stateDir = join(dir, 'locked');
    mkdirSync(stateDir, { recursive: true });
    // This test process is alive: a lock naming it is held.
    writeFileSync(join(stateDir, 'agent.lock'), JSON.stringify({ pid: process.pid }));
    const r = await pbxlink(['run'], validEnv(stateDir));
    expect(r.stderr).toContain(`pbxlink: another pbxlink (pid ${process.pid}) uses ${stateDir}`);
    noSecrets(`${r.stdout}\n${r.stderr}`);
    expect(r.code).toBe(3);
    expect(JSON.parse(readFileSync(join(stateDir, 'agent.lock'), 'utf8')).pid).toBe(process.pid); // untouched
  });

  it('run takes a stale lock, and releases it on exit; logs are JSON lines without secrets', async () => {
    const stateDir = join(dir, 'stale');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, 'agent.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 })); // above pid_max: dead
    const p = procs.tsx(MAIN, ['run'], { env: { PATH: process.env.PATH ?? '', ...validEnv(stateDir) } });
    // Either the agent core is not there yet (exit 1 at once), or it starts and stops on SIGTERM (exit 0).
    const first = await Promise.race([
      p.exited.then(() => 'exited' as const),
      p.waitForLine(/"msg":"agent started"/, 25_000).then(() => 'started' as const),
    ]);
    if (first === 'started') {
      expect(JSON.parse(readFileSync(join(stateDir, 'agent.lock'), 'utf8')).pid).toBe(p.child.pid);
      const r = await p.stop('SIGTERM', 20_000);
      expect(r.code).toBe(0);
    } else {
      expect(p.stderr.join('\n')).toContain('the agent core (agent/src/agent.ts) is not built yet');
      expect((await p.exited).code).toBe(1);
    }
    expect(existsSync(join(stateDir, 'agent.lock'))).toBe(false);
    for (const l of p.stdout.filter((x) => x.startsWith('{'))) expect(() => JSON.parse(l)).not.toThrow();
    expect(p.stdout.some((l) => l.includes('"msg":"configuration notice"'))).toBe(true); // discovery notes are logged
    noSecrets(`${p.stdout.join('\n')}\n${p.stderr.join('\n')}`);
  });

  it('with log.file set, JSON log lines go to that file (created with its directory), not to stdout', async () => {
    const stateDir = join(dir, 'logfile-state');
    const logFile = join(dir, 'logs', 'agent.log');
    const p = procs.tsx(MAIN, ['run'], {
      env: { PATH: process.env.PATH ?? '', ...validEnv(stateDir), PBXLINK_LOG_FILE: logFile },
    });
    const logText = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    // Until agent.ts lands `run` exits at once; afterwards it runs until SIGTERM.
    const deadline = Date.now() + 25_000;
    let exited = false;
    void p.exited.then(() => {
      exited = true;
    });
    while (!exited && !logText().includes('"msg":"agent started"') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    if (!exited) await p.stop('SIGTERM', 20_000);
    expect(p.stdout).toEqual([]);
    const records = logText()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.find((o) => o.msg === 'configuration notice')).toMatchObject({
      level: 'warn',
      detail: expect.any(String),
    });
    noSecrets(logText());
  });

  it('the esbuild bundle runs: --version and a config error', async () => {
    // Inside the repo so the bundle resolves node_modules like dist/ does.
    const out = mkdtempSync(join(ROOT, 'node_modules', '.pbxlink-cli-test-'));
    try {
      await build({
        entryPoints: { pbxlink: MAIN },
        outdir: out,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node18',
        packages: 'external',
        logLevel: 'silent',
      });
      const bundle = join(out, 'pbxlink.js');
      const v = await procs.runNode([bundle, '--version'], { env: { PATH: process.env.PATH ?? '' } });
      expect([v.code, v.stdout.trim()]).toEqual([0, VERSION]);
      const c = await procs.runNode([bundle, 'check'], {
        env: { PATH: process.env.PATH ?? '', PBXLINK_DISCOVERY: '0', PBXLINK_TRUSTED_KEYS: keysFile },
      });
      expect(c.stdout).toContain('config error: broker.url: required');
      expect(c.code).toBe(78);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
