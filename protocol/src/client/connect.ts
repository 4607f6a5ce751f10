import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { PbxlinkError } from '../errors';

/** The broker URL schemes a consumer may use (DESIGN.md "Configuration"). */
export const BROKER_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'] as const;

/** How to reach the broker. */
export interface BrokerOptions {
  /** `mqtt://`, `mqtts://`, `ws://` or `wss://` URL. */
  url: string;
  username?: string;
  password?: string;
  /** CA file (PEM) to pin for mqtts:// and wss://; system CAs when absent. */
  caFile?: string;
  /** Client certificate and key files (PEM) for brokers that require client-cert auth. */
  certFile?: string;
  keyFile?: string;
  /** MQTT protocol version: 5 (default) or 4 (3.1.1). */
  protocolVersion?: 4 | 5;
  /** Client id; random `pbxctl-…` when absent. */
  clientId?: string;
  /** Give up connecting after this many milliseconds (default 10000). */
  connectTimeoutMs?: number;
  /** Reconnect automatically after a lost connection (default false: a CLI fails fast). */
  reconnect?: boolean;
}

/** Throws PbxlinkError(invalid_args) unless `url` is a broker URL with a supported scheme; returns it parsed. */
export function parseBrokerUrl(url: string | undefined): URL {
  if (!url)
    throw new PbxlinkError('invalid_args', 'no broker URL: pass --broker URL or set PBXCTL_BROKER_URL');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PbxlinkError('invalid_args', `invalid broker URL ${JSON.stringify(url)}`);
  }
  if (!(BROKER_SCHEMES as readonly string[]).includes(u.protocol)) {
    throw new PbxlinkError(
      'invalid_args',
      `unsupported broker URL scheme ${JSON.stringify(u.protocol)}: use mqtt://, mqtts://, ws:// or wss://`,
    );
  }
  return u;
}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new PbxlinkError('invalid_args', `cannot read ${what} ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** The mqtt.js options for `opts` (files are read here; no connection is made). */
export function mqttOptions(opts: BrokerOptions): IClientOptions {
  parseBrokerUrl(opts.url);
  const o: IClientOptions = {
    protocolVersion: opts.protocolVersion ?? 5,
    clientId: opts.clientId ?? `pbxctl-${randomBytes(6).toString('hex')}`,
    clean: true,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    reconnectPeriod: opts.reconnect ? 2000 : 0,
  };
  if (opts.username !== undefined) o.username = opts.username;
  if (opts.password !== undefined) o.password = opts.password;
  if (opts.caFile) o.ca = readPem('CA file', opts.caFile);
  if (opts.certFile) o.cert = readPem('client certificate', opts.certFile);
  if (opts.keyFile) o.key = readPem('client key', opts.keyFile);
  return o;
}

/** Connects to the broker; fails with PbxlinkError(unavailable) and the broker's reason when it cannot. */
export async function connectBroker(opts: BrokerOptions): Promise<MqttClient> {
  const o = mqttOptions(opts);
  const client = mqtt.connect(opts.url, o);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no CONNACK within ${(o.connectTimeout ?? 10_000) / 1000} s`)),
        o.connectTimeout ?? 10_000,
      );
      const done = (e?: Error) => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
        client.off('close', onClose);
        if (e) reject(e);
        else resolve();
      };
      const onConnect = () => done();
      const onError = (e: Error) => done(e);
      const onClose = () => done(new Error('connection closed'));
      client.once('connect', onConnect);
      client.once('error', onError);
      client.once('close', onClose);
    });
  } catch (e) {
    client.end(true);
    const safeUrl = new URL(opts.url);
    safeUrl.password = '';
    safeUrl.username = '';
    throw new PbxlinkError(
      'unavailable',
      `cannot connect to broker ${safeUrl.href}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  // Later errors (lost connection) must not crash the process as unhandled 'error' events.
  client.on('error', () => {});
  return client;
}
