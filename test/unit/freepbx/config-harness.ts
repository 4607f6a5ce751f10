// Shared harness of the extensions/follow-me suites (test/integration/extensions-*.test.ts, followme-*.test.ts):
// a real MariaDB with the FreePBX schema, the AMI simulator's AstDB over a real AMI client, apply scripts on disk.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { createExtensionCommands } from '../../../agent/src/commands/extensions';
import { createFollowmeCommands } from '../../../agent/src/commands/followme';
import type { CommandContext, CommandHandler, Scope } from '../../../agent/src/commands/types';
import type { Publisher } from '../../../agent/src/core/module';
import { AmiActions } from '../../../agent/src/pbx/ami/actions';
import type { AmiTcpClient } from '../../../agent/src/pbx/ami/client';
import { createConfigChanger } from '../../../agent/src/pbx/freepbx/config-changer';
import { FreepbxDb } from '../../../agent/src/pbx/freepbx/db';
import { makeClient } from '../../fixtures/ami/client-harness';
import { type ConfigVariant, createTestDatabases, type TestDatabases } from '../../helpers/mariadb';
import { type AmiSimulator, startAmiSimulator } from '../../sim/server';

/** One published event. */
export interface SeenEvent {
  type: string;
  data: Record<string, unknown>;
}

/** Everything a suite drives: handlers by name, the databases, the simulator, events, the apply log. */
export interface ConfigHarness {
  dbs: TestDatabases;
  conn: mysql.Connection;
  sim: AmiSimulator;
  /** The agent's AMI client (tests stop it to take AMI away). */
  amiClient: AmiTcpClient;
  pool: FreepbxDb;
  events: SeenEvent[];
  handlers: Map<string, CommandHandler>;
  /** ctx.maxPayloadBytes handed to handlers (default 4096). */
  payloadLimit: number;
  /** Lines the apply script appended (one per run). */
  applyRuns(): Promise<string[]>;
  /** Makes the apply script fail (exit 1) or succeed again. */
  setApplyFailing(on: boolean): Promise<void>;
  call(
    name: string,
    args: unknown,
    scopes?: Scope[],
    kid?: string,
  ): Promise<{ data: unknown; parts: unknown[] }>;
  /** Handlers of a second, independent agent (own AMI connection, changer and mutex) on the same PBX. */
  secondAgent(): Promise<Map<string, CommandHandler>>;
  /** A CommandContext for calling handlers directly. */
  ctx(scopes?: Scope[], kid?: string): CommandContext;
  /** Rows of a table for one id, in the table's natural order for that id. */
  rows(table: string, where: string, value: string, order?: string): Promise<Record<string, unknown>[]>;
  /** AstDB keys under `/FAMILY/prefix` as a plain object. */
  astdb(prefix: string): Record<string, string>;
  close(): Promise<void>;
}

