/**
 * The service files start the agent the way the benchmarks measure it: the systemd unit and the SysV init script
 * both take the Node flags and environment from packaging/sysconfig/pbxlink, and test/helpers/service-env.ts
 * (what test/bench/event-latency.ts launches with) reads that same file the same way.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSysconfig, SYSCONFIG_FILE, serviceLaunch } from '../helpers/service-env';

const UNIT = 'packaging/systemd/pbxlink.service';
const INIT = 'packaging/sysv/pbxlink';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sysconfig file', () => {
  it.each([
    ['A=1', { A: '1' }],
    ['A="x y"', { A: 'x y' }],
    ["A='x y'", { A: 'x y' }],
    ['# c\n\n  B="--a --b=2"  \n', { B: '--a --b=2' }],
    ['A=', { A: '' }],
  ])('parses %j', (text, expected) => {
    expect(parseSysconfig(text)).toEqual(expected);
  });

  it.each(['export A=1', 'A="$HOME"', 'A=x y', 'A="unterminated', 'A=`id`', '1A=2', 'A="a\\"b"'])(
    'refuses %j (systemd and sh would read it differently, or not at all)',
    (text) => {
      expect(() => parseSysconfig(text)).toThrow(/not KEY="value"/);
    },
  );

  it('means the same to sh as to the parser the benchmarks use', () => {
    const parsed = parseSysconfig(readFileSync(SYSCONFIG_FILE, 'utf8'));
    expect(Object.keys(parsed)).toContain('PBXLINK_NODE_FLAGS');
    const script = `set -a; . '${SYSCONFIG_FILE}'; set +a; for k in ${Object.keys(parsed).join(' ')}; do eval "printf '%s=%s\\n' \\"\\$k\\" \\"\\$$k\\""; done`;
    const out = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: {} });
    const fromSh = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(fromSh).toEqual(parsed);
  });
});

describe('systemd unit', () => {
  const unit = readFileSync(UNIT, 'utf8');
  const directive = (name: string) =>
    unit
      .split('\n')
      .filter((l) => l.startsWith(`${name}=`))
      .map((l) => l.slice(name.length + 1));

  it('reads the sysconfig file and passes its flags to node before the script', () => {
    expect(directive('EnvironmentFile')).toEqual(['/etc/sysconfig/pbxlink']);
    const [execStart] = directive('ExecStart');
    // systemd replaces an unbraced $VAR by its value split at whitespace.
    const { env, nodeFlags } = serviceLaunch();
    const argv = (execStart ?? '')
      .split(/\s+/)
      .flatMap((w) => (w.startsWith('$') ? (env[w.slice(1)] ?? '').split(/\s+/).filter(Boolean) : [w]));
    expect(argv).toEqual(['/usr/bin/node', ...nodeFlags, '/opt/pbxlink/pbxlink.js', 'run']);
    expect(nodeFlags.length).toBeGreaterThan(0);
  });

  it('does not restart on a configuration error (exit 78)', () => {
    expect(directive('RestartPreventExitStatus')).toEqual(['78']);
  });
});

describe('SysV init script', () => {
  it('starts node with the sysconfig flags and environment, reports status, stops', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pbxlink-initd-'));
    const fakeNode = join(dir, 'node');
    // Records how it was started, then stays up like the agent until SIGTERM.
    writeFileSync(
      fakeNode,
      `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${dir}/argv'\nenv > '${dir}/env'\nexec sleep 60\n`,
    );
    chmodSync(fakeNode, 0o755);
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PBXLINK_SYSCONFIG: SYSCONFIG_FILE,
      PBXLINK_NODE: fakeNode,
      PBXLINK_SCRIPT: '/opt/pbxlink/pbxlink.js',
      PBXLINK_PIDFILE: join(dir, 'pbxlink.pid'),
      PBXLINK_OUTLOG: join(dir, 'out.log'),
    };
    const init = (cmd: string) => {
      try {
        return { code: 0, out: execFileSync('/bin/sh', [INIT, cmd], { env, encoding: 'utf8' }) };
      } catch (e) {
        const err = e as { status: number; stdout: string };
        return { code: err.status, out: err.stdout };
      }
    };

    expect(init('status').code).toBe(3);
    expect(init('start')).toEqual({ code: 0, out: 'Starting pbxlink: OK\n' });
    for (let i = 0; i < 50; i++) {
      try {
        if (readFileSync(join(dir, 'env'), 'utf8').length > 0) break;
      } catch {}
      await sleep(100);
    }
    const { nodeFlags, env: serviceEnv } = serviceLaunch();
    expect(readFileSync(join(dir, 'argv'), 'utf8').trim().split('\n')).toEqual([
      ...nodeFlags,
      '/opt/pbxlink/pbxlink.js',
      'run',
    ]);
    const childEnv = Object.fromEntries(
      readFileSync(join(dir, 'env'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    // Everything the file sets is exported to the agent (sourced with set -a), as systemd passes it.
    expect(Object.keys(serviceEnv).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(serviceEnv)) expect(childEnv[k], k).toBe(v);

    const pid = Number(readFileSync(env.PBXLINK_PIDFILE, 'utf8'));
    expect(init('status')).toEqual({ code: 0, out: `pbxlink (pid ${pid}) is running...\n` });
    expect(init('start').out).toBe(`pbxlink is already running (pid ${pid})\n`);
    expect(init('stop')).toEqual({ code: 0, out: 'Stopping pbxlink: OK\n' });
    expect(() => process.kill(pid, 0)).toThrow();
    expect(init('status').code).toBe(3);
  });

  it('refuses to start without the sysconfig file', () => {
    expect(() =>
      execFileSync('/bin/sh', [INIT, 'start'], {
        env: { PATH: '/usr/bin:/bin', PBXLINK_SYSCONFIG: '/nonexistent/pbxlink' },
        stdio: 'pipe',
      }),
    ).toThrow(/missing/);
  });
});

describe('event-latency benchmark', () => {
  it('launches its agent with the service settings', () => {
    const bench = readFileSync('test/bench/event-latency.ts', 'utf8');
    expect(bench).toContain('serviceLaunch()');
    expect(bench).toMatch(/\[\.\.\.service\.nodeFlags,[^\]]*'dist\/pbxlink\.js', 'run'\]/);
    expect(bench).toContain('...service.env,');
  });
});
