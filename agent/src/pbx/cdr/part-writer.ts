import { gzipSync } from 'node:zlib';
import { PbxlinkError } from '../../core/errors';

/**
 * UTF-8 byte length of JSON.stringify(s), counted in one pass over its UTF-16 code units (no regex, no text built):
 * `"` and `\\` and \b \t \n \f \r take 2 bytes, other control characters and lone surrogates `\\uXXXX` (6),
 * a surrogate pair 4, other code units 1 to 3 bytes; plus the 2 quotes.
 */
export function stringJsonSize(s: string): number {
  let n = s.length + 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      if (c === 0x22 || c === 0x5c) n++;
    } else if (c < 0x20) {
      n += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 1 : 5;
    } else if (c < 0x80) {
      // DEL is written as is
    } else if (c < 0x800) {
      n += 1;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // 2 code units, 4 bytes
        i++;
      } else n += 5;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      n += 5;
    } else {
      n += 2;
    }
  }
  return n;
}

function valueSize(v: unknown): number {
  if (typeof v === 'string') return stringJsonSize(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v).length : 4;
  if (v === null || v === undefined) return 4;
  if (typeof v === 'boolean') return v ? 4 : 5;
  return Buffer.byteLength(JSON.stringify(v) ?? 'null');
}

/** UTF-8 byte length of JSON.stringify(row) for a flat row (object of scalars or array), without building the text. */
export function rowJsonSize(row: unknown): number {
  if (Array.isArray(row)) {
    let n = 1 + Math.max(0, row.length - 1) + 1;
    for (const v of row) n += valueSize(v);
    return n;
  }
  if (row === null || typeof row !== 'object') return valueSize(row);
  let n = 2;
  let first = true;
  for (const k in row as Record<string, unknown>) {
    const v = (row as Record<string, unknown>)[k];
    if (v === undefined) continue;
    n += (first ? 0 : 1) + valueSize(k) + 1 + valueSize(v);
    first = false;
  }
  return n;
}

/**
 * rowJsonSize for rows known to be objects holding exactly `columns` (what the driver builds for our SELECT of
 * those columns), with the keys' share (`"key":` and the separators) computed once; any other row is measured by
 * rowJsonSize.
 */
export function objectRowSizer(columns: readonly string[]): (row: unknown) => number {
  let fixed = 2 + Math.max(0, columns.length - 1);
  for (const c of columns) fixed += stringJsonSize(c) + 1;
  return (row) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) return rowJsonSize(row);
    const r = row as Record<string, unknown>;
    let n = fixed;
    let count = 0;
    for (const c of columns) {
      const v = r[c];
      if (v === undefined) return rowJsonSize(row);
      n += typeof v === 'string' ? stringJsonSize(v) : valueSize(v);
    }
    for (const _ in r) count++;
    return count === columns.length ? n : rowJsonSize(row);
  };
}

/** Where parts go: CommandContext.part and its size limit (the reply envelope is already accounted for). */
export interface PartSink {
  readonly maxPayloadBytes: number;
  part(data: unknown): Promise<void>;
}

/** How rows go on the wire (DESIGN.md cdr.query): objects, or arrays with the column names once per part; optional gzip. */
export interface PartFormat {
  format: 'objects' | 'rows';
  compress: boolean;
  /** Column names (required for format 'rows'). */
  columns: readonly string[];
}

/**
 * Packs rows into parts whose JSON `data` stays within sink.maxPayloadBytes, measuring each row's JSON byte
 * length as it comes (bounded memory: the part being filled plus `window` unacknowledged ones). With compress, the JSON rows array is gzipped
 * and base64-encoded (`encoding: 'gzip+base64'`); CDR rows are repetitive, so a part carries several times
 * more rows — fewer, smaller messages, at the cost of CPU on both sides.
 */
export class CdrPartWriter {
  /** Rows held for the next part: objects/arrays (plain) or their JSON text (compressed). */
  private pieces: unknown[] = [];
  private bytes = 0;
  private readonly base: number;
  private readonly limit: number;
  /** Compressed/raw size ratio seen so far (starts pessimistic), to size the next raw batch. */
  private ratio = 0.35;
  /** Parts handed to the sink and not yet acknowledged (oldest first). */
  private readonly inflight: Promise<void>[] = [];
  /** Parts sent so far. */
  parts = 0;
  /** Payload bytes of the parts' data (after compression). */
  sentBytes = 0;
  /** Raw JSON bytes of the rows (before compression). */
  rawBytes = 0;
  /** Reused buffer of the raw JSON of a compressed part (see packRaw). */
  private rawBuf: Buffer | undefined;
  /** JSON byte size of one plain row. */
  private readonly size: (row: unknown) => number;
  /** Time spent waiting for acknowledgements with the window full (by `monotonic`; 0 without it). */
  ackWaitMs = 0;

  constructor(
    private readonly sink: PartSink,
    private readonly fmt: PartFormat,
    /** Parts that may await their acknowledgement at once: hides the broker round trip, memory stays ≤ window parts. */
    private readonly window = 4,
    /** Monotonic milliseconds (Clock.monotonic), to measure ackWaitMs. */
    private readonly monotonic: () => number = () => 0,
  ) {
    this.limit = sink.maxPayloadBytes;
    this.size =
      fmt.format === 'objects' && fmt.columns.length > 0 ? objectRowSizer(fmt.columns) : rowJsonSize;
    this.base = Buffer.byteLength(JSON.stringify(this.wrap(fmt.compress ? '' : [])));
    if (this.base + 64 > this.limit) {
      throw new PbxlinkError('internal', `maxPayloadBytes ${this.limit} leaves no room for CDR rows`);
    }
  }

