import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CallEndedEvent } from '../../protocol/src/schemas/calls';

const callEnded = TypeCompiler.Compile(CallEndedEvent);

/** Problems of a call.ended payload against the protocol schema (empty when valid). */
export function validateCallEnded(data: unknown): string[] {
  return [...callEnded.Errors(data)].map((e) => `${e.path}: ${e.message}`);
}
