/**
 * The router rig: a real Mosquitto (started by the test file), the real Link and LinkPublisher, the real
 * TrustedKeyStore / PersistentReplayCache / AuditLog in a temp state dir, and a raw MQTT 5 consumer that signs and
 * publishes commands with the protocol's signCommand and records every reply and audit event it sees.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { connect, type IClientPublishOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import type { CommandHandler } from '../../../agent/src/commands/types';
import { systemClock } from '../../../agent/src/core/clock';
import { PbxlinkError } from '../../../agent/src/core/errors';
import { AuditLog } from '../../../agent/src/link/audit';
import type { Link } from '../../../agent/src/link/link';
import type { LinkPublisher } from '../../../agent/src/link/publisher';
import { PersistentReplayCache } from '../../../agent/src/link/replay-cache';
import { CommandRouter, type RouterOptions } from '../../../agent/src/link/router';
import { TrustedKeyStore } from '../../../agent/src/link/trusted-keys';
import { generateKeyPair, publicPem } from '../../../protocol/src/keys';
import { type CommandClaimsInput, signCommand } from '../../../protocol/src/signing';
import { makeLink, tempDir, testAgentId, until } from '../link/harness';

/** A signing identity. */
export interface TestKey {
  kid: string;
  privateKey: ReturnType<typeof generateKeyPair>['privateKey'];
  publicKey: ReturnType<typeof generateKeyPair>['publicKey'];
  scopes: string[];
}

/** A new key pair with its scopes. */
export function testKey(kid: string, scopes: string[]): TestKey {
  return { kid, scopes, ...generateKeyPair() };
}

/** The trusted-keys file text for `keys`. */
export function keysFileText(keys: TestKey[]): string {
  return JSON.stringify(
    keys.map((k) => ({ kid: k.kid, publicKey: publicPem(k.publicKey), scopes: k.scopes })),
  );
}

/** One message the consumer saw. */
export interface SeenMsg {
  topic: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience; assertions check the shape
  json: any;
  bytes: number;
  correlationData?: Buffer;
}

