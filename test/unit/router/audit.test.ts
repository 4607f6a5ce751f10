/** The audit log: hash chain, tamper detection, rotation (chain continues across files and restarts), masking. */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../agent/src/core/clock';
import { systemClock } from '../../../agent/src/core/clock';
import { AuditLog, auditFiles, GENESIS_HASH, maskArgs, verifyAuditLog } from '../../../agent/src/link/audit';
import { AuditEvent } from '../../../protocol/src/schemas/audit';
import { tempDir } from '../link/harness';

const log = pino({ level: 'silent' });
const clock: Clock = { ...systemClock, now: () => Date.parse('2026-03-04T05:06:07.089Z') };
const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

function newLog(opts: { maxFileBytes?: number; maxFiles?: number } = {}) {
  const t = tempDir('pbxlink-audit-');
  dirs.push(t);
  const events: unknown[] = [];
  const dir = join(t.dir, 'audit');
  const make = () => {
    const a = new AuditLog({
      dir,
      clock,
      log,
      publisher: { publishEvent: (_t, d) => events.push(d) },
      ...opts,
    });
    a.open();
    return a;
  };
  return { dir, events, make };
}

const entry = (i: number) => ({
  kid: 'ops-1',
  cmd: 'extensions.update',
  jti: `j${i}`,
  args: { account: String(100 + i), secret: 'S3cr3t-value', nested: { password: 'pw', ok: 1 } },
  outcome: 'ok' as const,
  duration_ms: 12.6,
});

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('audit log', () => {
  it('chains records from GENESIS, masks secrets, publishes each record valid per schema', () => {
    const { dir, events, make } = newLog();
    const a = make();
    const r1 = a.append(entry(1));
    const r2 = a.append({ ...entry(2), outcome: 'forbidden', message: 'needs scope extensions:write' });
    a.close();
    expect(r1.prev_hash).toBe(GENESIS_HASH);
    expect(r2.prev_hash).toBe(r1.hash);
    expect(r1.args).toEqual({ account: '101', secret: '********', nested: { password: '********', ok: 1 } });
    expect(r1.at).toBe('2026-03-04T05:06:07.089Z');
    expect(r1.duration_ms).toBe(13);
    expect(events).toEqual([r1, r2]);
    for (const e of events) expect(Value.Check(AuditEvent, e)).toBe(true);
    const text = auditFiles(dir)
      .map((f) => readFileSync(f.path, 'utf8'))
      .join('');
    expect(text).not.toContain('S3cr3t');
    expect(verifyAuditLog(dir)).toEqual({ ok: true, records: 2, problems: [] });
  });

  it('detects an edited record', () => {
    const { dir, make } = newLog();
    const a = make();
    for (let i = 0; i < 5; i++) a.append(entry(i));
    a.close();
    const file = auditFiles(dir)[0]!.path;
    const ls = lines(file);
    ls[2] = ls[2]!.replace('"outcome":"ok"', '"outcome":"forbidden"');
    writeFileSync(file, `${ls.join('\n')}\n`);
    const v = verifyAuditLog(dir);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([`${file}:3: hash does not match its content (edited)`]);
  });

  it('detects a deleted record, also the first one', () => {
    const { dir, make } = newLog();
    const a = make();
    for (let i = 0; i < 5; i++) a.append(entry(i));
    a.close();
    const file = auditFiles(dir)[0]!.path;
    const ls = lines(file);
    writeFileSync(file, `${[...ls.slice(0, 1), ...ls.slice(2)].join('\n')}\n`);
    expect(verifyAuditLog(dir).problems).toEqual([
      `${file}:2: prev_hash does not match (a record is missing)`,
    ]);
    // The first record removed: the file no longer starts the chain.
    writeFileSync(file, `${ls.slice(1).join('\n')}\n`);
    expect(verifyAuditLog(dir).problems).toEqual([`${file}:1: first record does not start the chain`]);
  });

  it('rotates by size, keeps maxFiles, and the chain continues across files and a restart', () => {
    const { dir, make } = newLog({ maxFileBytes: 1500, maxFiles: 3 });
    let a = make();
    for (let i = 0; i < 6; i++) a.append(entry(i));
    a.close();
    a = make();
    const head = a.head;
    const next = a.append(entry(99));
    expect(next.prev_hash).toBe(head);
    for (let i = 0; i < 20; i++) a.append(entry(i));
    a.close();
    const files = auditFiles(dir);
    expect(files.length).toBe(3);
    expect(files[0]!.n).toBeGreaterThan(1);
    const v = verifyAuditLog(dir);
    expect(v).toMatchObject({ ok: true, problems: [] });
    // A whole middle file deleted shows.
    unlinkSync(files[1]!.path);
    expect(verifyAuditLog(dir).ok).toBe(false);
  });

  it('masks secret-named args at any depth and summarizes oversized args', () => {
    expect(
      maskArgs({
        account: '1',
        secret: 'x',
        sip: [{ Secret: 'y', host: 'h' }],
        apiToken: 't',
        privateKey: 'k',
        keyword: 'kw',
      }),
    ).toEqual({
      account: '1',
      secret: '********',
      sip: [{ Secret: '********', host: 'h' }],
      apiToken: '********',
      privateKey: '********',
      keyword: '********',
    });
    expect(maskArgs({ big: 'x'.repeat(10_000) })).toEqual({ truncated: true, bytes: 10_010 });
  });
});
