import { gzipSync, type ZlibOptions } from 'node:zlib';
import { PbxlinkError } from '../../core/errors';
import { RawJson } from '../../core/raw-json';

/** gzip of compressed parts: level 1 (CPU is the limit), memLevel 9 (~10% faster than 8 on CDR JSON, same size). */
const GZIP_OPTIONS: ZlibOptions = { level: 1, memLevel: 9 };

/** Bytes left free before and after a plain part's data in its buffer: room for the reply envelope
 * (`{"v":1,"id":…,"ok":true,"part":n,"data":` with an id of up to 128 characters, escaped) and its `}`. */
const ROOM_BEFORE = 1024;
const ROOM_AFTER = 1;

/** The room a part's JSON has around it in its buffer (RawJson.room), wherever the part is copied to. */
export const PART_ROOM = { before: ROOM_BEFORE, after: ROOM_AFTER } as const;

/** One row as the writer takes it (a JsonRow of freepbx/json-rows): it writes its JSON where it is asked to. */
export interface PartRow {
  /** Most bytes writeInto may write. */
  maxBytes(): number;
  /** Writes the row's JSON at out[o…] (room for maxBytes()); returns where it ends. */
  writeInto(out: Buffer, o: number): number;
}

/** Where parts go: CommandContext.part and its size limit (the reply envelope is already accounted for). */
export interface PartSink {
  readonly maxPayloadBytes: number;
  part(data: RawJson): Promise<void>;
}

/** How rows go on the wire (DESIGN.md cdr.query): objects, or arrays with the column names once per part; optional gzip. */
export interface PartFormat {
  format: 'objects' | 'rows';
  compress: boolean;
  /** Column names (required for format 'rows'). */
  columns: readonly string[];
}

/**
 * Packs rows (JSON text with its byte length) into parts whose JSON `data` stays within sink.maxPayloadBytes
 * (bounded memory: the part being filled plus `window` unacknowledged ones). The part's data is built as UTF-8
 * bytes (RawJson) — `{"rows":[…],"columns":[…]}`, each row written into the part's buffer as it comes — so no row
 * is parsed, stringified or joined again. With compress, the JSON rows array is gzipped and base64-encoded
 * (`encoding: 'gzip+base64'`); CDR rows are repetitive, so a part carries several times more rows — fewer,
 * smaller messages, at the cost of CPU on both sides.
 */
