// `pbxlink check` against a real Mosquitto with TLS (CA pinning, client certificates), WebSocket and
// MQTT 3.1.1: the mqtt line says ok or FAILED with the reason.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicPem } from '../../protocol/src/keys';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { useProcesses } from '../helpers/process';

const MAIN = join(import.meta.dirname, '../../agent/src/main.ts');
const procs = useProcesses();
let broker: MosquittoBroker;
let dir: string;
let keysFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pbxlink-check-tls-'));
  keysFile = join(dir, 'keys.json');
  writeFileSync(
    keysFile,
    JSON.stringify([
      { kid: 'k', publicKey: publicPem(generateKeyPairSync('ed25519').publicKey), scopes: ['read'] },
    ]),
  );
  broker = await startMosquitto({ tls: true, websockets: true, requireClientCert: true });
}, 60_000);
afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function mqttLine(env: Record<string, string>): Promise<string> {
  const r = await procs.runNode(['--import', 'tsx', MAIN, 'check'], {
    env: {
      PATH: process.env.PATH ?? '',
      PBXLINK_DISCOVERY: '0',
      PBXLINK_TRUSTED_KEYS: keysFile,
      PBXLINK_STATE_DIR: join(dir, 's'),
      ...env,
    },
    timeoutMs: 30_000,
  });
  expect(r.code).not.toBe(78);
  return (
    r.stdout.split('\n').find((l) => /^\s+mqtt\s{2,}/.test(l)) ?? `(no mqtt line)\n${r.stdout}\n${r.stderr}`
  );
}

describe('pbxlink check: broker transports', () => {
  it('mqtts with the pinned CA and a client certificate: ok', async () => {
    const pki = broker.pki;
    if (!pki || !broker.tlsUrl) throw new Error('the test broker has no TLS listener');
    const line = await mqttLine({
      PBXLINK_BROKER_URL: broker.tlsUrl,
      PBXLINK_BROKER_CA: pki.caFile,
      PBXLINK_BROKER_CERT: pki.clientCertFile,
      PBXLINK_BROKER_KEY: pki.clientKeyFile,
    });
    expect(line).toMatch(/ok\s+mqtts:\/\/127\.0\.0\.1:\d+\/?: connected \(MQTT 5/);
  });

  it('mqtts without pinning the test CA: FAILED, the certificate is not trusted', async () => {
    const pki = broker.pki;
    if (!pki || !broker.tlsUrl) throw new Error('the test broker has no TLS listener');
    const line = await mqttLine({
      PBXLINK_BROKER_URL: broker.tlsUrl,
      PBXLINK_BROKER_CERT: pki.clientCertFile,
      PBXLINK_BROKER_KEY: pki.clientKeyFile,
    });
    expect(line).toMatch(/FAILED\s+.*(self[- ]signed|unable to (get|verify)|certificate)/i);
  });

  it('mqtts without the required client certificate: FAILED', async () => {
    const pki = broker.pki;
    if (!pki || !broker.tlsUrl) throw new Error('the test broker has no TLS listener');
    const line = await mqttLine({ PBXLINK_BROKER_URL: broker.tlsUrl, PBXLINK_BROKER_CA: pki.caFile });
    expect(line).toMatch(/FAILED\s+/);
  });

  it('ws:// and MQTT 3.1.1 over TCP: ok', async () => {
    if (!broker.wsUrl) throw new Error('the test broker has no WebSocket listener');
    expect(await mqttLine({ PBXLINK_BROKER_URL: broker.wsUrl })).toMatch(
      /ok\s+ws:\/\/127\.0\.0\.1:\d+\/?: connected \(MQTT 5/,
    );
    expect(await mqttLine({ PBXLINK_BROKER_URL: broker.url, PBXLINK_BROKER_PROTOCOL_VERSION: '4' })).toMatch(
      /ok\s+mqtt:\/\/127\.0\.0\.1:\d+\/?: connected \(MQTT 3\.1\.1\)/,
    );
  });
});
