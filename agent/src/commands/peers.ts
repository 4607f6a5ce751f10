import { PartPacker } from '../../../protocol/src/envelope';
import { NoArgs } from '../../../protocol/src/schemas/common';
import type { Peer } from '../state/peer-model';
import type { CommandContext, CommandHandler } from './types';

/** The live peer table (agent/src/state/peers.ts PeerState). */
export interface PeersSource {
  list(): Peer[];
}

/**
 * Sends `items` as parts `{[key]: [...]}` within ctx.maxPayloadBytes (at least one part, possibly empty, so every
 * list reply has the same shape), awaiting each part (backpressure); returns the count for the final reply.
 */
export async function sendListParts<T>(
  key: string,
  items: Iterable<T>,
  ctx: CommandContext,
): Promise<number> {
  const packer = new PartPacker<T>((batch) => ({ [key]: batch }), ctx.maxPayloadBytes);
  let count = 0;
  let sent = 0;
  for (const item of items) {
    count++;
    const full = packer.add(item);
    if (full) {
      await ctx.part({ [key]: full });
      sent++;
    }
  }
  const rest = packer.flush();
  if (rest.length > 0 || sent === 0) await ctx.part({ [key]: rest });
  return count;
}

/** `peers.list` (scope read; seed `sippeers`): every SIP/PJSIP peer from the live table, in parts of `{peers}`; done `{count}`. */
export function createPeersListCommand(source: PeersSource): CommandHandler<Record<string, never>> {
  return {
    name: 'peers.list',
    scope: 'read',
    args: NoArgs,
    timeoutMs: 30_000,
    async handle(_args, ctx): Promise<{ count: number }> {
      return { count: await sendListParts('peers', source.list(), ctx) };
    },
  };
}
