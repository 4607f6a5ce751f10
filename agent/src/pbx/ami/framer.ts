import { StringDecoder } from 'node:string_decoder';
import { PbxlinkError } from '../../core/errors';
import type { AmiMessage } from './types';

/** Where the framer delivers what it read. */
export interface FramerHandlers {
  /** One complete response or event. */
  message(msg: AmiMessage): void;
  /** The `Asterisk Call Manager/x.y.z` line sent on connect (reference §0.3); `version` is `x.y.z`. */
  greeting?(version: string): void;
  /** A message grew past the cap (its bytes were dropped); the stream resynchronises by itself. */
  error?(err: PbxlinkError): void;
}

/** Framer settings. */
export interface FramerOptions {
  /** Largest message (or line) kept, counted in decoded characters (never more than bytes); more is dropped
   * and reported once. Default 1 MiB. */
  maxMessageBytes?: number;
  /** When set, events whose name it rejects are skipped after reading only `Event:` (responses are always read). */
  wantEvent?: (name: string) => boolean;
}

const GREETING = 'Asterisk Call Manager/';
const END_COMMAND = '--END COMMAND--';
const NAME_CACHE_MAX = 4096;

enum St {
  Idle,
  Headers,
  FollowsHead,
  FollowsBody,
  FollowsEnd,
  Skip,
  Discard,
}

/**
 * A fresh copy of `s`: a V8 substring of 13+ chars is a slice that pins its parent (the decoded 64 KB chunk);
 * the cons-then-slice forces a flat copy of just these characters (issue 3: 338 MB vs 53 MB RSS).
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}

/**
 * Streaming AMI framer: bytes in, messages out. Pure (no I/O, no timers). Lines end in CRLF or bare LF (§1);
 * bytes are decoded as UTF-8 with U+FFFD for invalid sequences (never throws; §15: caller ids in legacy
 * encodings), since Asterisk and FreePBX store UTF-8 and latin1 would garble every valid non-ASCII name.
 */
export class AmiFramer {
  private readonly decoder = new StringDecoder('utf8');
  private readonly cap: number;
  private readonly names = new Map<string, string>();
  private tail = '';
  private st: St = St.Idle;
  private size = 0;
  private kind: 'event' | 'response' = 'event';
  private name = '';
  private headers: Record<string, string> = {};
  private repeated: Record<string, string[]> | undefined;
  private output: string[] | undefined;

  constructor(
    private readonly handlers: FramerHandlers,
    private readonly opts: FramerOptions = {},
  ) {
    this.cap = opts.maxMessageBytes ?? 1024 * 1024;
  }

  /** Bytes held for a message in progress (the unfinished line plus the current message), for tests. */
  get buffered(): number {
    return this.tail.length + this.size;
  }

