import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollectorSources } from '../../agent/src/collectors/sources';
import { createSystemCommands } from '../../agent/src/commands/system';
import type { CommandContext } from '../../agent/src/commands/types';
import { findCommand } from '../../protocol/src/schemas/registry';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'pbxlink-syscmd-'));
  await mkdir(join(base, 'monitor', '2026', '11', '29'), { recursive: true });
  await writeFile(
    join(base, 'monitor', '2026', '11', '29', 'out-100-200-20261129-050000-1.1.wav'),
    Buffer.alloc(4096),
  );
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

function commandContext(signal = new AbortController().signal): CommandContext {
  return {
    log: pino({ level: 'silent' }),
    caller: { kid: 'ops-1', scopes: ['read'] },
    id: 'jti-1',
    signal,
    maxPayloadBytes: 90_000,
    part: async () => {
      throw new Error('system commands send no parts');
    },
    publishBlob: async () => {
      throw new Error('system commands send no blobs');
    },
  };
}

describe('system.* commands (fresh data shaped like the snapshots)', () => {
  const monitor = () => join(base, 'monitor');
  const handlers = () => createSystemCommands(createCollectorSources({ monitorDir: monitor() }));

  it('are the three read commands of the contract, with its args schemas', () => {
    const hs = handlers();
    expect(hs.map((h) => [h.name, h.scope])).toEqual([
      ['system.resources', 'read'],
      ['system.disks', 'read'],
      ['system.firewall', 'read'],
    ]);
    for (const h of hs) {
      expect(h.args).toEqual(findCommand(h.name)?.args);
      expect(Value.Check(h.args, {})).toBe(true);
      expect(Value.Check(h.args, { path: '/etc' })).toBe(false);
    }
  });

  it('each returns data valid against its result schema in the protocol registry', async () => {
    for (const h of handlers()) {
      const result = await h.handle({}, commandContext());
      const schema = findCommand(h.name)?.result;
      expect(schema, h.name).toBeDefined();
      expect(Value.Errors(schema!, result).First(), h.name).toBeUndefined();
    }
  });

  it('system.disks sizes the seed folders and the monitor folder, last', async () => {
    const disks = handlers().find((h) => h.name === 'system.disks')!;
    const d = (await disks.handle({}, commandContext())) as {
      folders: { path: string; bytes: number | null }[];
    };
    expect(d.folders.map((f) => f.path)).toEqual([
      '/var/log',
      '/opt',
      '/var/spool/asterisk/voicemail',
      '/var/www/backup',
      '/etc',
      monitor(),
    ]);
    expect(d.folders.at(-1)?.bytes).toBeGreaterThan(4096);
    // Folders this machine lacks (no Asterisk here) are null with the reason, not an error reply.
    for (const f of d.folders) if (f.bytes === null) expect(f).toHaveProperty('error');
  });

  it('system.disks stops sizing when the command is aborted (router timeout)', async () => {
    const disks = handlers().find((h) => h.name === 'system.disks')!;
    const ac = new AbortController();
    ac.abort();
    const d = (await disks.handle({}, commandContext(ac.signal))) as {
      folders: { bytes: number | null; error?: string }[];
    };
    expect(d.folders.filter((f) => f.bytes !== null)).toEqual([]);
  });

  it('system.resources with an unreadable /proc is an `unavailable` error reply', async () => {
    const [resources] = createSystemCommands(
      createCollectorSources({ monitorDir: monitor(), procRoot: join(base, 'no-proc') }),
    );
    await expect(resources!.handle({}, commandContext())).rejects.toMatchObject({ code: 'unavailable' });
  });
});
