import { MAX_MESSAGE_BYTES } from '../../../protocol/src/envelope';
import { Backoff, type BackoffOptions } from '../core/backoff';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/log';
import type { RecordingNewData } from './announce';
import type { RecordingFile } from './confine';
import { expandUrlTemplate, putOnce } from './push-https';
import { chunkSizeFor, DEFAULT_WINDOW, newTransferId, sendChunks } from './transfer';

/** Push over the broker: metadata as an event, then the chunks on `P/A/blob/<transfer_id>/<index>`. */
export interface MqttPushTarget {
  mode: 'mqtt';
  /** Publishes the `recording.push` event (through the link's outbox). */
  publishEvent(type: string, data: unknown): void;
  /** Publishes one chunk, resolving on PUBACK; rejects while the link is down. */
  publishBlob(transferId: string, index: number, bytes: Uint8Array): Promise<void>;
  blobTopic(transferId: string): string;
  /** Largest payload allowed now (the link's current packet limit minus topic room); default 96 KB − 512. */
  maxPayloadBytes?: () => number;
}

/** Push by HTTPS PUT to a URL made from a template per recording. */
export interface HttpsPushTarget {
  mode: 'https';
  /** `https://…{agent}…{uniqueid}…{name}…{sha256}` (config recordings.url_template). */
  urlTemplate: string;
  agentId: string;
  ca?: string | Buffer;
  timeoutMs?: number;
}

/** Options of the pusher. */
export interface PushOptions {
  target: MqttPushTarget | HttpsPushTarget;
  clock: Clock;
  log?: Logger;
  /** Attempts per recording before it is given up (default 8). */
  attempts?: number;
  backoff?: BackoffOptions;
  /** Recordings waiting at most; beyond it the newest is dropped with a warning (default 1000). */
  maxQueue?: number;
}

/**
 * Push mode (config recordings.push): sends every announced recording, one at a time, to the broker in the
 * chunk format of recordings.get or by HTTPS PUT, retrying with the agent's backoff and resuming uploads.
 */
export class RecordingPusher {
  private readonly queue: Array<{ file: RecordingFile; data: RecordingNewData }> = [];
  private working = false;
  private stopped = false;
  private readonly abort = new AbortController();
  /** Recordings sent / given up, for health and tests. */
  readonly stats = { pushed: 0, failed: 0, dropped: 0 };

  constructor(private readonly opts: PushOptions) {}

  /** Queues a recording (the watcher's onRecording hook). */
  enqueue(file: RecordingFile, data: RecordingNewData): void {
    if (this.stopped) return;
    if (this.queue.length >= (this.opts.maxQueue ?? 1000)) {
      this.stats.dropped++;
      this.opts.log?.warn({ path: data.path }, 'push queue full; recording not pushed');
      return;
    }
    this.queue.push({ file, data });
    void this.work();
  }

  /** Stops after the current attempt; queued recordings are not sent. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.abort.abort(new Error('stopping'));
  }

  private async work(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      for (let job = this.queue.shift(); job && !this.stopped; job = this.queue.shift()) {
        const ok = await this.pushWithRetries(job.file, job.data);
        if (ok) this.stats.pushed++;
        else if (!this.stopped) this.stats.failed++;
      }
    } finally {
      this.working = false;
    }
  }

  private async pushWithRetries(file: RecordingFile, data: RecordingNewData): Promise<boolean> {
    const backoff = new Backoff(this.opts.backoff);
    const attempts = this.opts.attempts ?? 8;
    for (let n = 0; n < attempts && !this.stopped; n++) {
      try {
        if (await this.pushOnce(file, data, n)) {
          this.opts.log?.info({ path: data.path, attempts: n + 1 }, 'recording pushed');
          return true;
        }
      } catch (e) {
        // A refusal (HTTP 4xx) or a bad URL template will not get better by retrying.
        const code = (e as { code?: string }).code;
        if (this.opts.target.mode === 'https' && (code === 'internal' || code === 'invalid_args')) {
          this.opts.log?.warn({ path: data.path, err: (e as Error).message }, 'recording push refused');
          return false;
        }
        this.opts.log?.debug({ path: data.path, err: (e as Error).message }, 'recording push attempt failed');
      }
      const delay = backoff.next();
      await new Promise<void>((r) => this.opts.clock.setTimeout(r, delay));
    }
    if (!this.stopped) this.opts.log?.warn({ path: data.path, attempts }, 'recording push gave up');
    return false;
  }

  private async pushOnce(file: RecordingFile, data: RecordingNewData, attempt: number): Promise<boolean> {
    const t = this.opts.target;
    if (t.mode === 'https') {
      const url = expandUrlTemplate(t.urlTemplate, {
        agent: t.agentId,
        uniqueid: data.uniqueid,
        name: data.path,
        sha256: data.sha256,
      });
      return await putOnce({ url, ca: t.ca, timeoutMs: t.timeoutMs }, file.abs, file.size, attempt);
    }
    const chunkSize = chunkSizeFor(t.maxPayloadBytes?.() ?? MAX_MESSAGE_BYTES - 512);
    const transferId = newTransferId();
    t.publishEvent('recording.push', {
      transfer_id: transferId,
      name: data.path,
      size: file.size,
      sha256: data.sha256,
      chunk_size: chunkSize,
      chunks: Math.ceil(file.size / chunkSize),
      offset: 0,
      topic: t.blobTopic(transferId),
    });
    await sendChunks({
      path: file.abs,
      size: file.size,
      offset: 0,
      chunkSize,
      transferId,
      window: DEFAULT_WINDOW,
      publish: (id, i, b) => t.publishBlob(id, i, b),
      signal: this.abort.signal,
    });
    return true;
  }
}
