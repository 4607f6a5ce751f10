/** Shared helpers of the link tests: a raw mqtt.js consumer that records what leaves the agent, and a Link factory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { systemClock } from '../../../agent/src/core/clock';
import { Link, type LinkOptions } from '../../../agent/src/link/link';
import { LinkPublisher } from '../../../agent/src/link/publisher';
import { newBootId } from '../../../agent/src/link/seq-store';
import { agentTopics } from '../../../protocol/src/topics';

/** One message the consumer saw. */
export interface Seen {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** The parsed JSON payload (tests index into it freely). */
  // biome-ignore lint/suspicious/noExplicitAny: test convenience; assertions check the shape
  json: any;
}

/** A consumer subscribed to `filters`, recording every message. */
export interface Consumer {
  client: MqttClient;
  seen: Seen[];
  /** Resolves with the first message (from `from` on) matching `pred`, or rejects after `ms`. */
  waitFor(pred: (m: Seen) => boolean, ms?: number, from?: number): Promise<Seen>;
  /** Resolves once `n` messages match `pred`. */
  waitCount(pred: (m: Seen) => boolean, n: number, ms?: number): Promise<Seen[]>;
  close(): Promise<void>;
}

/** Connects a raw mqtt.js consumer and subscribes (QoS 1) before resolving. */
export async function startConsumer(
  url: string,
  filters: string[],
  opts: IClientOptions = {},
): Promise<Consumer> {
  const client = connect(url, { reconnectPeriod: 200, protocolVersion: 5, ...opts });
  const seen: Seen[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload, packet) => {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      json = undefined;
    }
    seen.push({ topic, payload, retain: packet.retain, json });
    for (const w of [...waiters]) w();
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(filters, { qos: 1 });
  const waitCount = (pred: (m: Seen) => boolean, n: number, ms = 10_000) =>
    new Promise<Seen[]>((resolve, reject) => {
      const check = () => {
        const hits = seen.filter(pred);
        if (hits.length >= n) {
          waiters.delete(check);
          clearTimeout(t);
          resolve(hits);
        }
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `timed out: ${seen.filter(pred).length}/${n} matching messages (saw ${seen.length} in all)`,
          ),
        );
      }, ms);
      waiters.add(check);
      check();
    });
  return {
    client,
    seen,
    waitCount,
    waitFor: async (pred, ms = 10_000, from = 0) => {
      const [hit] = await waitCount((m) => seen.indexOf(m) >= from && pred(m), 1, ms);
      return hit!;
    },
    close: () => client.endAsync(true),
  };
}

/** A temp state dir, removed by `cleanup`. */
export function tempDir(prefix = 'pbxlink-link-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A unique agent id per test. */
export function testAgentId(): string {
  return `t${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Builds (does not start) a Link and its publisher with fast backoff and a silent logger. */
export function makeLink(o: { url: string; stateDir: string; agent: string } & Partial<LinkOptions>): {
  link: Link;
  publisher: LinkPublisher;
} {
  const log = pino({ level: 'silent' });
  const link = new Link({
    topics: agentTopics('pbxlink/v1', o.agent),
    bootId: newBootId(),
    birth: () => ({
      version: '0.0.0-test',
      started_at: new Date().toISOString(),
      capabilities: ['cdr.query'],
      pbx: { dialect: '16', asterisk_version: '16.30.0', ami_version: '5.0.0', chan_sip: true, pjsip: false },
    }),
    backoff: { initialMs: 50, maxMs: 300 },
    clock: systemClock,
    log,
    ...o,
  });
  return { link, publisher: new LinkPublisher(link, systemClock, log) };
}

/** Resolves when `cond()` holds, polling every 10 ms; rejects after `ms`. */
export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
