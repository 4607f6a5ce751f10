import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import type { CommandContext } from '../../../agent/src/commands/types';
import { RawJson } from '../../../agent/src/core/raw-json';

/** A part as the test sees it: the data sent, its JSON byte size, and its rows decoded (gunzipped when compressed). */
export interface CollectedPart {
  data: Record<string, unknown>;
  bytes: number;
  rows: unknown[];
}

/** A CommandContext whose part() records every part (or only counts rows when keepRows is false). */
export interface CollectingContext extends CommandContext {
  parts: CollectedPart[];
  rowCount: number;
  maxPartBytes: number;
  abort(): void;
}

/** Decodes one cdr.query part's rows: gzip+base64 text or plain array. */
export function decodeRows(data: Record<string, unknown>): unknown[] {
  if (data.encoding === 'gzip+base64') {
    return JSON.parse(gunzipSync(Buffer.from(String(data.rows), 'base64')).toString('utf8')) as unknown[];
  }
  return data.rows as unknown[];
}

/** Rows of every part as objects (format 'rows' is zipped with its per-part columns). */
export function rowsAsObjects(parts: CollectedPart[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const p of parts) {
    const cols = p.data.columns as string[] | undefined;
    for (const r of p.rows) {
      if (cols) out.push(Object.fromEntries(cols.map((c, i) => [c, (r as unknown[])[i]])));
      else out.push(r as Record<string, unknown>);
    }
  }
  return out;
}

/** Builds the context a command router would give, collecting parts; `delayMs` makes a slow consumer. */
export function collectingContext(
  opts: { maxPayloadBytes?: number; delayMs?: number; keepRows?: boolean; scopes?: string[] } = {},
): CollectingContext {
  const ac = new AbortController();
  const ctx: CollectingContext = {
    log: pino({ level: 'silent' }),
    caller: { kid: 'test', scopes: ['cdr:read'] },
    id: `jti-${Math.random().toString(36).slice(2)}`,
    signal: ac.signal,
    maxPayloadBytes: opts.maxPayloadBytes ?? 96 * 1024 - 256,
    parts: [],
    rowCount: 0,
    maxPartBytes: 0,
    abort: () => ac.abort(new Error('test abort')),
    async part(data: unknown) {
      // what the router would put in the reply: a RawJson's text as is, anything else stringified
      const text = data instanceof RawJson ? data.toString() : JSON.stringify(data);
      const bytes = Buffer.byteLength(text);
      ctx.maxPartBytes = Math.max(ctx.maxPartBytes, bytes);
      const d = JSON.parse(text) as Record<string, unknown>;
      const rows = decodeRows(d);
      ctx.rowCount += rows.length;
      if (opts.keepRows !== false) ctx.parts.push({ data: d, bytes, rows });
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    },
    async publishBlob() {
      throw new Error('cdr.query publishes no blobs');
    },
  };
  return ctx;
}
