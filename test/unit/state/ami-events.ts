import type { AmiMessage } from '../../../agent/src/pbx/ami/types';

/** An event as the AMI client hands it over: header names lower-cased (types.ts), values as sent. */
export function ev(name: string, fields: Record<string, string>): AmiMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) headers[k.toLowerCase()] = v;
  return { kind: 'event', name, headers };
}
