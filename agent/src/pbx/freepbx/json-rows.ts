/**
 * Rows of a MySQL/MariaDB result turned straight into JSON text, from the text-protocol row packets: no JS value
 * per column, no object per row, no JSON.stringify — the bytes the server sent are copied into the JSON with the
 * escapes JSON needs. The text equals `JSON.stringify` of the row mysql2 would have built with FreepbxDb's pool
 * options (`dateStrings`, `supportBigNumbers`, no `decimalNumbers`/`bigNumberStrings`, utf8mb4 results); a
 * result with a column this does not cover (floats, binary strings, JSON, BIT, geometry…) is encoded from mysql2's
 * own row instead, so the text is the same either way (test/integration/json-rows.test.ts compares them per type).
 */

/** Writes rows' JSON straight from their row packets (one per result: its columns' names and kinds). */
interface PacketEncoder {
  /** Most bytes the JSON of a row packet of `packetBytes` bytes can take (every byte escaped as \u00XX). */
  maxBytes(packetBytes: number): number;
  /** Writes the JSON of the row packet src[start, end) at out[o…] (room for maxBytes), returns where it ends. */
  write(src: Buffer, start: number, end: number, out: Buffer, o: number): number;
}

/**
 * One row of a result as JSON, with the text of the key columns asked for. A row decoded from its packet holds
 * only where the packet's bytes are (mysql2 reads each socket chunk into a new buffer, so they stay as they are)
 * and writes its JSON where it is wanted — into a part's buffer, with no string, no copy and nothing for the GC
 * in between; a row of a result the packet path does not cover holds the JSON text of mysql2's row.
 */
export class JsonRow {
  constructor(
    /** The key columns' text once known (undefined: not made yet). */
    private readonly keyTexts: (string | undefined)[],
    /** Where each key column's value lies in the packet: [start, end] pairs; start -1 for NULL, -2 when the
     * result has no such column. Unused for a row of text (its keyTexts are all made). */
    private readonly keySpans: number[] | undefined,
    private readonly text: string | undefined,
    private readonly src: Buffer | undefined,
    private readonly start: number,
    private readonly end: number,
    private readonly encoder: PacketEncoder | undefined,
  ) {}

  /** A row of JSON text (mysql2's row, stringified) and its key columns' text. */
  static ofText(json: string, keys: readonly string[]): JsonRow {
    return new JsonRow([...keys], undefined, json, undefined, 0, Buffer.byteLength(json), undefined);
  }

  /**
   * The text of key column `j` (JsonRowOptions.keys): the value as sent, `null` for NULL, `undefined` for a column
   * the result does not have (as String(value) of mysql2's row). Made when first asked for: a row's uniqueid is
   * needed only when its calldate ties with another row's.
   */
  key(j: number): string {
    const made = this.keyTexts[j];
    if (made !== undefined) return made;
    const spans = this.keySpans as number[];
    const s = spans[2 * j] as number;
    const text =
      s === -1 ? 'null' : s === -2 ? 'undefined' : textOf(this.src as Buffer, s, spans[2 * j + 1] as number);
    this.keyTexts[j] = text;
    return text;
  }

  /** Whether key column `j` holds the same value in this row and `other` (compared as bytes between rows of
   * packets: no text is made). */
  sameKey(j: number, other: JsonRow): boolean {
    const a = this.keySpans;
    const b = other.keySpans;
    if (!a || !b) return this.key(j) === other.key(j);
    const as = a[2 * j] as number;
    const bs = b[2 * j] as number;
    if (as < 0 || bs < 0) return as === bs;
    const n = (a[2 * j + 1] as number) - as;
    if ((b[2 * j + 1] as number) - bs !== n) return false;
    const x = this.src as Buffer;
    const y = other.src as Buffer;
    for (let k = 0; k < n; k++) if (x[as + k] !== y[bs + k]) return false;
    return true;
  }

  /** Every key column's text (tests, diagnostics). */
  get keys(): readonly string[] {
    return Array.from({ length: this.keyTexts.length }, (_, j) => this.key(j));
  }

  /** Most bytes writeInto may write. */
  maxBytes(): number {
    return this.encoder ? this.encoder.maxBytes(this.end - this.start) : this.end;
  }

  /** Writes the JSON at out[o…] (which must have room for maxBytes()); returns where it ends. */
  writeInto(out: Buffer, o: number): number {
    if (this.encoder) return this.encoder.write(this.src as Buffer, this.start, this.end, out, o);
    const text = this.text as string;
    return o + out.write(text, o, this.end === text.length ? 'latin1' : 'utf8');
  }

