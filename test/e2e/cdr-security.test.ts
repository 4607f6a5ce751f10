/**
 * cdr.query's guards against the agent process: SQL-injection strings in every string argument match nothing or
 * are invalid_args and leave the table intact; a key without cdr:read is forbidden (pbxctl exits 1); a token
 * reusing a jti is `replayed`, while the byte-identical token again gets the cached reply and runs once.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryCdr } from '../../protocol/src/client/cdr';
import { PbxlinkClient } from '../../protocol/src/client/client';
import { CommandFailedError } from '../../protocol/src/client/replies';
import { generateKeyPair, publicJwk, signCommand } from '../../protocol/src/signing';
import { pbxctlArgv, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import { type CdrRow, cdrRow, seedCdr, tableFingerprint } from '../helpers/mariadb';
import { useProcesses } from '../helpers/process';

const SEEDED = 300;
const procs = useProcesses();
let pbx: TestPbx;
let client: PbxlinkClient;
const reader = { kid: 'reader-only', keyFile: '' };
const seeded: CdrRow[] = Array.from({ length: SEEDED }, (_, i) => cdrRow(i));

beforeAll(async () => {
  pbx = await startTestPbx({ dialect: '13' });
  await seedCdr(pbx.dbs.cdrDb, { count: SEEDED });
  // A second trusted key with only `read` (the harness writes one admin key; this adds to its file).
  const trustedFile = join(pbx.dir, 'trusted-keys.json');
  const trusted = JSON.parse(readFileSync(trustedFile, 'utf8')) as unknown[];
  const pair = generateKeyPair();
  reader.keyFile = join(pbx.dir, `${reader.kid}.key`);
  writeFileSync(reader.keyFile, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), {
    mode: 0o600,
  });
  trusted.push({ kid: reader.kid, publicKey: publicJwk(pair.publicKey), scopes: ['read'] });
  writeFileSync(trustedFile, JSON.stringify(trusted));
  await pbx.startAgent();
  client = await PbxlinkClient.connect({ url: pbx.broker.url });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await pbx?.close();
});

/** Runs one cdr.query page through the client library: its rows, or the error reply's code. */
async function run(
  args: Record<string, unknown>,
): Promise<{ rows: Record<string, unknown>[] } | { code: string }> {
  const rows: Record<string, unknown>[] = [];
  try {
    for await (const ev of queryCdr(client, pbx.agentId, args, {
      kid: pbx.key.kid,
      privateKey: pbx.key.privateKey,
      timeoutMs: 15_000,
    })) {
      if (ev.type === 'rows') rows.push(...ev.rows);
    }
    return { rows };
  } catch (e) {
    if (e instanceof CommandFailedError) return { code: e.code };
    throw e;
  }
}

const INJECTIONS = [
  "' OR '1'='1",
  "1' OR 1=1 -- ",
  "'; DROP TABLE cdr; --",
  "x'); DELETE FROM cdr; #",
  '" OR ""="',
  "' UNION SELECT user,password,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1 FROM mysql.user -- ",
  "\\'; UPDATE cdr SET src=1; -- ",
  "2026-01-01 00:00:00' OR '1'='1",
  '`src`',
  'src` OR 1=1 OR `src',
  '0x27 OR SLEEP(5)',
  "%' AND 1=0 UNION ALL SELECT NULL -- ",
];

const cursorOf = (calldate: string, uniqueid: string) =>
  Buffer.from(JSON.stringify([calldate, uniqueid]), 'utf8').toString('base64url');