/** Starts the harness: databases (`variant`, seeded with extensions 100/106 and follow-me 106), simulator, handlers. */
export async function startConfigHarness(
  opts: {
    variant?: ConfigVariant;
    dialect?: '1.8' | '11' | '13' | '16';
    astdb?: Record<string, string>;
    /** Also hand every event to this publisher (e.g. a real LinkPublisher). */
    publisher?: Publisher;
  } = {},
): Promise<ConfigHarness> {
  const dbs = await createTestDatabases({ config: opts.variant ?? 'freepbx-2.11', seed: true });
  const sim = await startAmiSimulator({
    dialect: opts.dialect ?? '11',
    username: 'admin',
    secret: 'amp111-secret',
    authFailDelayMs: 10,
    astdb: opts.astdb,
  });
  const ami = makeClient(sim.port);
  ami.client.start();
  await ami.client.waitReady(5000);
  const dir = await mkdtemp(join(tmpdir(), 'pbxt-apply-'));
  const script = join(dir, 'apply.sh');
  const runs = join(dir, 'runs.log');
  const writeScript = async (fail: boolean) => {
    await writeFile(
      script,
      `#!/bin/sh\necho "run $*" >> '${runs}'\necho "reload $*"\n${fail ? 'echo "retrieve_conf failed" >&2\nexit 1\n' : 'exit 0\n'}`,
    );
    await chmod(script, 0o755);
  };
  await writeScript(false);
  const pool = new FreepbxDb({ host: dbs.host, port: dbs.port, user: 'root', connectionLimit: 6 });
  const events: SeenEvent[] = [];
  const publisher: Publisher = {
    publishState: () => {},
    publishEvent: (type, data) => {
      events.push({ type, data: JSON.parse(JSON.stringify(data)) });
      opts.publisher?.publishEvent(type, data);
    },
  };
  const closers: Array<() => Promise<void>> = [];
  const build = (client: typeof ami) => {
    const changer = createConfigChanger({
      db: pool,
      configDb: dbs.configDb,
      ami: client.client,
      applyArgv: [script, 'reload'],
      applyTimeoutMs: 10_000,
      publisher,
      log: client.log.log,
    });
    const map = new Map<string, CommandHandler>();
    for (const hd of [
      ...createExtensionCommands({ db: pool, configDb: dbs.configDb, changer, log: client.log.log }),
      ...createFollowmeCommands({
        db: pool,
        configDb: dbs.configDb,
        changer,
        actions: new AmiActions(client.client),
        log: client.log.log,
      }),
    ]) {
      map.set(hd.name, hd);
    }
    return map;
  };
  const handlers = build(ami);
  let seq = 0;
  const harness: ConfigHarness = {
    payloadLimit: 4096,
    amiClient: ami.client,
    dbs,
    conn: dbs.conn,
    sim,
    pool,
    events,
    handlers,
    applyRuns: async () => (await readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean),
    setApplyFailing: writeScript,
    async secondAgent() {
      const other = makeClient(sim.port);
      other.client.start();
      await other.client.waitReady(5000);
      closers.push(() => other.client.stop());
      return build(other);
    },
    ctx(scopes = ['admin'], kid = 'ops-1') {
      return {
        log: ami.log.log,
        caller: { kid, scopes },
        id: `jti-${++seq}`,
        signal: new AbortController().signal,
        maxPayloadBytes: harness.payloadLimit,
        part: async () => {},
        publishBlob: async () => {},
      };
    },
    async call(name, args, scopes = ['admin'], kid = 'ops-1') {
      const h = handlers.get(name);
      if (!h) throw new Error(`no handler ${name}`);
      const parts: unknown[] = [];
      const ctx: CommandContext = {
        log: ami.log.log,
        caller: { kid, scopes },
        id: `jti-${++seq}`,
        signal: new AbortController().signal,
        maxPayloadBytes: harness.payloadLimit,
        part: async (d) => {
          parts.push(d);
        },
        publishBlob: async () => {},
      };
      const data = await h.handle(args, ctx);
      return { data, parts };
    },
    async rows(table, where, value, order) {
      const [rows] = await dbs.conn.query(
        `SELECT * FROM \`${dbs.configDb}\`.\`${table}\` WHERE \`${where}\` = ?${order ? ` ORDER BY ${order}` : ''}`,
        [value],
      );
      return rows as Record<string, unknown>[];
    },
    astdb(prefix) {
      const out: Record<string, string> = {};
      for (const [k, v] of sim.astdb) if (k === prefix || k.startsWith(`${prefix}/`)) out[k] = v;
      return out;
    },
    async close() {
      for (const c of closers) await c();
      await ami.client.stop();
      await sim.close();
      await pool.close();
      await dbs.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** What PbxlinkError a promise rejected with (code + details), for table-driven error checks. */
export async function rejection(
  p: Promise<unknown>,
): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; message: string; details?: unknown };
    return { code: err.code ?? 'none', message: err.message, details: err.details };
  }
  throw new Error('expected a rejection');
}
