import { readFileSync } from 'node:fs';
import { agentTopics } from '../../../protocol/src/topics';
import type { RecordingsCommandDeps } from '../commands/recordings';
import type { AgentConfig } from '../config/schema';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/log';
import type { FreepbxDb } from '../pbx/freepbx/db';
import { HashCache } from '../recordings/hash';
import { type HttpsPushTarget, type MqttPushTarget, RecordingPusher } from '../recordings/push';
import { TransferLimiter } from '../recordings/transfer';
import { RecordingsWatcher } from './recordings-watcher';

/** The parts of the link the recordings need (LinkPublisher has them). */
export interface RecordingsLink {
  publishEvent(type: string, data: unknown): void;
  publishBlob(transferId: string, index: number, bytes: Buffer): Promise<void>;
  /** Largest MQTT packet the agent may send now. */
  readonly maxPacketBytes: number;
}

/** What buildRecordings needs from the agent's composition. */
export interface RecordingsWiringDeps {
  config: AgentConfig;
  link: RecordingsLink;
  db?: FreepbxDb;
  clock: Clock;
  log: Logger;
  /** Extra CA (PEM file) to trust for push=https; system CAs otherwise. */
  pushCaFile?: string;
}

/** The recordings feature, built but not started: the watcher module, recordings.get deps, the pusher. */
export interface RecordingsParts {
  /** Add to the agent's modules (started/stopped with them). */
  watcher: RecordingsWatcher;
  /** Pass as CommandDeps.recordings. */
  commandDeps: RecordingsCommandDeps;
  /** Present when recordings.push is not off; stop() it when the agent stops. */
  pusher?: RecordingPusher;
}

/** Room for the topic and fixed header of a blob PUBLISH under the packet limit. */
const BLOB_HEADER_ROOM = 512;

/**
 * Builds the recordings feature from the agent's config: one HashCache and one transfer limiter shared by the
 * watcher, recordings.get and push mode; push wired to the watcher's announcements when configured.
 */
export function buildRecordings(d: RecordingsWiringDeps): RecordingsParts {
  const { config } = d;
  const topics = agentTopics(config.topic_prefix, config.agent_id);
  const blobTopic = (id: string) => topics.blob(id, 0).replace(/\/0$/, '');
  const hashes = new HashCache();
  const limiter = new TransferLimiter(config.recordings.max_concurrent_transfers);
  const log = d.log.child({ module: 'recordings' });
  let pusher: RecordingPusher | undefined;
  const push = config.recordings.push;
  if (push === 'mqtt') {
    const target: MqttPushTarget = {
      mode: 'mqtt',
      publishEvent: (type, data) => d.link.publishEvent(type, data),
      publishBlob: (id, i, bytes) =>
        d.link.publishBlob(id, i, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
      blobTopic,
      maxPayloadBytes: () => d.link.maxPacketBytes - BLOB_HEADER_ROOM,
    };
    pusher = new RecordingPusher({ target, clock: d.clock, log });
  } else if (push === 'https' && config.recordings.url_template) {
    const target: HttpsPushTarget = {
      mode: 'https',
      urlTemplate: config.recordings.url_template,
      agentId: config.agent_id,
      ...(d.pushCaFile ? { ca: readFileSync(d.pushCaFile) } : {}),
    };
    pusher = new RecordingPusher({ target, clock: d.clock, log });
  } else if (push === 'https') {
    log.warn('recordings.push is https but recordings.url_template is not set; not pushing');
  }
  const p = pusher;
  const watcher = new RecordingsWatcher({
    root: config.paths.monitor_dir,
    stateDir: config.paths.state_dir,
    hashes,
    ...(p ? { onRecording: (file, data) => p.enqueue(file, data) } : {}),
  });
  const commandDeps: RecordingsCommandDeps = {
    root: config.paths.monitor_dir,
    blobTopic,
    limiter,
    hashes,
    log,
    ...(d.db ? { cdr: { db: d.db, cdrDb: config.db.cdr_db, cdrTable: config.db.cdr_table } } : {}),
  };
  return { watcher, commandDeps, ...(pusher ? { pusher } : {}) };
}
