import type { KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { doneReply, errorReply, okReply, partReply, type Reply } from '../../protocol/src/envelope';
import { type VerifiedCommand, verifyCommand } from '../../protocol/src/signing';

/** Path of the pbxctl entry (source). */
export const PBXCTL = 'protocol/src/cli/main.ts';

/**
 * Bundles pbxctl with esbuild exactly as scripts/build.mjs does for dist/pbxctl.js, into a private directory
 * inside the repo (so the bundle resolves node_modules), and returns its path. Starting the bundle with plain
 * `node` takes a fraction of tsx's start-up, which keeps the child-process tests fast under load.
 */
export async function buildPbxctl(): Promise<{ file: string; cleanup(): Promise<void> }> {
  const root = process.cwd();
  const out = await mkdtemp(join(root, 'node_modules', '.pbxctl-test-'));
  await build({
    entryPoints: { pbxctl: join(root, PBXCTL) },
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    packages: 'external',
    logLevel: 'silent',
  });
  return { file: join(out, 'pbxctl.js'), cleanup: () => rm(out, { recursive: true, force: true }) };
}

/** What the fake agent answers: reply bodies built from the verified command (a string is published as-is; a function is awaited before the next). */
export type Answer = (cmd: VerifiedCommand) => (Reply | string | (() => Promise<unknown>))[];

/** Canned answers. */
export const answers = {
  parts:
    (n: number): Answer =>
    (c) => [
      ...Array.from({ length: n }, (_, i) => partReply(c.claims.jti, i + 1, { rows: [{ n: i + 1 }] })),
      doneReply(c.claims.jti, { count: n, next_cursor: null }),
    ],
  single:
    (data: unknown): Answer =>
    (c) => [okReply(c.claims.jti, data)],
  error:
    (code: Parameters<typeof errorReply>[1], message: string, details?: unknown): Answer =>
    (c) => [errorReply(c.claims.jti, code, message, details)],
};

/** A tiny stand-in agent: verifies each command with verifyCommand and answers on its Response Topic. */
export interface FakeAgent {
  client: MqttClient;
  /** Every command verified so far, with the MQTT 5 properties it came with. */
  received: { cmd: VerifiedCommand; responseTopic?: string; correlationData?: Buffer; expiry?: number }[];
  /** Verification failures (error codes). */
  rejected: string[];
  close(): Promise<void>;
}

/** Starts a fake agent `agent` trusting `kid` → `publicKey`; `answer` builds the replies. */
export async function startFakeAgent(
  url: string,
  agent: string,
  kid: string,
  publicKey: KeyObject,
  answer: Answer,
  opts: IClientOptions & { prefix?: string } = {},
): Promise<FakeAgent> {
  const prefix = opts.prefix ?? 'pbxlink/v1';
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, ...opts });
  const fake: FakeAgent = { client, received: [], rejected: [], close: () => client.endAsync(true) };
  client.on('message', (_topic, payload, packet) => {
    let cmd: VerifiedCommand;
    try {
      cmd = verifyCommand(payload.toString(), {
        agentId: agent,
        resolveKey: (k) => (k === kid ? { publicKey, scopes: ['admin'] } : undefined),
      });
    } catch (e) {
      fake.rejected.push((e as { code?: string }).code ?? 'unknown');
      return;
    }
    const p = packet.properties ?? {};
    fake.received.push({
      cmd,
      responseTopic: p.responseTopic,
      correlationData: p.correlationData,
      expiry: p.messageExpiryInterval,
    });
    const topic = p.responseTopic ?? cmd.claims.reply_to;
    if (!topic) return;
    void (async () => {
      for (const r of answer(cmd)) {
        if (typeof r === 'function') {
          await r();
          continue;
        }
        await client.publishAsync(topic, typeof r === 'string' ? r : JSON.stringify(r), {
          qos: 1,
          ...(p.correlationData ? { properties: { correlationData: p.correlationData } } : {}),
        });
      }
    })();
  });
  await client.subscribeAsync(`${prefix}/${agent}/cmd`, { qos: 1 });
  return fake;
}
