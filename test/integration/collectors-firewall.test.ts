import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExec, type Exec } from '../../agent/src/collectors/exec';
import { IPTABLES_DIRS, readFirewall } from '../../agent/src/collectors/firewall';
import { FirewallCollector } from '../../agent/src/collectors/firewall-collector';
import { FirewallState } from '../../protocol/src/schemas/system';
import { makeContext } from '../unit/collectors/harness';

const exec = createExec();
const installed = IPTABLES_DIRS.some((d) => existsSync(join(d, 'iptables')));
let base: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'pbxlink-fw-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('firewall on this machine', () => {
  it(`reads whatever is true here (iptables ${installed ? 'installed' : 'absent'}) in the snapshot shape, never throwing`, async () => {
    const fw = await readFirewall({ exec });
    expect(Value.Check(FirewallState, fw)).toBe(true);
    expect(fw.is_exist).toBe(installed);
    if (!installed) {
      expect(fw).toMatchObject({ available: false, active: false, chains: [] });
      expect(fw.reason).toMatch(/not installed/);
    } else if (fw.available) {
      expect(fw.reason).toBeUndefined();
      // The built-in filter chains are always listed (iptables -S when iptables-save has no table yet).
      expect(fw.chains.filter((c) => c.table === 'filter').map((c) => c.name)).toEqual(
        expect.arrayContaining(['INPUT', 'FORWARD', 'OUTPUT']),
      );
    } else {
      expect(fw.reason).toMatch(/not permitted|failed|could not run/);
    }
  });

  it('lists a user chain with its rule count when root may change rules (a chain nothing jumps to: no traffic effect)', async () => {
    const fw0 = await readFirewall({ exec });
    if (!fw0.available) {
      // Nothing to create without a readable firewall; the first test already asserted the reason.
      expect(fw0.reason).toBeTruthy();
      return;
    }
    const chain = `PBXLINK_T${process.pid}`.slice(0, 28);
    execFileSync('iptables', ['-N', chain]);
    try {
      execFileSync('iptables', ['-A', chain, '-s', '192.0.2.1/32', '-j', 'RETURN']);
      execFileSync('iptables', ['-A', chain, '-j', 'RETURN']);
      const fw = await readFirewall({ exec });
      expect(Value.Check(FirewallState, fw)).toBe(true);
      expect(fw.chains).toContainEqual({ table: 'filter', name: chain, policy: null, rules: 2 });
      expect(fw.active).toBe(true);
    } finally {
      execFileSync('iptables', ['-F', chain]);
      execFileSync('iptables', ['-X', chain]);
    }
    const after = await readFirewall({ exec });
    expect(after.chains.some((c) => c.name === chain)).toBe(false);
  });

  it('as an unprivileged user (setpriv to nobody) the real iptables is "not permitted", with is_exist true', async () => {
    if (!installed) {
      const fw = await readFirewall({ exec });
      expect(fw.is_exist).toBe(false);
      return;
    }
    // Runs the real programs under uid/gid 65534 without capabilities: exactly what a non-root agent meets.
    const asNobody: Exec = (file, args, opts) =>
      exec(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--', file, ...args],
        opts,
      );
    const fw = await readFirewall({ exec: asNobody });
    expect(Value.Check(FirewallState, fw)).toBe(true);
    expect(fw).toMatchObject({ available: false, is_exist: true, active: false, chains: [] });
    expect(fw.reason).toMatch(/not permitted/);
    expect(fw.reason).toMatch(/Permission denied|you must be root|Operation not permitted/i);
  });
});

describe('firewall not available', () => {
  it('no iptables in the searched folders: available false, is_exist false, a clear reason', async () => {
    const empty = join(base, 'empty-bin');
    const fw = await readFirewall({ exec, binDirs: [empty, join(base, 'nowhere')] });
    expect(fw).toEqual({
      available: false,
      is_exist: false,
      active: false,
      chains: [],
      reason: `iptables is not installed (not found in ${empty}, ${join(base, 'nowhere')})`,
    });
    expect(Value.Check(FirewallState, fw)).toBe(true);
  });

  it('a binary that is present but not executable: not permitted (EACCES)', async () => {
    const dir = join(base, 'noexec');
    await (await import('node:fs/promises')).mkdir(dir);
    await writeFile(join(dir, 'iptables'), '#!/bin/sh\necho hi\n');
    await chmod(join(dir, 'iptables'), 0o644);
    // Even root cannot execute a file without an x bit: spawn fails with EACCES.
    const fw = await readFirewall({ exec, binDirs: [dir] });
    expect(fw).toEqual({
      available: false,
      is_exist: true,
      active: false,
      chains: [],
      reason: `not permitted to run ${join(dir, 'iptables')} (EACCES)`,
    });
  });

  it('a hung iptables (xtables lock held) gives a timeout reason instead of hanging the collector', async () => {
    const dir = join(base, 'slow');
    await (await import('node:fs/promises')).mkdir(dir);
    await writeFile(join(dir, 'iptables'), '#!/bin/sh\nexec sleep 10\n');
    await chmod(join(dir, 'iptables'), 0o755);
    const started = Date.now();
    const fw = await readFirewall({ exec, binDirs: [dir], timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(fw).toMatchObject({ available: false, is_exist: true });
    expect(fw.reason).toMatch(/did not answer within/);
  });
});

describe('FirewallCollector', () => {
  it('publishes a schema-valid state/firewall once, then only on change or refresh', async () => {
    const { ctx, publisher, bus } = makeContext();
    const c = new FirewallCollector({ exec, binDirs: [join(base, 'nothing-here')] });
    c.start(ctx);
    try {
      await c.runNow();
      await c.runNow();
      expect(publisher.of('firewall')).toHaveLength(1);
      expect(Value.Check(FirewallState, publisher.of('firewall')[0])).toBe(true);
      bus.emit('refresh.request', { reason: 'test' });
      await c.runNow();
      expect(publisher.of('firewall')).toHaveLength(2);
    } finally {
      c.stop();
    }
  });
});