  private wrap(rows: unknown): Record<string, unknown> {
    const data: Record<string, unknown> = { rows };
    if (this.fmt.format === 'rows') data.columns = this.fmt.columns;
    if (this.fmt.compress) data.encoding = 'gzip+base64';
    return data;
  }

  /** Raw JSON bytes to collect before compressing one part, from the ratio seen so far. */
  private rawBudget(): number {
    const room = this.limit - this.base;
    return Math.max(room, Math.min(room * 8, Math.floor((room / this.ratio) * 0.9)));
  }

  /** Adds one row (an object, or an array in `columns` order). Returns a promise only when a part had to be
   * sent first (and the window of unacknowledged parts is full): callers await it, which pauses the reading. */
  add(row: unknown): void | Promise<void> {
    // plain parts: the size is computed (no JSON text built twice); gzip needs the text anyway
    const json = this.fmt.compress ? JSON.stringify(row) : '';
    const size = this.fmt.compress ? Buffer.byteLength(json) : this.size(row);
    this.rawBytes += size;
    const extra = size + (this.pieces.length > 0 ? 1 : 0);
    let full = false;
    if (!this.fmt.compress) {
      if (this.base + size > this.limit) {
        throw new PbxlinkError(
          'internal',
          `one CDR row of ${size} bytes exceeds the ${this.limit}-byte part limit`,
        );
      }
      full = this.base + this.bytes + extra > this.limit;
    } else {
      full = this.bytes + extra > this.rawBudget() && this.pieces.length > 0;
    }
    if (!full) {
      this.bytes += extra;
      this.pieces.push(this.fmt.compress ? json : row);
      return;
    }
    return this.flushThenAdd(json, size, row);
  }

  private async flushThenAdd(json: string, size: number, row: unknown): Promise<void> {
    await this.flushBatch();
    this.bytes = size;
    this.pieces.push(this.fmt.compress ? json : row);
  }

  /** Sends the buffered rows as part(s); waits only while `window` parts are unacknowledged. */
  private async flushBatch(): Promise<void> {
    const pieces = this.pieces;
    const bytes = this.bytes;
    this.pieces = [];
    this.bytes = 0;
    if (pieces.length === 0) return;
    if (this.fmt.compress) await this.sendCompressed(pieces as string[]);
    else await this.send(this.wrap(pieces), this.base + bytes);
  }

  /** Sends what is buffered and waits until every part is acknowledged. */
  async flush(): Promise<void> {
    await this.flushBatch();
    while (this.inflight.length > 0) await this.inflight.shift();
  }

  /**
   * `[piece,piece,…]` as UTF-8 in one buffer reused for every part of the query (grown when needed): joining the
   * pieces into a string and copying it into a fresh Buffer made two raw-size objects per part (hundreds of KB, so
   * allocated straight in V8's large-object space and freed only by full GCs), which raised peak RSS.
   */
  private packRaw(pieces: readonly string[]): Buffer {
    let need = 2;
    for (const p of pieces) need += p.length * 3 + 1; // UTF-8 bound of a UTF-16 string
    if (!this.rawBuf || this.rawBuf.length < need) {
      this.rawBuf = Buffer.allocUnsafe(Math.max(need, (this.rawBuf?.length ?? 0) * 2));
    }
    const buf = this.rawBuf;
    let off = 0;
    buf[off++] = 0x5b; // [
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) buf[off++] = 0x2c; // ,
      off += buf.write(pieces[i] as string, off, 'utf8');
    }
    buf[off++] = 0x5d; // ]
    return buf.subarray(0, off);
  }

  private async sendCompressed(pieces: string[]): Promise<void> {
    const raw = this.packRaw(pieces);
    // Synchronous on purpose: one batch (≤ 8 parts of raw JSON) at a time on the main thread, so zlib's buffers
    // are not spread over the libuv pool threads' malloc arenas (higher peak RSS with async gzip in bench cdr-query).
    const b64 = gzipSync(raw, { level: 1 }).toString('base64'); // fastest level: CPU is the limit
    this.ratio = Math.max(0.02, b64.length / raw.length);
    if (this.base + b64.length > this.limit) {
      if (pieces.length === 1) {
        throw new PbxlinkError(
          'internal',
          `one CDR row compresses to ${b64.length} bytes, over the ${this.limit}-byte part limit`,
        );
      }
      const half = Math.ceil(pieces.length / 2);
      await this.sendCompressed(pieces.slice(0, half));
      await this.sendCompressed(pieces.slice(half));
      return;
    }
    await this.send(this.wrap(b64), this.base + b64.length);
  }

  /** Hands a part to the sink in order; keeps at most `window` of them unacknowledged (bounded memory). */
  private async send(data: Record<string, unknown>, bytes: number): Promise<void> {
    this.parts++;
    this.sentBytes += bytes;
    const acked = this.sink.part(data);
    acked.catch(() => {}); // observed when awaited below; never an unhandled rejection meanwhile
    this.inflight.push(acked);
    if (this.inflight.length < this.window) return;
    const t0 = this.monotonic();
    while (this.inflight.length >= this.window) await this.inflight.shift();
    this.ackWaitMs += this.monotonic() - t0;
  }
}
