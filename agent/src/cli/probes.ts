/**
 * Connection probes for `pbxlink check`: AMI login (raw, over node:net), MySQL `SELECT 1` plus the
 * configured databases, MQTT connect. Each resolves to ok/FAILED with a reason and never throws; none
 * puts a credential into its result.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import mqtt from 'mqtt';
import mysql from 'mysql2/promise';
import type { AgentConfig } from '../config/schema';

/** One probe's verdict. */
export interface ProbeResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { sqlMessage?: string };
  if (err?.code === 'ECONNREFUSED') return 'connection refused';
  if (err?.code === 'ETIMEDOUT') return 'timed out';
  if (err?.code === 'ENOTFOUND') return 'host not found';
  return (err?.sqlMessage ?? err?.message ?? String(e)).split('\n')[0] ?? 'error';
}

/**
 * Logs in to AMI with a minimal raw exchange (reference §1.1): read the banner, send Login with
 * `Events: off`, expect `Response: Success`, then Logoff. A failed login is answered after 1 s.
 */
export function probeAmi(cfg: AgentConfig['ami'], timeoutMs: number): Promise<ProbeResult> {
  const where = `${cfg.host}:${cfg.port}`;
  if (!cfg.username || !cfg.secret)
    return Promise.resolve({
      name: 'ami',
      ok: false,
      detail: `${where}: no AMI login configured or discovered`,
    });
  if (/[\r\n]/.test(cfg.username + cfg.secret))
    return Promise.resolve({
      name: 'ami',
      ok: false,
      detail: 'the AMI user or secret contains a line break',
    });
  return new Promise((resolve) => {
    let buf = '';
    let banner: string | undefined;
    let done = false;
    const sock = netConnect({ host: cfg.host, port: cfg.port });
    sock.setNoDelay(true);
    const finish = (ok: boolean, detail: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ok) sock.end('Action: Logoff\r\n\r\n');
      sock.destroy();
      resolve({ name: 'ami', ok, detail: `${cfg.username}@${where}: ${detail}` });
    };
    const timer = setTimeout(() => finish(false, `no answer within ${timeoutMs} ms`), timeoutMs);
    sock.setEncoding('latin1');
    sock.on('error', (e) => finish(false, errText(e)));
    sock.on('close', () =>
      finish(
        false,
        banner ? 'connection closed before the login answer' : 'connection closed before the AMI banner',
      ),
    );
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 65536) return finish(false, 'unexpected data (not AMI?)');
      if (banner === undefined) {
        const nl = buf.indexOf('\n');
        if (nl === -1) return;
        banner = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!banner.startsWith('Asterisk Call Manager'))
          return finish(false, `not an AMI banner: ${JSON.stringify(banner.slice(0, 60))}`);
        sock.write(
          `Action: Login\r\nActionID: pbxlink-check\r\nUsername: ${cfg.username}\r\nSecret: ${cfg.secret}\r\nEvents: off\r\n\r\n`,
        );
      }
      const end = buf.search(/\r?\n\r?\n/);
      if (end === -1) return;
      const block = buf.slice(0, end);
      const resp = /^Response:\s*(.*)$/im.exec(block)?.[1]?.trim();
      const msg = /^Message:\s*(.*)$/im.exec(block)?.[1]?.trim() ?? '';
      if (resp === undefined) {
        buf = buf.slice(end).replace(/^\r?\n\r?\n/, '');
        return; // an event before the login answer; wait for the response
      }
      if (/^success$/i.test(resp)) finish(true, `logged in (${banner})`);
      else finish(false, `login refused: ${msg || resp}`);
    });
  });
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

