import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { PbxlinkError } from '../../core/errors';

const gzipAsync = promisify(gzip);

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
 * length as it comes (bounded memory: at most one part is held). With compress, the JSON rows array is gzipped
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
  /** Parts sent so far. */
  parts = 0;
  /** Payload bytes of the parts' data (after compression). */
  sentBytes = 0;
  /** Raw JSON bytes of the rows (before compression). */
  rawBytes = 0;

  constructor(
    private readonly sink: PartSink,
    private readonly fmt: PartFormat,
  ) {
    this.limit = sink.maxPayloadBytes;
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
    return Math.max(room, Math.min(room * 16, Math.floor((room / this.ratio) * 0.9)));
  }

  /** Adds one row (an object, or an array in `columns` order); sends a part first when it would not fit. */
  async add(row: unknown): Promise<void> {
    const json = JSON.stringify(row);
    const size = Buffer.byteLength(json);
    this.rawBytes += size;
    const extra = size + (this.pieces.length > 0 ? 1 : 0);
    if (!this.fmt.compress) {
      if (this.base + size > this.limit) {
        throw new PbxlinkError('internal', `one CDR row of ${size} bytes exceeds the ${this.limit}-byte part limit`);
      }
      if (this.base + this.bytes + extra > this.limit) await this.flush();
    } else if (this.bytes + extra > this.rawBudget() && this.pieces.length > 0) {
      await this.flush();
    }
    this.bytes += this.pieces.length > 0 ? size + 1 : size;
    this.pieces.push(this.fmt.compress ? json : row);
  }

  /** Sends what is buffered (nothing when empty). */
  async flush(): Promise<void> {
    const pieces = this.pieces;
    const bytes = this.bytes;
    this.pieces = [];
    this.bytes = 0;
    if (pieces.length === 0) return;
    if (this.fmt.compress) await this.sendCompressed(pieces as string[]);
    else await this.send(this.wrap(pieces), this.base + bytes);
  }

  private async sendCompressed(pieces: string[]): Promise<void> {
    const raw = `[${pieces.join(',')}]`;
    const b64 = (await gzipAsync(Buffer.from(raw, 'utf8'))).toString('base64');
    this.ratio = Math.max(0.02, b64.length / Buffer.byteLength(raw));
    if (this.base + b64.length > this.limit) {
      if (pieces.length === 1) {
        throw new PbxlinkError('internal', `one CDR row compresses to ${b64.length} bytes, over the ${this.limit}-byte part limit`);
      }
      const half = Math.ceil(pieces.length / 2);
      await this.sendCompressed(pieces.slice(0, half));
      await this.sendCompressed(pieces.slice(half));
      return;
    }
    await this.send(this.wrap(b64), this.base + b64.length);
  }

  private async send(data: Record<string, unknown>, bytes: number): Promise<void> {
    this.parts++;
    this.sentBytes += bytes;
    await this.sink.part(data);
  }
}