  /** Feeds one chunk; emits every message it completes. */
  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const s = this.tail.length === 0 ? text : this.tail + text;
    const names = this.names;
    const cap = this.cap;
    let pos = 0;
    let h = this.st === St.Headers ? this.headers : undefined;
    for (;;) {
      const nl = s.indexOf('\n', pos);
      if (nl < 0) break;
      const crlf = nl > pos && s.charCodeAt(nl - 1) === 13;
      const b = crlf ? nl - 1 : nl;
      // Fast path: an ordinary `Name: value` line inside an event or response (h set only in that state).
      if (h !== undefined && b > pos && this.size + nl + 1 - pos <= cap) {
        const colon = s.indexOf(':', pos);
        if (colon >= 0 && colon < b) {
          const key = names.get(s.slice(pos, colon));
          if (key !== undefined && key !== 'event' && key !== 'response' && key !== 'output') {
            const vs = colon + 1 < b && s.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1;
            const value = b - vs < 13 ? s.slice(vs, b) : ` ${s.slice(vs, b)}`.slice(1);
            if (h[key] === undefined) h[key] = value;
            else this.header(key, value);
            this.size += nl + 1 - pos;
            pos = nl + 1;
            continue;
          }
        }
      }
      this.line(s, pos, b, crlf, nl + 1 - pos);
      h = this.st === St.Headers ? this.headers : undefined;
      pos = nl + 1;
    }
    if (pos === s.length) this.tail = '';
    else if (s.length - pos > this.cap) {
      // A line that never ends: drop it and everything up to the next line end (bounded memory).
      this.overflow();
      this.tail = '';
    } else this.tail = pos === 0 ? s : s.slice(pos);
  }

  /** The stream ended: a message without its closing empty line is still delivered (§15). */
  end(): void {
    const rest = this.decoder.end();
    if (rest) this.push(rest);
    if (this.tail.length > 0) this.push('\n');
    this.finish();
    this.st = St.Idle;
  }

  /** Forgets everything buffered (a new connection). */
  reset(): void {
    this.decoder.end();
    this.tail = '';
    this.st = St.Idle;
    this.clear();
  }

  private line(s: string, a: number, b: number, crlf: boolean, bytes: number): void {
    let st = this.st;
    if (st !== St.Idle && st !== St.Skip && st !== St.Discard) {
      this.size += bytes;
      if (this.size > this.cap) {
        this.overflow();
        st = St.Discard;
      }
    }
    if (a === b) {
      // An empty line ends a message, except inside a 1.8–13 Command body (§2.1, §15).
      if (st === St.FollowsHead) this.st = St.FollowsBody;
      else if (st === St.FollowsBody) this.bodyLine('');
      else {
        this.finish();
        this.st = St.Idle;
      }
      return;
    }
    if (st === St.FollowsBody) {
      // Body lines end in bare LF; a CRLF line starting a message means the marker never came (§15).
      if (!crlf || !this.startsMessage(s, a)) {
        this.bodyLine(s.slice(a, b));
        return;
      }
    }
    if (st === St.Skip || st === St.Discard) {
      if (!this.startsMessage(s, a)) return;
    }
    const colon = s.indexOf(':', a);
    if (colon < 0 || colon >= b) {
      if (st === St.Idle && s.startsWith(GREETING, a))
        this.handlers.greeting?.(ownString(s.slice(a + GREETING.length, b)));
      else if (st === St.FollowsHead) {
        this.st = St.FollowsBody;
        this.bodyLine(s.slice(a, b));
      }
      return;
    }
    const raw = s.slice(a, colon);
    let key = this.names.get(raw);
    if (key === undefined) key = this.intern(raw);
    // Exactly one space follows the colon (§1); an empty value may come without it (§15).
    const vs = colon + 1 < b && s.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1;
    if (key === 'event' || key === 'response') {
      this.finish();
      this.begin(key, s.slice(vs, b));
      return;
    }
    switch (st) {
      case St.Headers:
        this.header(key, ownString(s.slice(vs, b)));
        return;
      case St.FollowsHead:
        // Only Privilege and ActionID precede the raw text (§2.1); anything else is already output.
        if (crlf && (key === 'actionid' || key === 'privilege')) this.header(key, ownString(s.slice(vs, b)));
        else {
          this.st = St.FollowsBody;
          this.bodyLine(s.slice(a, b));
        }
        return;
      case St.FollowsEnd:
        return;
      default:
        // Idle: header lines outside any message (garbage, or a message whose start was dropped) are ignored.
        return;
    }
  }

  private startsMessage(s: string, a: number): boolean {
    const c = s.charCodeAt(a) | 32;
    if (c !== 101 && c !== 114) return false;
    const colon = s.indexOf(':', a);
    if (colon < 0 || colon - a > 8) return false;
    const n = s.slice(a, colon).toLowerCase();
    return n === 'event' || n === 'response';
  }

  private begin(key: 'event' | 'response', value: string): void {
    if (key === 'event' && this.opts.wantEvent && !this.opts.wantEvent(value)) {
      this.st = St.Skip;
      return;
    }
    const name = ownString(value);
    this.kind = key;
    this.name = name;
    const h: Record<string, string> = {};
    h[key] = name;
    this.headers = h;
    this.st = key === 'response' && name === 'Follows' ? St.FollowsHead : St.Headers;
  }

  private header(key: string, value: string): void {
    const h = this.headers;
    const first = h[key];
    if (key === 'output') this.out().push(value);
    if (first === undefined) {
      h[key] = value;
      return;
    }
    // First occurrence wins (§1); all occurrences are kept in order in `repeated`.
    this.repeated ??= {};
    const list = this.repeated[key];
    if (list) list.push(value);
    else this.repeated[key] = [first, value];
  }

  private bodyLine(text: string): void {
    if (text.endsWith(END_COMMAND)) {
      // The marker may be glued to the last line when the output lacks a final newline (§2.1).
      const out = this.out();
      if (text.length > END_COMMAND.length) out.push(ownString(text.slice(0, -END_COMMAND.length)));
      this.st = St.FollowsEnd;
      return;
    }
    this.out().push(ownString(text));
  }

  private out(): string[] {
    if (!this.output) this.output = [];
    return this.output;
  }

  private finish(): void {
    const st = this.st;
    if (st === St.Headers || st === St.FollowsHead || st === St.FollowsBody || st === St.FollowsEnd) {
      const msg: { -readonly [K in keyof AmiMessage]: AmiMessage[K] } = {
        kind: this.kind,
        name: this.name,
        headers: this.headers,
      };
      if (this.repeated) msg.repeated = this.repeated;
      if (this.output || st !== St.Headers) msg.output = this.output ?? [];
      this.clear();
      this.handlers.message(msg);
    } else this.clear();
  }

  private clear(): void {
    this.size = 0;
    this.headers = {};
    this.repeated = undefined;
    this.output = undefined;
  }

  private overflow(): void {
    this.clear();
    if (this.st === St.Discard) return;
    this.st = St.Discard;
    this.handlers.error?.(
      new PbxlinkError('unavailable', `AMI message larger than ${this.cap} bytes; dropped`, {
        retryable: true,
      }),
    );
  }

  private intern(raw: string): string {
    let key = raw.trim().toLowerCase();
    // A hostile `__proto__`/`constructor` header must not clash with a plain object's prototype members.
    if (Object.hasOwn(Object.prototype, key)) key = `_${key}`;
    // Property keys used as object keys are internalized once here, so each header store is a plain IC hit.
    key = Object.keys({ [key]: 0 })[0] ?? key;
    if (this.names.size < NAME_CACHE_MAX) this.names.set(ownString(raw), key);
    return key;
  }
}