/** Connects to MySQL, runs `SELECT 1`, then checks the config database and the CDR table exist. */
export async function probeDb(cfg: AgentConfig['db'], timeoutMs: number): Promise<ProbeResult[]> {
  const main = { host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password };
  const cdr = {
    host: cfg.cdr_host ?? cfg.host,
    port: cfg.cdr_port ?? cfg.port,
    user: cfg.cdr_user ?? cfg.user,
    password: cfg.cdr_password ?? cfg.password,
  };
  const same =
    main.host === cdr.host &&
    main.port === cdr.port &&
    main.user === cdr.user &&
    main.password === cdr.password;
  const open = async (c: typeof main) => {
    if (!c.user) throw new Error('no database login configured or discovered');
    const conn = await withTimeout(
      mysql.createConnection({ ...c, connectTimeout: timeoutMs }),
      timeoutMs + 500,
      'connect',
    );
    conn.on('error', () => {});
    return conn;
  };
  const results: ProbeResult[] = [];
  let conn: mysql.Connection | undefined;
  let cdrConn: mysql.Connection | undefined;
  try {
    conn = await open(main);
    await withTimeout(conn.query('SELECT 1'), timeoutMs, 'SELECT 1');
    results.push({ name: 'db', ok: true, detail: `${main.user}@${main.host}:${main.port}: SELECT 1 ok` });
    const [rows] = await conn.query(
      'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [cfg.config_db],
    );
    const n = Number((rows as { n: number }[])[0]?.n ?? 0);
    results.push({
      name: 'config db',
      ok: n > 0,
      detail:
        n > 0 ? `database ${cfg.config_db} present` : `database ${cfg.config_db} not found or not accessible`,
    });
  } catch (e) {
    results.push({
      name: 'db',
      ok: false,
      detail: `${main.user ?? '(no user)'}@${main.host}:${main.port}: ${errText(e)}`,
    });
  }
  try {
    cdrConn = same && conn ? conn : same ? undefined : await open(cdr);
    if (cdrConn) {
      const table = `${mysql.escapeId(cfg.cdr_db)}.${mysql.escapeId(cfg.cdr_table)}`;
      await withTimeout(cdrConn.query(`SELECT 1 FROM ${table} LIMIT 0`), timeoutMs, 'cdr');
      results.push({ name: 'cdr table', ok: true, detail: `${cfg.cdr_db}.${cfg.cdr_table} readable` });
    } else results.push({ name: 'cdr table', ok: false, detail: 'not checked: no database connection' });
  } catch (e) {
    results.push({ name: 'cdr table', ok: false, detail: `${cfg.cdr_db}.${cfg.cdr_table}: ${errText(e)}` });
  }
  await Promise.allSettled([conn?.end(), cdrConn && cdrConn !== conn ? cdrConn.end() : undefined]);
  return results;
}

/** Connects to the broker with a throw-away client id (never the agent's: that would evict a running agent). */
export function probeMqtt(cfg: AgentConfig, timeoutMs: number): Promise<ProbeResult> {
  const b = cfg.broker;
  const shown = (() => {
    try {
      const u = new URL(b.url);
      u.username = '';
      u.password = '';
      return u.toString();
    } catch {
      return 'broker';
    }
  })();
  return new Promise((resolve) => {
    let client: mqtt.MqttClient | undefined;
    let done = false;
    const finish = (ok: boolean, detail: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client?.end(true);
      resolve({ name: 'mqtt', ok, detail: `${shown}: ${detail}` });
    };
    const timer = setTimeout(() => finish(false, `no CONNACK within ${timeoutMs} ms`), timeoutMs);
    try {
      client = mqtt.connect(b.url, {
        clientId: `pbxlink-check-${cfg.agent_id}-${randomBytes(4).toString('hex')}`.slice(0, 64),
        ...(b.username !== undefined ? { username: b.username } : {}),
        ...(b.password !== undefined ? { password: b.password } : {}),
        ...(b.ca ? { ca: readFileSync(b.ca) } : {}),
        ...(b.cert ? { cert: readFileSync(b.cert) } : {}),
        ...(b.key ? { key: readFileSync(b.key) } : {}),
        protocolVersion: b.protocol_version,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: timeoutMs,
      });
    } catch (e) {
      finish(false, errText(e));
      return;
    }
    client.on('connect', (ack) => {
      const max = ack.properties?.maximumPacketSize;
      finish(
        true,
        `connected (MQTT ${b.protocol_version === 5 ? '5' : '3.1.1'}${max ? `, broker maximum packet ${max} bytes` : ''})`,
      );
    });
    client.on('error', (e) => finish(false, errText(e)));
    client.on('close', () => finish(false, 'connection closed before CONNACK'));
  });
}
