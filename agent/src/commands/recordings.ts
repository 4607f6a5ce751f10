import { RecordingsGetArgs } from '../../../protocol/src/schemas/recordings';
import { assertArgs } from '../../../protocol/src/schemas/validate';
import { PbxlinkError } from '../core/errors';
import type { Logger } from '../core/log';
import type { RecordingFile } from '../recordings/confine';
import { HashCache } from '../recordings/hash';
import { type CdrLocation, locateByName, locateByUniqueid } from '../recordings/locate';
import {
  checkOffset,
  chunkSizeFor,
  DEFAULT_WINDOW,
  newTransferId,
  sendChunks,
  TransferLimiter,
} from '../recordings/transfer';
import type { CommandHandler } from './types';

/** `recordings.get` args (protocol RecordingsGetArgs). */
export interface RecordingsGetArgsT {
  name?: string;
  uniqueid?: string;
  offset?: number;
}

/** What the recordings.get handler needs. */
export interface RecordingsCommandDeps {
  /** The monitor root (PBXLINK_MONITOR_DIR). */
  root: string;
  /** The CDR, for lookups by uniqueid; absent → uniqueid requests are `unavailable`. */
  cdr?: CdrLocation;
  /** `P/A/blob/<transfer_id>` for the metadata's `topic` (the agent's topics.blob without the index). */
  blobTopic(transferId: string): string;
  /** Shared with the push module and the watcher; one of its own when absent. */
  limiter?: TransferLimiter;
  /** Concurrent transfers when no limiter is given (config recordings.max_concurrent_transfers). Default 2. */
  maxConcurrent?: number;
  hashes?: HashCache;
  /** Preferred chunk size (bounded by ctx.maxPayloadBytes). Default 64 KiB. */
  chunkSize?: number;
  /** Chunks awaiting PUBACK at once. Default 16. */
  window?: number;
  log?: Logger;
}

/** Finds the file a recordings.get asks for (exactly one of name / uniqueid). */
export async function resolveRequest(
  deps: Pick<RecordingsCommandDeps, 'root' | 'cdr'>,
  args: RecordingsGetArgsT,
): Promise<RecordingFile> {
  if ((args.name === undefined) === (args.uniqueid === undefined)) {
    throw new PbxlinkError('invalid_args', 'give exactly one of name or uniqueid', {
      details: { arg: 'name' },
    });
  }
  if (args.name !== undefined) return await locateByName(deps.root, args.name);
  if (!deps.cdr) throw new PbxlinkError('unavailable', 'no CDR database configured for lookups by uniqueid');
  return await locateByUniqueid(deps.root, deps.cdr, args.uniqueid as string);
}

/**
 * `recordings.get` (scope recordings:read; seed getwavfile). First part: `{transfer_id, name, size, sha256,
 * chunk_size, chunks, offset, topic}`; then chunks `offset/chunk_size …` as raw bytes on `P/A/blob/<id>/<index>`
 * through ctx.publishBlob with a bounded window; final data `{transfer_id, chunks_sent, bytes_sent}`.
 * Beyond the concurrent-transfer limit: `busy`.
 */
export function createRecordingsGetCommand(deps: RecordingsCommandDeps): CommandHandler<RecordingsGetArgsT> {
  const limiter = deps.limiter ?? new TransferLimiter(deps.maxConcurrent ?? 2);
  const hashes = deps.hashes ?? new HashCache();
  return {
    name: 'recordings.get',
    scope: 'recordings:read',
    args: RecordingsGetArgs,
    timeoutMs: 60 * 60_000,
    async handle(args, ctx) {
      // Seed form '/YYYY/MM/DD/file.wav' carries a leading '/', which the wire schema's RelPath refuses; the
      // handler checks the rest itself (confine.ts) so both reach the same confinement rules.
      const forSchema = args?.name?.startsWith('/')
        ? { ...args, name: args.name.replace(/^\/+/, '') || '/' }
        : (args ?? {});
      assertArgs('recordings.get', forSchema);
      const release = limiter.acquire();
      try {
        const file = await resolveRequest(deps, args);
        const chunkSize = chunkSizeFor(ctx.maxPayloadBytes, deps.chunkSize);
        const offset = args.offset ?? 0;
        checkOffset(offset, file.size, chunkSize);
        const sha256 = await hashes.get(file, ctx.signal);
        const transferId = newTransferId();
        await ctx.part({
          transfer_id: transferId,
          name: file.rel,
          size: file.size,
          sha256,
          chunk_size: chunkSize,
          chunks: Math.ceil(file.size / chunkSize),
          offset,
          topic: deps.blobTopic(transferId),
        });
        const sent = await sendChunks({
          path: file.abs,
          size: file.size,
          offset,
          chunkSize,
          transferId,
          window: deps.window ?? DEFAULT_WINDOW,
          publish: (id, i, b) => ctx.publishBlob(id, i, b),
          signal: ctx.signal,
        });
        deps.log?.info(
          { name: file.rel, transfer_id: transferId, offset, bytes: sent.bytes_sent },
          'recording sent',
        );
        return { transfer_id: transferId, ...sent };
      } finally {
        release();
      }
    },
  };
}
