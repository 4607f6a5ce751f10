/** AMI wire helpers for the simulator: message formatting and the client→server action reader. */

/** Ordered header list, as Asterisk writes it. */
export type Fields = Array<[string, string]>;

/** One message: `Name: value\r\n` per header, then the empty line (§1: exactly one space after the colon). */
export function frame(fields: Fields): string {
  let s = '';
  for (const [k, v] of fields) s += `${k}: ${v}\r\n`;
  return `${s}\r\n`;
}

/** `ActionID` header if the request carried a non-empty one (§1 generic response layout). */
export function idField(actionId: string | undefined): Fields {
  return actionId ? [['ActionID', actionId]] : [];
}

/** Generic response: Response → ActionID → EventList → Message (§1, `astman_send_response_full`). */
export function response(
  kind: string,
  actionId: string | undefined,
  opts: { eventList?: string; message?: string; extra?: Fields } = {},
): string {
  const f: Fields = [['Response', kind], ...idField(actionId)];
  if (opts.eventList !== undefined) f.push(['EventList', opts.eventList]);
  if (opts.message !== undefined) f.push(['Message', opts.message]);
  if (opts.extra) f.push(...opts.extra);
  return frame(f);
}

/** A parsed client action: header lookup is case-insensitive, first occurrence wins (§1). */
export class ActionMessage {
  readonly lines: Array<[string, string]>;
  constructor(lines: Array<[string, string]>) {
    this.lines = lines;
  }
  /** First occurrence of `name` (case-insensitive), even if empty (GET_HEADER_FIRST_MATCH, §1). */
  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (const [k, v] of this.lines) if (k.toLowerCase() === n) return v;
    return undefined;
  }
  /** `Action:` skips empty occurrences (GET_HEADER_SKIP_EMPTY, §1). */
  action(): string {
    for (const [k, v] of this.lines) if (k.toLowerCase() === 'action' && v !== '') return v;
    return '';
  }
  /** Non-empty ActionID or undefined. */
  actionId(): string | undefined {
    const v = this.get('ActionID');
    return v ? v : undefined;
  }
  /** Headers as a lower-cased record (first occurrence wins), for test assertions. */
  toRecord(): Record<string, string> {
    const r: Record<string, string> = {};
    for (const [k, v] of this.lines) {
      const n = k.toLowerCase();
      if (!(n in r)) r[n] = v;
    }
    return r;
  }
}

/** Maximum bytes of one pending action; beyond it the reader drops the connection (bounded memory). */
export const MAX_ACTION_BYTES = 64 * 1024;

/**
 * Streaming reader of client actions: lines end in CRLF or bare LF, an empty line ends the action,
 * leading blanks of a value are skipped (§1 "Line endings (client → server)").
 */
export class ActionReader {
  private buf = '';
  private lines: Array<[string, string]> = [];

  /** Feeds bytes; returns the complete actions found, or `null` when the pending input exceeds the cap. */
  push(chunk: string): ActionMessage[] | null {
    this.buf += chunk;
    const out: ActionMessage[] = [];
    let nl = this.buf.indexOf('\n');
    while (nl >= 0) {
      let line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.lines.length > 0) out.push(new ActionMessage(this.lines));
        this.lines = [];
      } else {
        const c = line.indexOf(':');
        // A line with no colon is kept with an empty value; Asterisk ignores it as a header lookup miss.
        if (c < 0) this.lines.push([line.trim(), '']);
        else this.lines.push([line.slice(0, c).trim(), line.slice(c + 1).replace(/^[ \t]+/, '')]);
      }
      nl = this.buf.indexOf('\n');
    }
    if (this.buf.length > MAX_ACTION_BYTES || this.lines.length > 1024) return null;
    return out;
  }
}

/** `<sec>.<usec6>` as Ping and Timestamp headers print it (§1, §1.4). */
export function timestamp(ms: number): string {
  const sec = Math.floor(ms / 1000);
  const usec = Math.min(999_999, Math.round((ms - sec * 1000) * 1000));
  return `${sec}.${String(usec).padStart(6, '0')}`;
}