export class CdrPartWriter {
  /** Compressed parts: `[row,row,…` as UTF-8 in one buffer reused for every part of the query (grown when needed),
   * and where each row starts in it. Rows are copied in as they come (no text held per row: held text outlives
   * V8's young generation and piles up in the old one until a full GC — 100 MB peaks in bench cdr-query). */
  private rawBuf: Buffer | undefined;
  private rawOff = 0;
  private starts: number[] = [];
  /** Plain parts: the part being filled (`{"rows":[` and the rows so far), and the bytes written in it. */
  private partBuf: Buffer | undefined;
  private off = 0;
  /** A row that may not fit where it goes, or that starts the next part while the full one is sent. */
  private scratch: Buffer | undefined;
  /** Part buffers whose part was acknowledged, for the next parts (at most window + 1 are ever allocated). */
  private readonly spare: Buffer[] = [];
  /** Rows held for the next part, and their JSON bytes with the commas between them. */
  private count = 0;
  private bytes = 0;
  /** Bytes of the part's data without its rows. */
  private readonly base: number;
  private readonly limit: number;
  /** `,"columns":[…]` (format rows), `,"encoding":…` (compress), `}`: what follows the rows in a part's data. */
  private readonly tail: string;
  /** Compressed/raw size ratio seen so far (starts pessimistic), to size the next raw batch. */
  private ratio = 0.35;
  /** Parts handed to the sink and not yet acknowledged (oldest first). */
  private readonly inflight: Promise<void>[] = [];
  /** Parts sent so far. */
  parts = 0;
  /** Payload bytes of the parts' data (after compression). */
  sentBytes = 0;
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
    this.tail =
      (fmt.format === 'rows' ? `,"columns":${JSON.stringify(fmt.columns)}` : '') +
      (fmt.compress ? ',"encoding":"gzip+base64"}' : '}');
    this.base = Buffer.byteLength(`{"rows":${fmt.compress ? '""' : '[]'}${this.tail}`);
    if (this.base + 64 > this.limit) {
      throw new PbxlinkError('internal', `maxPayloadBytes ${this.limit} leaves no room for CDR rows`);
    }
  }

  /** Raw JSON bytes to collect before compressing one part, from the ratio seen so far. */
  private rawBudget(): number {
    const room = this.limit - this.base;
    return Math.max(room, Math.min(room * 8, Math.floor((room / this.ratio) * 0.9)));
  }

  /** Adds one row (JSON of an object, or of an array in `columns` order). Returns a promise only when a part had
   * to be sent first (and the window of unacknowledged parts is full): callers await it, which pauses the reading. */
  add(row: PartRow): void | Promise<void> {
    return this.fmt.compress ? this.addRaw(row) : this.addPlain(row);
  }

  /** Plain parts: the row's JSON is written into the part being filled, where it belongs (into the scratch buffer
   * first only when the part's buffer might not hold it, near its end). */
  private addPlain(row: PartRow): void | Promise<void> {
    const buf = this.partBuf ?? this.startPart();
    const sep = this.count > 0 ? 1 : 0;
    const at = this.off + sep;
    const max = row.maxBytes();
    let size: number;
    let scratch: Buffer | undefined;
    if (at + max <= buf.length - ROOM_AFTER) {
      size = row.writeInto(buf, at) - at;
    } else {
      scratch = this.scratchFor(max);
      size = row.writeInto(scratch, 0);
    }
    if (this.base + size > this.limit) {
      throw new PbxlinkError(
        'internal',
        `one CDR row of ${size} bytes exceeds the ${this.limit}-byte part limit`,
      );
    }
    if (this.base + this.bytes + sep + size > this.limit) {
      // the part is full: it goes out first, and this row starts the next one
      if (!scratch) {
        scratch = this.scratchFor(size);
        buf.copy(scratch, 0, at, at + size);
      }
      return this.flushThenPlace(scratch, size);
    }
    if (scratch) scratch.copy(buf, at, 0, size);
    if (sep) buf[this.off] = 0x2c; // ,
    this.off = at + size;
    this.bytes += sep + size;
    this.count++;
  }

  /** Sends the full part, then starts the next one with the row held in `from`. */
  private async flushThenPlace(from: Buffer, size: number): Promise<void> {
    await this.flushBatch();
    const buf = this.startPart();
    from.copy(buf, this.off, 0, size);
    this.off += size;
    this.bytes = size;
    this.count = 1;
  }

  /** A buffer for one part with room for the envelope around it: one whose part was acknowledged, or a new one. */
  private partBuffer(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(ROOM_BEFORE + this.limit + ROOM_AFTER);
  }

  /** A part buffer with `{"rows":[` written, ready for rows. */
  private startPart(): Buffer {
    const buf = this.partBuffer();
    this.partBuf = buf;
    this.off = ROOM_BEFORE + buf.write('{"rows":[', ROOM_BEFORE, 'latin1');
    return buf;
  }

  /** The scratch buffer, with at least `bytes` (one per writer, grown when needed). */
  private scratchFor(bytes: number): Buffer {
    if (!this.scratch || this.scratch.length < bytes) {
      this.scratch = Buffer.allocUnsafe(Math.max(bytes, 16 * 1024));
    }
    return this.scratch;
  }

  /** Compressed parts: the row's JSON is written at the end of the raw buffer, after a separator's place. */
  private addRaw(row: PartRow): void | Promise<void> {
    const at = this.rawOff + 1;
    const raw = this.rawRoom(at + row.maxBytes() + 1); // `]` may follow
    const size = row.writeInto(raw, at) - at;
    const extra = size + (this.count > 0 ? 1 : 0);
    if (this.count > 0 && this.bytes + extra > this.rawBudget()) return this.flushRawThenPlace(at, size);
    raw[this.rawOff] = this.count > 0 ? 0x2c : 0x5b; // , or [
    this.starts.push(at);
    this.rawOff = at + size;
    this.bytes += extra;
    this.count++;
  }

  /** Sends the batch held before the row at raw[at, at + size) (which stays as it is), then moves the row to the
   * start of the next batch. */
  private async flushRawThenPlace(at: number, size: number): Promise<void> {
    await this.flushBatch();
    const raw = this.rawBuf as Buffer;
    raw.copyWithin(1, at, at + size);
    raw[0] = 0x5b; // [
    this.starts.push(1);
    this.rawOff = 1 + size;
    this.bytes = size;
    this.count = 1;
  }

  /** The raw buffer with at least `need` bytes, what it holds kept (grown when needed). */
  private rawRoom(need: number): Buffer {
    let raw = this.rawBuf;
    if (!raw || raw.length < need) {
      const grown = Buffer.allocUnsafe(Math.max(need, 64 * 1024, (raw?.length ?? 0) * 2));
      raw?.copy(grown, 0, 0, this.rawOff);
      raw = grown;
      this.rawBuf = grown;
    }
    return raw;
  }

  /** Sends the held rows as part(s); waits only while `window` parts are unacknowledged. */
  private async flushBatch(): Promise<void> {
    if (this.count === 0) return;
    const bytes = this.bytes;
    this.count = 0;
    this.bytes = 0;
    if (this.fmt.compress) {
      // no row is added while these parts go out (the caller awaits this): the buffer stays as it is
      await this.sendCompressed(0, this.starts.length);
      this.rawOff = 0;
      this.starts = [];
      return;
    }
    const buf = this.partBuf as Buffer;
    this.partBuf = undefined; // the sink may keep it until the part is acknowledged: then it is reused
    const end = this.off + buf.write(`]${this.tail}`, this.off, 'utf8');
    await this.send(buf, end, this.base + bytes);
  }

  /** Sends what is buffered and waits until every part is acknowledged. */
  async flush(): Promise<void> {
    await this.flushBatch();
    while (this.inflight.length > 0) await this.inflight.shift();
  }

  /** Gzips rows [i, j) of the raw buffer as one JSON array into a part; halves them while a part would be too big. */
  private async sendCompressed(i: number, j: number): Promise<void> {
    const raw = this.rawBuf as Buffer;
    const from = (this.starts[i] as number) - 1; // the `[` or `,` before row i
    const end = j < this.starts.length ? (this.starts[j] as number) - 1 : this.rawOff; // the `,` after row j-1
    // Each call sets both ends of its own range before compressing it, so a split (halves left to right) needs no
    // separator put back.
    raw[from] = 0x5b; // [
    raw[end] = 0x5d; // ]
    // Synchronous on purpose: one batch (≤ 8 parts of raw JSON) at a time on the main thread, so zlib's buffers
    // are not spread over the libuv pool threads' malloc arenas (higher peak RSS with async gzip in bench cdr-query).
    const b64 = gzipSync(raw.subarray(from, end + 1), GZIP_OPTIONS).toString('base64');
    this.ratio = Math.max(0.02, b64.length / (end + 1 - from));
    if (this.base + b64.length > this.limit) {
      if (j - i === 1) {
        throw new PbxlinkError(
          'internal',
          `one CDR row compresses to ${b64.length} bytes, over the ${this.limit}-byte part limit`,
        );
      }
      const half = i + Math.ceil((j - i) / 2);
      await this.sendCompressed(i, half);
      await this.sendCompressed(half, j);
      return;
    }
    // into a part buffer with room for the envelope, as plain parts (no second copy of the text as a string)
    const buf = this.partBuffer();
    let off = ROOM_BEFORE + buf.write('{"rows":"', ROOM_BEFORE, 'latin1');
    off += buf.write(b64, off, 'latin1');
    off += buf.write(`"${this.tail}`, off, 'utf8');
    await this.send(buf, off, this.base + b64.length);
  }

  /** Hands the part held in buf[ROOM_BEFORE, end) (`bytes` of data) to the sink in order, with the room around it for
   * the reply envelope; keeps at most `window` parts unacknowledged (bounded memory), reusing a buffer once its part
   * is acknowledged. */
  private async send(buf: Buffer, end: number, bytes: number): Promise<void> {
    this.parts++;
    this.sentBytes += bytes;
    const acked = this.sink.part(new RawJson(buf.subarray(ROOM_BEFORE, end), PART_ROOM));
    // observed when awaited below; never an unhandled rejection meanwhile
    acked.then(() => this.spare.push(buf)).catch(() => {});
    this.inflight.push(acked);
    if (this.inflight.length < this.window) return;
    const t0 = this.monotonic();
    while (this.inflight.length >= this.window) await this.inflight.shift();
    this.ackWaitMs += this.monotonic() - t0;
  }
}
