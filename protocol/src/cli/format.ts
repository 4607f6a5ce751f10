import type { TailMessage } from '../client/tail';

/** Longest summary printed on one tail line (characters). */
export const MAX_SUMMARY = 160;

function short(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.length}]`;
  if (typeof v === 'object') return '{…}';
  const s = typeof v === 'string' ? (/^[^\s=]{1,40}$/.test(v) ? v : JSON.stringify(v)) : String(v);
  return s.length > 48 ? `${s.slice(0, 47)}…` : s;
}

/** `k=v k2=[3] k3={…}`: a one-line summary of an object's fields, bounded to MAX_SUMMARY characters. */
export function summarize(data: unknown, skip: readonly string[] = []): string {
  if (data === undefined) return '';
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return short(data);
  let out = '';
  for (const [k, v] of Object.entries(data)) {
    if (skip.includes(k)) continue;
    const piece = `${k}=${short(v)}`;
    if (out.length + piece.length + 1 > MAX_SUMMARY) return `${out} …`;
    out = out ? `${out} ${piece}` : piece;
  }
  return out;
}

function clock(ts: unknown, now: number): string {
  const d = typeof ts === 'string' && !Number.isNaN(Date.parse(ts)) ? new Date(ts) : new Date(now);
  return d.toISOString().slice(11, 23);
}

// Strip control characters so a hostile payload cannot drive the terminal.
function clean(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** One readable line for a message seen by `pbxctl tail`: time, agent, topic kind, type, seq, short data summary. */
export function formatTailLine(m: TailMessage, now: number): string {
  const p = m.parsed;
  const j = (typeof m.json === 'object' && m.json !== null ? m.json : {}) as Record<string, unknown>;
  const retained = m.retain ? ' (retained)' : '';
  if (!p) return clean(`${clock(undefined, now)} ${m.topic} ${m.payload.length} bytes${retained}`);
  const head = `${clock(j.ts ?? j.started_at, now)} ${p.agent}`;
  let line: string;
  switch (p.kind) {
    case 'status':
      line = `${head} status ${j.online === true ? 'online' : j.online === false ? 'offline' : '?'} ${summarize(j, ['online', 'agent'])}`;
      break;
    case 'state':
    case 'event': {
      const name = p.kind === 'state' ? `state/${p.name}` : `events/${p.type}`;
      const seq = typeof j.seq === 'number' ? ` seq=${j.seq}` : '';
      const body = m.json === undefined ? `${m.payload.length} bytes, not JSON` : summarize(j.data ?? j);
      line = `${head} ${name}${seq} ${body}`;
      break;
    }
    case 'cmd':
      line = `${head} cmd signed command, ${m.payload.length} bytes`;
      break;
    case 'reply': {
      const what =
        j.ok === false
          ? `error ${summarize(j.error)}`
          : `ok${typeof j.part === 'number' ? ` part=${j.part}` : ''}${j.done === true ? ' done' : ''}`;
      line = `${head} reply/${p.suffix} id=${short(j.id)} ${what}`;
      break;
    }
    case 'blob':
      line = `${head} blob/${p.transferId}/${p.index} ${m.payload.length} bytes`;
      break;
  }
  return clean(`${line.trimEnd()}${retained}`);
}

/** One JSON object per message for `pbxctl tail --json`. */
export function formatTailJson(m: TailMessage): string {
  const p = m.parsed;
  return JSON.stringify({
    topic: m.topic,
    kind: p?.kind ?? null,
    agent: p?.agent ?? null,
    ...(p?.kind === 'state' ? { name: p.name } : {}),
    ...(p?.kind === 'event' ? { type: p.type } : {}),
    retained: m.retain,
    bytes: m.payload.length,
    payload: m.json ?? null,
  });
}
