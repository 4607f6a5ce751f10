import { createHash, generateKeyPairSync, type KeyObject, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import type { CommandContext, CommandHandler } from '../../agent/src/commands/types';
import { wavHeader } from '../../agent/src/recordings/audio-info';
import { doneReply, errorReplyFrom, partReply } from '../../protocol/src/envelope';
import { PbxlinkError } from '../../protocol/src/errors';
import { agentTopics } from '../../protocol/src/topics';

/**
 * Stands in for the command router (agent/src/link/router.ts, another engineer's, not there yet): takes
 * commands from `P/A/cmd` over a real mqtt.js connection, runs the handler with a CommandContext whose
 * part()/publishBlob() publish QoS 1 through that connection, and replies. Signatures are not checked here
 * (the router's job); a lost connection aborts running commands as the router does on link loss.
 */
export interface StandIn {
  client: MqttClient;
  /** Commands run so far (name and args). */
  seen: Array<{ cmd: string; args: any }>;
  stop(): Promise<void>;
}

/** Starts the stand-in for `agent` on `url`. */
export async function startStandIn(
  url: string,
  agent: string,
  handlers: CommandHandler[],
  maxPayloadBytes = 96 * 1024 - 256,
): Promise<StandIn> {
  const topics = agentTopics('pbxlink/v1', agent);
  const client = mqtt.connect(url, {
    protocolVersion: 5,
    reconnectPeriod: 200,
    clientId: `standin-${agent}`,
    clean: true,
  });
  const running = new Set<AbortController>();
  const seen: StandIn['seen'] = [];
  const log = pino({ level: 'silent' });
  client.on('error', () => {});
  client.on('close', () => {
    for (const a of running) a.abort(new Error('link lost'));
  });
  client.on('connect', () => {
    client.subscribe(topics.cmd, { qos: 1 });
  });
  client.on('message', (topic, payload) => {
    if (topic !== topics.cmd) return;
    const claims = JSON.parse(Buffer.from(payload.toString().split('.')[1] ?? '', 'base64url').toString());
    const h = handlers.find((x) => x.name === claims.cmd);
    seen.push({ cmd: claims.cmd, args: claims.args });
    const ac = new AbortController();
    running.add(ac);
    let n = 0;
    const send = (body: unknown) =>
      client.publishAsync(claims.reply_to, JSON.stringify(body), { qos: 1 }).then(() => {});
    const ctx: CommandContext = {
      log,
      caller: { kid: claims.iss, scopes: ['admin'] },
      id: claims.jti,
      signal: ac.signal,
      maxPayloadBytes,
      part: (data) => send(partReply(claims.jti, ++n, data)),
      publishBlob: (id, i, bytes) => {
        if (!client.connected) return Promise.reject(new Error('link down'));
        return client
          .publishAsync(topics.blob(id, i), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
            qos: 1,
          })
          .then(() => {});
      },
    };
    void (async () => {
      try {
        if (!h) throw new PbxlinkError('unknown_command', `no command ${claims.cmd}`);
        const data = await h.handle(claims.args, ctx);
        await send(n > 0 ? doneReply(claims.jti, data) : { v: 1, id: claims.jti, ok: true, data });
      } catch (e) {
        if (client.connected) await send(errorReplyFrom(claims.jti, e)).catch(() => {});
      } finally {
        running.delete(ac);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    setTimeout(() => reject(new Error('stand-in could not connect')), 5000).unref();
  });
  await client.subscribeAsync(topics.cmd, { qos: 1 });
  return {
    client,
    seen,
    async stop() {
      for (const a of running) a.abort(new Error('stop'));
      await client.endAsync(true);
    },
  };
}

/** An Ed25519 key for signing test commands (the stand-in does not check it). */
export function testKey(): { kid: string; privateKey: KeyObject } {
  return { kid: 'test', privateKey: generateKeyPairSync('ed25519').privateKey };
}

/** sha256 of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/**
 * Writes a valid PCM WAV of `dataBytes` audio bytes fast: a sparse file with a random 64 KiB block every
 * `stride` bytes, so order and offsets matter in comparisons without writing hundreds of MB.
 */
export async function writeWav(path: string, dataBytes: number, stride = 4 * 1024 * 1024): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.write(wavHeader(dataBytes), 0, 44, 0);
    await fh.truncate(44 + dataBytes);
    for (let pos = 44; pos < 44 + dataBytes; pos += stride) {
      const len = Math.min(64 * 1024, 44 + dataBytes - pos);
      const block = randomFillSync(Buffer.alloc(len));
      await fh.write(block, 0, len, pos);
    }
  } finally {
    await fh.close();
  }
}
