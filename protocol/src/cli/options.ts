import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { type ClientOptions, PbxlinkClient } from '../client/client';
import { parseBrokerUrl } from '../client/connect';
import { DEFAULT_REPLY_TIMEOUT_MS } from '../client/send';
import { isPbxlinkError } from '../errors';
import { loadPrivateKey } from '../signing';
import { DEFAULT_TOPIC_PREFIX, validateTopicPrefix } from '../topics';
import { CliError, EXIT } from './io';

type Opt = NonNullable<ParseArgsConfig['options']>;

/** Flags every broker-talking subcommand accepts (each also read from a PBXCTL_* variable). */
export const BROKER_FLAGS: Opt = {
  broker: { type: 'string', short: 'b' },
  username: { type: 'string', short: 'u' },
  password: { type: 'string' },
  ca: { type: 'string' },
  prefix: { type: 'string' },
  mqtt3: { type: 'boolean' },
};

/** Help text of BROKER_FLAGS. */
export const BROKER_FLAGS_HELP = `Broker options (flag, or environment variable):
  -b, --broker URL     mqtt://, mqtts://, ws:// or wss:// URL        PBXCTL_BROKER_URL
  -u, --username NAME  broker login                                  PBXCTL_BROKER_USERNAME
      --password PASS  broker password                               PBXCTL_BROKER_PASSWORD
      --ca FILE        CA certificate (PEM) to pin for TLS           PBXCTL_BROKER_CA
      --prefix P       topic prefix (default ${DEFAULT_TOPIC_PREFIX})             PBXCTL_TOPIC_PREFIX
      --mqtt3          speak MQTT 3.1.1 instead of MQTT 5`;

/** Flags of subcommands that sign commands. */
export const SIGNING_FLAGS: Opt = {
  key: { type: 'string', short: 'k' },
  kid: { type: 'string' },
  timeout: { type: 'string', short: 't' },
};

/** Help text of SIGNING_FLAGS. */
export const SIGNING_FLAGS_HELP = `Signing options:
  -k, --key FILE       Ed25519 private key (PEM or JWK)              PBXCTL_KEY
      --kid NAME       key id the agent trusts (default: key file name without .key)   PBXCTL_KID
  -t, --timeout SECS   wait this long for a reply (default ${DEFAULT_REPLY_TIMEOUT_MS / 1000})`;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function str(v: Values, name: string, env: string | undefined): string | undefined {
  const x = v[name];
  if (typeof x === 'string') return x;
  return env === '' ? undefined : env;
}

/** Broker connection options from flags, then PBXCTL_* variables; one-line CliError when something is wrong. */
export function brokerOptions(v: Values, env: NodeJS.ProcessEnv): ClientOptions {
  const url = str(v, 'broker', env.PBXCTL_BROKER_URL);
  if (!url) throw new CliError('no broker URL: pass --broker URL or set PBXCTL_BROKER_URL');
  try {
    parseBrokerUrl(url);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const prefix = str(v, 'prefix', env.PBXCTL_TOPIC_PREFIX) ?? DEFAULT_TOPIC_PREFIX;
  try {
    validateTopicPrefix(prefix);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const o: ClientOptions = { url, prefix, protocolVersion: v.mqtt3 === true ? 4 : 5 };
  const username = str(v, 'username', env.PBXCTL_BROKER_USERNAME);
  const password = str(v, 'password', env.PBXCTL_BROKER_PASSWORD);
  const ca = str(v, 'ca', env.PBXCTL_BROKER_CA);
  if (username !== undefined) o.username = username;
  if (password !== undefined) o.password = password;
  if (ca !== undefined) {
    try {
      readFileSync(ca);
    } catch (e) {
      throw new CliError(
        `cannot read CA file ${ca}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    o.caFile = ca;
  }
  return o;
}

/** The signing key, key id and reply timeout from flags, then PBXCTL_KEY / PBXCTL_KID. */
export async function signingOptions(
  v: Values,
  env: NodeJS.ProcessEnv,
): Promise<{ kid: string; privateKey: KeyObject; timeoutMs: number }> {
  const keyFile = str(v, 'key', env.PBXCTL_KEY);
  if (!keyFile)
    throw new CliError('no private key: pass --key FILE or set PBXCTL_KEY (create one with `pbxctl keygen`)');
  let text: string;
  try {
    text = readFileSync(keyFile, 'utf8');
  } catch (e) {
    throw new CliError(
      `cannot read key file ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = loadPrivateKey(text);
  } catch (e) {
    throw new CliError(`key file ${keyFile} holds no usable Ed25519 private key: ${(e as Error).message}`);
  }
  const kid = str(v, 'kid', env.PBXCTL_KID) ?? basename(keyFile).replace(/\.(key|pem|jwk|json)$/, '');
  const t = str(v, 'timeout', undefined);
  const seconds = t === undefined ? DEFAULT_REPLY_TIMEOUT_MS / 1000 : Number(t);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new CliError(`invalid --timeout ${JSON.stringify(t)}: seconds, more than 0, at most 3600`);
  }
  return { kid, privateKey, timeoutMs: Math.round(seconds * 1000) };
}

/** Maps an error from the client library to a CliError with the right exit code. */
export function toCliError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  if (isPbxlinkError(e) && (e as { timeout?: unknown }).timeout === true)
    return new CliError(e.message, EXIT.timeout);
  if (isPbxlinkError(e) && e.code === 'unavailable') return new CliError(e.message, EXIT.unavailable);
  if (isPbxlinkError(e) && e.code === 'invalid_args') return new CliError(e.message, EXIT.usage);
  return new CliError((e as Error)?.message ?? String(e), EXIT.errorReply);
}

/** Connects to the broker, turning a failure into the CliError (and exit code) pbxctl reports. */
export async function connectClient(broker: ClientOptions): Promise<PbxlinkClient> {
  try {
    return await PbxlinkClient.connect(broker);
  } catch (e) {
    throw toCliError(e);
  }
}
