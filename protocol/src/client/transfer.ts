import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, ftruncateSync, openSync, writeSync } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { PbxlinkError } from '../errors';
import { consumerFilters, parseTopic } from '../topics';
import type { PbxlinkClient } from './client';
import { CommandFailedError, isReplyTimeout } from './replies';
import type { SendOptions } from './send';

/** Which recording to fetch: exactly one of `name` (path under the monitor root) or CDR `uniqueid`. */
export interface RecordingRequest {
  name?: string;
  uniqueid?: string;
}

/** The first `recordings.get` part (protocol RecordingsGetMeta). */
export interface TransferMeta {
  transfer_id: string;
  name: string;
  size: number;
  sha256: string;
  chunk_size: number;
  chunks: number;
  offset: number;
  topic: string;
}

/** Progress of one download. */
export interface TransferProgress {
  received: number;
  size: number;
  name: string;
}

/** Options of downloadRecording (signing, timeouts, where to write). */
export interface DownloadOptions extends Omit<SendOptions, 'prefix'> {
  /** Final file. `<output>.part` holds the bytes so far and `<output>.part.json` what they belong to. */
  output: string;
  onProgress?(p: TransferProgress): void;
  /** Tells about a retry (lost connection, incomplete transfer, busy agent). */
  onRetry?(info: { attempt: number; offset: number; reason: string }): void;
  /** Retries after an interruption (default 5). */
  retries?: number;
  /** Wait before a retry in ms (default 1000, doubled each time up to 15 s). */
  retryDelayMs?: number;
}

/** What downloadRecording did. */
export interface DownloadResult {
  name: string;
  size: number;
  sha256: string;
  /** Offsets asked for, one per attempt (a resumed download shows more than one). */
  offsets: number[];
}

/** Out-of-order chunks held in memory at most; beyond it the attempt ends and resumes from what is written. */
const MAX_PENDING_CHUNKS = 256;

interface Sidecar {
  request: RecordingRequest;
  sha256: string;
  size: number;
  chunk_size: number;
}

class Incomplete extends Error {}

/** Where an interrupted download of `request` stands: the byte to resume from (multiple of its chunk size). */
async function resumePoint(
  out: string,
  request: RecordingRequest,
): Promise<{ offset: number; side?: Sidecar }> {
  try {
    const side = JSON.parse(await readFile(`${out}.part.json`, 'utf8')) as Sidecar;
    if (JSON.stringify(side.request) !== JSON.stringify(request) || !(side.chunk_size > 0))
      return { offset: 0 };
    const have = (await stat(`${out}.part`)).size;
    return { offset: Math.min(side.size, Math.floor(have / side.chunk_size) * side.chunk_size), side };
  } catch {
    return { offset: 0 };
  }
}

async function hashPrefix(path: string, bytes: number): Promise<Hash> {
  const h = createHash('sha256');
  if (bytes > 0) for await (const c of createReadStream(path, { end: bytes - 1 })) h.update(c as Buffer);
  return h;
}