/** Test-only handlers outside the wire contract: sleep (honours the signal) and throw (a non-coded error). */
export function testHandlers(counter: { sleeps: number; aborted: number }): CommandHandler[] {
  const sleep: CommandHandler<{ ms: number }> = {
    name: 'test.sleep',
    scope: 'read',
    args: Type.Object({ ms: Type.Integer({ minimum: 0, maximum: 60_000 }) }, { additionalProperties: false }),
    timeoutMs: 800,
    async handle(args, ctx) {
      counter.sleeps++;
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, args.ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          counter.aborted++;
          reject(ctx.signal.reason);
        });
      });
      return { slept: args.ms };
    },
  };
  const thrower: CommandHandler = {
    name: 'test.throw',
    scope: 'read',
    args: Type.Object({ coded: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    async handle(args) {
      if (args.coded) throw new PbxlinkError('not_found', 'no such thing', { details: { what: 'thing' } });
      throw new Error('db password hunter2 rejected at 10.0.0.9');
    },
  };
  const big: CommandHandler<{ mode: 'result' | 'part' | 'fill' }> = {
    name: 'test.big',
    scope: 'read',
    args: Type.Object({
      mode: Type.Union([Type.Literal('result'), Type.Literal('part'), Type.Literal('fill')]),
    }),
    async handle(args, ctx) {
      const over = 'x'.repeat(ctx.maxPayloadBytes + 10);
      if (args.mode === 'result') return { blob: over };
      if (args.mode === 'part') await ctx.part({ blob: over });
      // Exactly the room announced: a JSON string of maxPayloadBytes bytes.
      else await ctx.part('y'.repeat(ctx.maxPayloadBytes - 2));
      return { max: ctx.maxPayloadBytes };
    },
  };
  return [sleep, thrower, big];
}

/** The rig. */
export interface Rig {
  agent: string;
  base: string;
  stateDir: string;
  keysFile: string;
  link: Link;
  publisher: LinkPublisher;
  router: CommandRouter;
  store: TrustedKeyStore;
  replay: PersistentReplayCache;
  audit: AuditLog;
  consumer: MqttClient;
  seen: SeenMsg[];
  /** Signs claims (jti/aud/reply_to defaulted) with `key`. */
  sign(key: TestKey, claims: Partial<CommandClaimsInput> & { cmd: string }): string;
  /** Publishes a token to P/A/cmd (MQTT 5 properties optional). */
  publish(token: string, opts?: IClientPublishOptions): Promise<void>;
  /** Replies with id `id` (from message index `from` on), waiting until the final one. */
  replies(id: string, from?: number, ms?: number): Promise<SeenMsg[]>;
  /** Signs, publishes and waits for the final reply; returns every reply of it. */
  run(
    key: TestKey,
    cmd: string,
    args?: Record<string, unknown>,
    claims?: Partial<CommandClaimsInput>,
  ): Promise<SeenMsg[]>;
  /** The audit events seen (data of each envelope). */
  audits(): SeenMsg['json'][];
  /** Stops router, link and files, then builds them again on the same state dir (a restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Options of the rig. */
export interface RigOptions {
  url: string;
  keys: TestKey[];
  handlers: (parts: { router: () => CommandRouter }) => CommandHandler[];
  router?: Partial<Pick<RouterOptions, 'concurrency' | 'defaultTimeoutMs'>>;
  /** MQTT version of the agent's link (default 5). */
  protocolVersion?: 4 | 5;
}

const isFinal = (j: SeenMsg['json']) =>
  j && (j.ok === false || j.done === true || (j.ok === true && j.part === undefined));

/** Starts the rig (link connected, consumer subscribed to replies and audit events). */
export async function startRig(o: RigOptions): Promise<Rig> {
  const agent = testAgentId();
  const base = `pbxlink/v1/${agent}`;
  const state = tempDir('pbxlink-router-');
  const keysFile = join(state.dir, 'trusted-keys.json');
  writeFileSync(keysFile, keysFileText(o.keys));
  const log = pino({ level: 'silent' });
  const consumer = connect(o.url, { protocolVersion: 5, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    consumer.once('connect', () => resolve());
    consumer.once('error', reject);
  });
  const seen: SeenMsg[] = [];
  consumer.on('message', (topic, payload, packet) => {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      json = undefined;
    }
    const cd = packet.properties?.correlationData;
    seen.push({ topic, json, bytes: payload.length, ...(cd ? { correlationData: Buffer.from(cd) } : {}) });
  });
  await consumer.subscribeAsync([`${base}/reply/#`, `${base}/events/audit`, `${base}/elsewhere/#`], {
    qos: 1,
  });

  const rig = {} as Rig;
  const build = async () => {
    const { link, publisher } = makeLink({
      url: o.url,
      stateDir: state.dir,
      agent,
      protocolVersion: o.protocolVersion ?? 5,
    });
    const store = new TrustedKeyStore({ file: keysFile, clock: systemClock, log, debounceMs: 50 });
    store.start();
    const replay = PersistentReplayCache.open(state.dir, Math.floor(Date.now() / 1000), { log });
    const audit = new AuditLog({ dir: join(state.dir, 'audit'), clock: systemClock, log, publisher });
    audit.open();
    let router: CommandRouter | undefined;
    router = new CommandRouter({
      agentId: agent,
      topics: link.topics,
      transport: publisher,
      handlers: o.handlers({ router: () => router! }),
      keys: store,
      replay,
      audit,
      clock: systemClock,
      log,
      ...o.router,
    });
    router.start(link);
    link.start();
    await until(() => link.connected, 10_000, 'link connected');
    Object.assign(rig, { link, publisher, router, store, replay, audit });
  };
  await build();

  const teardown = async () => {
    await rig.router.stop(1000);
    await rig.link.stop();
    rig.store.stop();
    rig.replay.close();
    rig.audit.close();
  };

  Object.assign(rig, {
    agent,
    base,
    stateDir: state.dir,
    keysFile,
    consumer,
    seen,
    sign(key: TestKey, claims: Partial<CommandClaimsInput> & { cmd: string }) {
      const jti = claims.jti ?? randomUUID();
      return signCommand(
        { aud: agent, args: {}, reply_to: `${base}/reply/${jti}`, ...claims, jti } as CommandClaimsInput,
        { kid: key.kid, privateKey: key.privateKey },
      );
    },
    async publish(token: string, opts: IClientPublishOptions = {}) {
      await consumer.publishAsync(`${base}/cmd`, token, { qos: 1, ...opts });
    },
    async replies(id: string, from = 0, ms = 10_000) {
      const mine = () =>
        seen.slice(from).filter((m) => m.topic.startsWith(`${base}/reply/`) && m.json?.id === id);
      await until(() => mine().some((m) => isFinal(m.json)), ms, `final reply to ${id}`);
      const all = mine();
      return all.slice(0, all.findIndex((m) => isFinal(m.json)) + 1);
    },
    async run(
      key: TestKey,
      cmd: string,
      args: Record<string, unknown> = {},
      claims: Partial<CommandClaimsInput> = {},
    ) {
      const jti = claims.jti ?? randomUUID();
      const from = seen.length;
      await rig.publish(rig.sign(key, { cmd, args, ...claims, jti }));
      return rig.replies(jti, from);
    },
    audits: () => seen.filter((m) => m.topic === `${base}/events/audit`).map((m) => m.json.data),
    async restart() {
      await teardown();
      await build();
    },
    async close() {
      await teardown();
      await consumer.endAsync(true);
      state.cleanup();
    },
  });
  return rig;
}
