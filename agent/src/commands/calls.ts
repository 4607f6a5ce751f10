import { NoArgs } from '../../../protocol/src/schemas/common';
import type { CallView } from '../state/call-model';
import { sendListParts } from './peers';
import type { CommandHandler } from './types';

/** The live calls (agent/src/state/calls.ts CallState). */
export interface CallsSource {
  /** Live calls with application/data refreshed from CoreShowChannels. */
  listFresh(): Promise<CallView[]>;
}

/** `calls.list` (scope read; seed `activecall`): live calls, refreshed from AMI now, in parts of `{calls}`; done `{count}`. */
export function createCallsListCommand(source: CallsSource): CommandHandler<Record<string, never>> {
  return {
    name: 'calls.list',
    scope: 'read',
    args: NoArgs,
    timeoutMs: 30_000,
    async handle(_args, ctx): Promise<{ count: number }> {
      const calls = await source.listFresh();
      ctx.signal.throwIfAborted();
      return { count: await sendListParts('calls', calls, ctx) };
    },
  };
}