/** One attempt: ask from `offset`, write chunks in order to the .part file; resolves when complete and verified. */
async function attempt(
  client: PbxlinkClient,
  agent: string,
  req: RecordingRequest,
  o: DownloadOptions,
  offset: number,
  side?: Sidecar,
): Promise<DownloadResult> {
  const out = o.output;
  const hash = await hashPrefix(`${out}.part`, offset);
  // Every transfer of the agent: the transfer id is only known from the first reply.
  const filter = `${consumerFilters(client.prefix, agent).all.slice(0, -1)}blob/+/+`;
  let meta: TransferMeta | undefined;
  let fd: number | undefined;
  let next = 0;
  let overflow = false;
  const pending = new Map<number, Buffer>();
  const early: Array<{ id: string; index: number; payload: Buffer }> = [];
  let lastActivity = Date.now();
  let finished: (() => void) | undefined;

  const write = (index: number, payload: Buffer) => {
    if (!meta || fd === undefined || index < next || overflow) return;
    if (index > next) {
      if (pending.size >= MAX_PENDING_CHUNKS) overflow = true;
      else pending.set(index, payload);
      return;
    }
    let buf: Buffer | undefined = payload;
    while (buf) {
      writeSync(fd, buf, 0, buf.length, next * meta.chunk_size);
      hash.update(buf);
      next++;
      buf = pending.get(next);
      pending.delete(next);
    }
    o.onProgress?.({
      received: Math.min(meta.size, next * meta.chunk_size),
      size: meta.size,
      name: meta.name,
    });
    if (next >= meta.chunks) finished?.();
  };
  const onMessage = (topic: string, payload: Buffer) => {
    const t = parseTopic(client.prefix, topic);
    if (t?.kind !== 'blob' || t.agent !== agent) return;
    lastActivity = Date.now();
    if (!meta) {
      if (early.length < MAX_PENDING_CHUNKS) early.push({ id: t.transferId, index: t.index, payload });
      return;
    }
    if (t.transferId === meta.transfer_id) write(t.index, payload);
  };

  // Listen to every transfer of the agent before asking: the transfer id is only known from the first reply.
  client.mqtt.on('message', onMessage);
  await client.mqtt.subscribeAsync(filter, { qos: 1 });
  const replies = await client.sendCommand(
    agent,
    'recordings.get',
    { ...req, offset },
    { ...o, timeoutMs: 24 * 3600_000 },
  );
  const idle = o.timeoutMs ?? 10_000;
  const watchdog = setInterval(
    () => {
      if (Date.now() - lastActivity > idle) void replies.close();
    },
    Math.min(1000, idle),
  );
  try {
    let done = false;
    for await (const r of replies) {
      lastActivity = Date.now();
      if ('part' in r && r.part === 1) {
        // `meta` is set only once the .part file is ready: chunks arriving meanwhile wait in `early`.
        const m = r.data as TransferMeta;
        if (m.offset !== offset || (side && (side.sha256 !== m.sha256 || side.chunk_size !== m.chunk_size))) {
          // The file changed, or the agent uses another chunk size: start again from byte 0.
          await rm(`${out}.part.json`, { force: true });
          throw new Incomplete('the recording changed since the interrupted download; starting again');
        }
        const sc: Sidecar = { request: req, sha256: m.sha256, size: m.size, chunk_size: m.chunk_size };
        await writeFile(`${out}.part.json`, JSON.stringify(sc));
        fd = openSync(`${out}.part`, offset > 0 ? 'r+' : 'w');
        ftruncateSync(fd, offset);
        next = offset / m.chunk_size;
        meta = m;
        o.onProgress?.({ received: offset, size: m.size, name: m.name });
        if (early.length >= MAX_PENDING_CHUNKS) overflow = true; // some were dropped: resume after this attempt
        for (const e of early.splice(0)) if (e.id === m.transfer_id) write(e.index, e.payload);
      } else if ('done' in r) done = true;
    }
    if (!meta || !done) throw new Incomplete('no complete reply from the agent');
    const m = meta;
    // The done reply may overtake the last chunks (other topic): wait for them while they keep coming.
    while (next < m.chunks && !overflow && Date.now() - lastActivity < idle) {
      await new Promise<void>((resolve) => {
        finished = resolve;
        setTimeout(resolve, 100);
      });
    }
    if (next < m.chunks) throw new Incomplete(`${m.chunks - next} chunks missing`);
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    const sha256 = hash.digest('hex');
    if (sha256 !== m.sha256) {
      await rm(`${out}.part`, { force: true });
      await rm(`${out}.part.json`, { force: true });
      throw new PbxlinkError('internal', `sha256 mismatch: got ${sha256}, agent said ${m.sha256}`);
    }
    await rename(`${out}.part`, out);
    await rm(`${out}.part.json`, { force: true });
    return { name: m.name, size: m.size, sha256, offsets: [offset] };
  } finally {
    clearInterval(watchdog);
    if (fd !== undefined) closeSync(fd);
    client.mqtt.off('message', onMessage);
    await replies.close().catch(() => {});
    if (client.mqtt.connected) await client.mqtt.unsubscribeAsync(filter).catch(() => {});
  }
}

/** True for failures a new attempt may cure: lost broker, silence, incomplete chunks, a busy agent. */
function retryable(e: unknown): boolean {
  if (e instanceof Incomplete || isReplyTimeout(e)) return true;
  if (e instanceof CommandFailedError) return e.code === 'busy' || e.code === 'unavailable';
  return e instanceof PbxlinkError && e.code === 'unavailable';
}

/**
 * Fetches a recording from `agent` into `opts.output`: sends `recordings.get`, writes the chunks of
 * `P/A/blob/<transfer_id>/<index>` in order to `<output>.part`, checks the sha256, renames. After a lost
 * connection, silence or missing chunks it reconnects (through `connect`) and asks again with `offset`, so only
 * the rest travels; an earlier interrupted run's .part file is resumed the same way. Memory stays bounded.
 */
export async function downloadRecording(
  connect: () => Promise<PbxlinkClient>,
  agent: string,
  request: RecordingRequest,
  opts: DownloadOptions,
): Promise<DownloadResult> {
  if ((request.name === undefined) === (request.uniqueid === undefined)) {
    throw new PbxlinkError('invalid_args', 'give exactly one of name or uniqueid');
  }
  // The seed's '/YYYY/MM/DD/file.wav' and '/file.wav' forms mean the same path without the leading '/', which
  // the wire schema (a path relative to the monitor root) requires; other absolute paths go as given and are refused.
  if (request.name !== undefined && /^\/(\d{4}\/\d{2}\/\d{2}\/)?[^/]+$/.test(request.name)) {
    request = { name: request.name.slice(1) };
  }
  const offsets: number[] = [];
  const retries = opts.retries ?? 5;
  let delay = opts.retryDelayMs ?? 1000;
  for (let n = 0; ; n++) {
    const { offset, side } = await resumePoint(opts.output, request);
    offsets.push(offset);
    let client: PbxlinkClient | undefined;
    try {
      client = await connect();
      const r = await attempt(client, agent, request, opts, offset, side);
      return { ...r, offsets };
    } catch (e) {
      if (!retryable(e) || n >= retries) throw e;
      opts.onRetry?.({ attempt: n + 1, offset, reason: (e as Error).message });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(15_000, delay * 2);
    } finally {
      if (client) await closeQuickly(client);
    }
  }
}

/** Closes a client without hanging on a dead broker (a clean close when it can, forced after 2 s). */
async function closeQuickly(client: PbxlinkClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.close().catch(() => {}), new Promise((r) => (timer = setTimeout(r, 2000)))]);
  clearTimeout(timer);
  client.mqtt.end(true);
}