describe('cdr.query guards against the agent process', () => {
  it('SQL injection in every string argument: no rows or invalid_args, and the table is intact', async () => {
    const before = await tableFingerprint(pbx.dbs.conn, pbx.dbs.cdrDb);
    const stringArgs = [
      'start_date',
      'end_date',
      'field_name',
      'status',
      'recordings',
      'order',
      'format',
      'cursor',
    ];
    for (const inj of INJECTIONS) {
      for (const arg of stringArgs) {
        const r = await run({ [arg]: inj });
        expect(r, `${arg}=${inj}`).toEqual({ code: 'invalid_args' });
      }
      // field_pattern is free text: a substring that no seeded value holds, so nothing matches.
      for (const field of ['src', 'dst', 'channel', 'dstchannel', 'accountcode', 'did', 'uniqueid']) {
        const r = await run({ field_name: field, field_pattern: inj });
        // (a pattern over 80 characters is refused by the schema)
        expect(r, `${field} LIKE ${inj}`).toEqual(inj.length <= 80 ? { rows: [] } : { code: 'invalid_args' });
      }
      // A well-formed cursor carrying the text: decoded into bound parameters (or refused), never into SQL.
      const c = await run({ cursor: cursorOf('2026-01-01 00:00:01', inj), limit: 1000 });
      if ('code' in c) expect(c.code).toBe('invalid_args');
      else
        expect(c.rows.length).toBe(seeded.filter((x) => String(x.calldate) > '2026-01-01 00:00:01').length);
      const d = await run({ cursor: cursorOf(inj, '1') });
      expect(d).toEqual({ code: 'invalid_args' });
    }
    expect(await tableFingerprint(pbx.dbs.conn, pbx.dbs.cdrDb)).toBe(before);
    expect(before.startsWith(`${SEEDED}:`)).toBe(true);
    // The agent still answers normally.
    const all = await run({ limit: 1000 });
    expect('rows' in all && all.rows.length).toBe(SEEDED);
  }, 120_000);

  it('a pattern with characters the latin1 table cannot hold (emoji, CJK) matches nothing', async () => {
    for (const pattern of ['😀', '中文', 'a😀b', 'ü']) {
      for (const field of ['src', 'dst', 'uniqueid']) {
        expect(await run({ field_name: field, field_pattern: pattern }), `${field} ${pattern}`).toEqual({
          rows: [],
        });
      }
    }
  });

  it('pbxctl cdr passes hostile patterns through as plain text: nothing matches, exit 0, table intact', async () => {
    const before = await tableFingerprint(pbx.dbs.conn, pbx.dbs.cdrDb);
    for (const inj of INJECTIONS.slice(0, 4)) {
      const r = await procs.runNode(
        pbxctlArgv(pbx, ['cdr'], ['--format', 'jsonl', '--field', 'src', `--pattern=${inj}`], {
          key: { file: pbx.key.keyFile },
          timeoutS: null,
        }),
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^done: 0 rows in 1 page\(s\)/m);
    }
    expect(await tableFingerprint(pbx.dbs.conn, pbx.dbs.cdrDb)).toBe(before);
  });

  it('a key without cdr:read: pbxctl cdr exits 1 with forbidden, no row printed', async () => {
    const r = await procs.runNode(
      pbxctlArgv(pbx, ['cdr'], ['--format', 'jsonl'], { key: { file: reader.keyFile }, timeoutS: null }),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error forbidden: /m);
    expect(r.stderr).toMatch(/cdr:read/);
  });

  it('same jti in a different token → replayed; the identical token again → the cached reply, run once', async () => {
    const raw = await mqtt.connectAsync(pbx.broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      const base = `${pbx.prefix}/${pbx.agentId}`;
      const jti = randomUUID();
      const topicA = `${base}/reply/replay-a-${jti}`;
      const topicB = `${base}/reply/replay-b-${jti}`;
      const args = { status: 'BUSY', limit: 1000 };
      const tokenA = signCommand(
        { aud: pbx.agentId, jti, cmd: 'cdr.query', args, reply_to: topicA },
        { kid: pbx.key.kid, privateKey: pbx.key.privateKey, lifetimeS: 120 },
      );
      // Same jti, another token (different lifetime and reply topic, so different bytes and signature).
      const tokenB = signCommand(
        { aud: pbx.agentId, jti, cmd: 'cdr.query', args, reply_to: topicB },
        { kid: pbx.key.kid, privateKey: pbx.key.privateKey, lifetimeS: 90 },
      );
      expect(tokenB).not.toBe(tokenA);
      const audit = `${base}/events/audit`;
      const got: Record<string, string[]> = { [topicA]: [], [topicB]: [], [audit]: [] };
      raw.on('message', (t, p) => got[t]?.push(p.toString()));
      await raw.subscribeAsync([topicA, topicB, audit], { qos: 1 });
      const waitDone = async (topic: string, n: number) => {
        const deadline = Date.now() + 15_000;
        const finals = () => got[topic]!.filter((m) => /"done":true|"ok":false/.test(m)).length;
        while (finals() < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        expect(finals(), `final replies on ${topic}`).toBe(n);
      };

      await raw.publishAsync(`${base}/cmd`, tokenA, { qos: 1 });
      await waitDone(topicA, 1);
      const first = got[topicA]!.map((m) => JSON.parse(m));
      const busy = seeded.filter((x) => x.disposition === 'BUSY').length;
      const rowsA = first.filter((m) => m.part !== undefined).flatMap((m) => m.data.rows);
      expect(rowsA).toHaveLength(busy);
      expect(first.at(-1)).toMatchObject({ id: jti, ok: true, done: true, data: { count: busy } });

      await raw.publishAsync(`${base}/cmd`, tokenB, { qos: 1 });
      await waitDone(topicB, 1);
      expect(got[topicB]!.map((m) => JSON.parse(m))).toEqual([
        expect.objectContaining({ id: jti, ok: false, error: expect.objectContaining({ code: 'replayed' }) }),
      ]);

      const n = got[topicA]!.length;
      await raw.publishAsync(`${base}/cmd`, tokenA, { qos: 1 });
      await waitDone(topicA, 2);
      const again = got[topicA]!.slice(n).map((m) => JSON.parse(m));
      // The redelivery is answered from the cache: the very same parts and done reply, byte for byte.
      expect(again.at(-1)).toEqual(first.at(-1));
      expect(got[topicA]!.slice(n)).toEqual(got[topicA]!.slice(0, n));
      // Run once: the audit trail holds the run, the refused replay, and the redelivery answered from the cache.
      const deadline = Date.now() + 10_000;
      const mine = () => got[audit]!.map((m) => JSON.parse(m).data).filter((d) => d.jti === jti);
      while (mine().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(mine().map((d) => [d.outcome, d.message ?? null])).toEqual([
        ['ok', null],
        ['replayed', expect.stringContaining('already used')],
        ['ok', 'redelivery: first reply sent again'],
      ]);
    } finally {
      await raw.endAsync(true);
    }
  });
});