  /** The JSON text (tests, diagnostics: the hot path writes bytes). */
  get json(): string {
    if (this.text !== undefined) return this.text;
    const out = Buffer.allocUnsafe(this.maxBytes());
    return out.toString('utf8', 0, this.writeInto(out, 0));
  }

  /** The JSON's UTF-8 byte length. */
  get bytes(): number {
    return this.text !== undefined ? this.end : Buffer.byteLength(this.json);
  }
}

/** Buffer's own slicing methods, which toString calls after its argument checks (mysql2 calls them the same way). */
const slicing = Buffer.prototype as unknown as {
  latin1Slice?: (start: number, end: number) => string;
  utf8Slice?: (start: number, end: number) => string;
};
const directSlices = typeof slicing.latin1Slice === 'function' && typeof slicing.utf8Slice === 'function';

/** UTF-8 text of s8[s, e): latin1 when it is all ASCII (the same text, made faster). */
function textOf(s8: Buffer, s: number, e: number): string {
  let ascii = true;
  for (let k = s; k < e; k++) {
    if ((s8[k] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!directSlices) return s8.toString(ascii ? 'latin1' : 'utf8', s, e);
  const b = s8 as unknown as Required<typeof slicing>;
  return ascii ? b.latin1Slice(s, e) : b.utf8Slice(s, e);
}

/** What a column definition of mysql2 (ColumnDefinition) tells about a column. */
export interface ColumnInfo {
  readonly name: string;
  readonly columnType?: number;
  readonly characterSet?: number;
  readonly flags: number | readonly string[];
  readonly encoding?: string;
  /** MariaDB extended metadata (e.g. 'json'); present only with that capability. */
  readonly extendedFormat?: string;
}

/** A row packet of mysql2 (Packet): the row's bytes are buffer[offset, end). */
export interface RowPacket {
  readonly buffer: Buffer;
  readonly offset: number;
  readonly end: number;
}

/** How one result's rows are decoded: from the packet when every column is covered, else from mysql2's row. */
export interface RowDecoder<R> {
  readonly packet?: (p: RowPacket) => R;
  readonly row: (row: unknown) => R;
}

export interface JsonRowOptions {
  /** `objects`: `{"col":value,…}`; `rows`: `[value,…]` in column order. */
  format: 'objects' | 'rows';
  /** Key columns (e.g. a cursor's): each JsonRow gives their text (`key(j)`) and compares them (`sameKey`). */
  keys: readonly string[];
}

// MySQL column types (include/mysql_com.h enum_field_types).
const DECIMAL = 0;
const TINY = 1;
const SHORT = 2;
const LONG = 3;
const TIMESTAMP = 7;
const LONGLONG = 8;
const INT24 = 9;
const DATE = 10;
const TIME = 11;
const DATETIME = 12;
const YEAR = 13;
const VARCHAR = 15;
const NEWDECIMAL = 246;
const ENUM = 247;
const SET = 248;
const TINY_BLOB = 249;
const MEDIUM_BLOB = 250;
const LONG_BLOB = 251;
const BLOB = 252;
const VAR_STRING = 253;
const STRING = 254;
const BINARY_CHARSET = 63;
const ZEROFILL_FLAG = 0x40;

/** How a column's bytes become JSON. */
const Kind = {
  /** Digits as sent: a JSON number. */
  Int: 0,
  /** Zero-filled digits (`0042`): the number they mean. */
  ZeroFilledInt: 1,
  /** BIGINT: a number while it is a safe integer, else its text (as mysql2's supportBigNumbers). */
  BigInt: 2,
  /** Text (strings, dates as stored, decimals, times): a JSON string. */
  Text: 3,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

function kindOf(f: ColumnInfo): Kind | undefined {
  if (f.extendedFormat !== undefined && f.extendedFormat !== '') return undefined;
  const flags = typeof f.flags === 'number' ? f.flags : 0;
  switch (f.columnType) {
    case TINY:
    case SHORT:
    case LONG:
    case INT24:
    case YEAR:
      return flags & ZEROFILL_FLAG ? Kind.ZeroFilledInt : Kind.Int;
    case LONGLONG:
      return Kind.BigInt;
    case DECIMAL:
    case NEWDECIMAL:
    case DATE:
    case DATETIME:
    case TIMESTAMP:
    case TIME:
      return Kind.Text; // ASCII text (dateStrings)
    case VARCHAR:
    case ENUM:
    case SET:
    case TINY_BLOB:
    case MEDIUM_BLOB:
    case LONG_BLOB:
    case BLOB:
    case VAR_STRING:
    case STRING:
      return f.characterSet !== BINARY_CHARSET && f.encoding === 'utf8' ? Kind.Text : undefined;
    default:
      return undefined;
  }
}

const HEX = '0123456789abcdef';

/** For a value's last r (1–3) bytes read as a word: the flag bits of needsEscape that are theirs. */
const TAIL_FLAGS = [0, 0x80, 0x8080, 0x808080] as const;

/**
 * The decoder of one result: JSON text straight from the packets when every column is covered, else from the
 * row mysql2 decoded. `fields` are the result's columns in order (mysql2's 'fields' event).
 */
export function jsonRowDecoder(fields: readonly ColumnInfo[], opts: JsonRowOptions): RowDecoder<JsonRow> {
  const names = fields.map((f) => f.name);
  const keyAt = opts.keys.map((k) => names.indexOf(k));
  const objects = opts.format === 'objects';
  const row = (r: unknown): JsonRow => {
    const at = (i: number, k: string) => (Array.isArray(r) ? r[i] : (r as Record<string, unknown>)[k]);
    return JsonRow.ofText(
      JSON.stringify(r),
      opts.keys.map((k, j) => String(at(keyAt[j] as number, k))),
    );
  };
  const kinds = fields.map(kindOf);
  if (kinds.some((k) => k === undefined)) return { row };
  const encoder = packetEncoder(names, kinds as Kind[], objects);
  const n = names.length;
  const nKeys = keyAt.length;
  const keySlot = new Int32Array(n).fill(-1);
  keyAt.forEach((c, j) => {
    if (c >= 0) keySlot[c] = j;
  });
  const packet = (p: RowPacket): JsonRow => {
    // Walks the columns' lengths (checking they add up to the packet) and takes the key columns' text; the JSON
    // is written later, by writeInto, from the same bytes.
    const s8 = p.buffer;
    const end = p.end;
    const spans: number[] = new Array(2 * nKeys).fill(-2); // -2: a key column the result does not have
    let i = p.offset;
    for (let c = 0; c < n; c++) {
      let len = s8[i++] as number;
      const slot = keySlot[c] as number;
      if (len >= 0xfb) {
        if (len === 0xfb) {
          if (slot >= 0) spans[2 * slot] = -1;
          continue;
        }
        [len, i] = longLength(s8, i, len);
      }
      if (slot >= 0) {
        spans[2 * slot] = i;
        spans[2 * slot + 1] = i + len;
      }
      i += len;
    }
    if (i !== end) throw new RangeError('row packet length does not match its column lengths');
    return new JsonRow(new Array(nKeys), spans, undefined, s8, p.offset, end, encoder);
  };
  return { packet, row };
}

/** A length-encoded integer's value after its first byte `first` (0xfc, 0xfd or 0xfe), and where it ends. */
function longLength(s8: Buffer, i: number, first: number): [number, number] {
  if (first === 0xfc) return [(s8[i] as number) | ((s8[i + 1] as number) << 8), i + 2];
  if (first === 0xfd) {
    return [(s8[i] as number) | ((s8[i + 1] as number) << 8) | ((s8[i + 2] as number) << 16), i + 3];
  }
  if (first === 0xfe) return [s8.readUInt32LE(i) + s8.readUInt32LE(i + 4) * 2 ** 32, i + 8];
  throw new RangeError(`not a column length: 0x${first.toString(16)}`);
}

/**
 * Bytes of a 32-bit word (little-endian) that JSON text cannot hold as they are: any byte below 0x20, `"` or `\\`
 * gives a non-zero result (the "has less than" and "has value" word tricks; exact as to whether one exists).
 */
function needsEscape(x: number): number {
  const lt = (x - 0x20202020) & ~x;
  const q = x ^ 0x22222222;
  const b = x ^ 0x5c5c5c5c;
  return (lt | ((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b)) & 0x80808080;
}

function packetEncoder(names: readonly string[], kinds: readonly Kind[], objects: boolean): PacketEncoder {
  const n = names.length;
  // What precedes each value: `{"name":` / `,"name":` (objects) or `[` / `,` (rows), and `"` before text. All the
  // prefixes in one buffer, each at prefixAt[c] with prefixLen[c] bytes.
  const prefixText = names.map(
    (name, i) =>
      (objects ? `${i === 0 ? '{' : ','}${JSON.stringify(name)}:` : i === 0 ? '[' : ',') +
      (kinds[i] === Kind.Text ? '"' : ''),
  );
  const prefixes = Buffer.from(`${prefixText.join('')}\0\0\0\0`); // padding: whole words may be read
  const prefixView = new DataView(prefixes.buffer, prefixes.byteOffset, prefixes.length);
  const prefixAt = new Int32Array(n);
  const prefixLen = new Int32Array(n);
  let at = 0;
  prefixText.forEach((t, c) => {
    prefixAt[c] = at;
    prefixLen[c] = Buffer.byteLength(t);
    at += prefixLen[c] as number;
  });
  const prefixBytes = at;
  const close = objects ? 0x7d : 0x5d; // } ]
  // the buffers change rarely (a packet's: one per socket chunk; the output's: one per part): their DataViews are
  // kept while they are the same
  let src: Buffer | undefined;
  let srcView: DataView | undefined;
  let srcLength = 0;
  let out: Buffer | undefined;
  let outView: DataView | undefined;

  // every byte may become 6 (\u00XX), plus quotes, the prefixes and a word of slack
  const maxBytes = (packetBytes: number) => prefixBytes + 6 * packetBytes + 2 * n + 16;

  const write = (s8: Buffer, start: number, end: number, o8: Buffer, o: number): number => {
    if (s8 !== src) {
      src = s8;
      srcView = new DataView(s8.buffer, s8.byteOffset, s8.length);
      srcLength = s8.length;
    }
    if (o8 !== out) {
      out = o8;
      outView = new DataView(o8.buffer, o8.byteOffset, o8.length);
    }
    const sv = srcView as DataView;
    const ov = outView as DataView;
    let i = start;
    for (let c = 0; c < n; c++) {
      // the prefix, a word at a time (the last word may carry bytes past it: they are overwritten next)
      const pa = prefixAt[c] as number;
      const pl = prefixLen[c] as number;
      for (let k = 0; k < pl; k += 4) ov.setUint32(o + k, prefixView.getUint32(pa + k, true), true);
      o += pl;
      let len = s8[i++] as number;
      if (len >= 0xfb) {
        // not a length in one byte (the usual case): null, or a length in 2, 3 or 8 bytes
        if (len === 0xfb) {
          if (kinds[c] === Kind.Text) o--; // no opening quote for null
          o8[o++] = 0x6e; // null
          o8[o++] = 0x75;
          o8[o++] = 0x6c;
          o8[o++] = 0x6c;
          continue;
        }
        [len, i] = longLength(s8, i, len);
      }
      const s = i;
      const e = i + len;
      if (e > end) throw new RangeError('row packet shorter than its column lengths');
      i = e;
      const kind = kinds[c] as Kind;
      if (kind === Kind.Text) {
        let k = s;
        for (;;) {
          // a word at a time while no byte needs escaping
          while (k + 4 <= e) {
            const x = sv.getUint32(k, true);
            if (needsEscape(x) !== 0) break;
            ov.setUint32(o, x, true);
            o += 4;
            k += 4;
          }
          if (k >= e) break;
          const r = e - k;
          if (r < 4 && k + 4 <= srcLength) {
            // the value's last 1–3 bytes: a whole word is read (the bytes after them belong to the packet) and
            // written (what lies past them in the output is overwritten next); only their flags count, which are
            // exact (the word tricks can only flag bytes above one that really needs escaping)
            const x = sv.getUint32(k, true);
            if ((needsEscape(x) & (TAIL_FLAGS[r] as number)) === 0) {
              ov.setUint32(o, x, true);
              o += r;
              break;
            }
          }
          // then byte by byte to the end of the word (or of the value)
          const stop = Math.min(e, k + 4);
          for (; k < stop; k++) {
            const b = s8[k] as number;
            if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
              o8[o++] = b;
            } else {
              o8[o++] = 0x5c; // backslash
              if (b === 0x22 || b === 0x5c) o8[o++] = b;
              else if (b === 0x08)
                o8[o++] = 0x62; // b
              else if (b === 0x09)
                o8[o++] = 0x74; // t
              else if (b === 0x0a)
                o8[o++] = 0x6e; // n
              else if (b === 0x0c)
                o8[o++] = 0x66; // f
              else if (b === 0x0d)
                o8[o++] = 0x72; // r
              else {
                o8[o++] = 0x75; // u00XX
                o8[o++] = 0x30;
                o8[o++] = 0x30;
                o8[o++] = HEX.charCodeAt(b >> 4);
                o8[o++] = HEX.charCodeAt(b & 15);
              }
            }
          }
        }
        o8[o++] = 0x22;
      } else if (kind === Kind.Int || (kind === Kind.BigInt && len < 16)) {
        for (let k = s; k < e; k++) o8[o++] = s8[k] as number;
      } else {
        const text = s8.toString('latin1', s, e);
        const num = Number(text);
        const json =
          kind === Kind.ZeroFilledInt
            ? String(num)
            : Number.isSafeInteger(num)
              ? String(num)
              : JSON.stringify(text);
        o += o8.write(json, o, 'latin1');
      }
    }
    o8[o++] = close;
    return o;
  };
  return { maxBytes, write };
}
