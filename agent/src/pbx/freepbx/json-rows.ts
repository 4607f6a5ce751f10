/**
 * Rows of a MySQL/MariaDB result turned straight into JSON text, from the text-protocol row packets: no JS value
 * per column, no object per row, no JSON.stringify — the bytes the server sent are copied into the JSON with the
 * escapes JSON needs. The text equals `JSON.stringify` of the row mysql2 would have built with FreepbxDb's pool
 * options (`dateStrings`, `supportBigNumbers`, no `decimalNumbers`/`bigNumberStrings`, utf8mb4 results); a
 * result with a column this does not cover (floats, binary strings, JSON, BIT, geometry…) is encoded from mysql2's
 * own row instead, so the text is the same either way (test/integration/json-rows.test.ts compares them per type).
 */

/** A row as JSON text, its UTF-8 byte length, and the text of the key columns asked for (String(value)). */
export interface JsonRow {
  readonly json: string;
  readonly bytes: number;
  readonly keys: readonly string[];
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
  /** Columns whose value text each JsonRow carries in `keys` (e.g. a cursor's columns). */
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

/** For a value's last r (1–3) bytes read as a word: the flag bits of needsEscape, and the bytes, that are theirs. */
const TAIL_FLAGS = [0, 0x80, 0x8080, 0x808080] as const;
const TAIL_BYTES = [0, 0xff, 0xffff, 0xffffff] as const;

/**
 * The decoder of one result: JSON text straight from the packets when every column is covered, else from the
 * row mysql2 decoded. `fields` are the result's columns in order (mysql2's 'fields' event).
 */
export function jsonRowDecoder(fields: readonly ColumnInfo[], opts: JsonRowOptions): RowDecoder<JsonRow> {
  const names = fields.map((f) => f.name);
  const keyAt = opts.keys.map((k) => names.indexOf(k));
  const objects = opts.format === 'objects';
  const row = (r: unknown): JsonRow => {
    const json = JSON.stringify(r);
    const at = (i: number, k: string) => (Array.isArray(r) ? r[i] : (r as Record<string, unknown>)[k]);
    return {
      json,
      bytes: Buffer.byteLength(json),
      keys: opts.keys.map((k, j) => String(at(keyAt[j] as number, k))),
    };
  };
  const kinds = fields.map(kindOf);
  if (kinds.some((k) => k === undefined)) return { row };
  return { packet: packetEncoder(names, kinds as Kind[], keyAt, objects), row };
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

function packetEncoder(
  names: readonly string[],
  kinds: readonly Kind[],
  keyAt: readonly number[],
  objects: boolean,
): (p: RowPacket) => JsonRow {
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
  const keySlot = new Int32Array(n).fill(-1);
  keyAt.forEach((c, j) => {
    if (c >= 0) keySlot[c] = j;
  });
  const nKeys = keyAt.length;
  // where each key's value lies in the source packet and in the JSON; `verbatim` when the JSON holds its text as is
  const keySrcStart = new Int32Array(nKeys);
  const keySrcEnd = new Int32Array(nKeys);
  const keyOutStart = new Int32Array(nKeys);
  const keyOutEnd = new Int32Array(nKeys);
  const keyVerbatim = new Uint8Array(nKeys); // 0 escaped or converted, 1 verbatim, 2 null, 3 not in the result
  keyAt.forEach((c, j) => {
    if (c < 0) keyVerbatim[j] = 3;
  });
  let out = Buffer.allocUnsafe(64 * 1024);
  let outView: DataView = new DataView(out.buffer, out.byteOffset, out.length);
  // the packet's buffer changes rarely (one per socket chunk): its DataView is kept while it is the same
  let src: Buffer | undefined;
  let srcView: DataView = outView;
  let srcLength = 0;

  return (p) => {
    if (p.buffer !== src) {
      src = p.buffer;
      srcView = new DataView(src.buffer, src.byteOffset, src.length);
      srcLength = src.length;
    }
    const s8 = src;
    const sv = srcView;
    let i = p.offset;
    const end = p.end;
    // every byte may become 6 (\u00XX), plus quotes, the prefixes and a word of slack
    const need = prefixBytes + 6 * (end - i) + 2 * n + 16;
    if (out.length < need) {
      out = Buffer.allocUnsafe(Math.max(need, out.length * 2));
      outView = new DataView(out.buffer, out.byteOffset, out.length);
    }
    const o8 = out;
    const ov = outView;
    let o = 0;
    let high = 0;
    const keys: string[] = new Array(nKeys);
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
          const slot = keySlot[c] as number;
          if (slot >= 0) keyVerbatim[slot] = 2;
          continue;
        }
        if (len === 0xfc) {
          len = (s8[i] as number) | ((s8[i + 1] as number) << 8);
          i += 2;
        } else if (len === 0xfd) {
          len = (s8[i] as number) | ((s8[i + 1] as number) << 8) | ((s8[i + 2] as number) << 16);
          i += 3;
        } else if (len === 0xfe) {
          len = s8.readUInt32LE(i) + s8.readUInt32LE(i + 4) * 2 ** 32;
          i += 8;
        }
      }
      const s = i;
      const e = i + len;
      if (e > end) throw new RangeError('row packet shorter than its column lengths');
      i = e;
      const kind = kinds[c] as Kind;
      const valueAt = o;
      let verbatim = 1;
      if (kind === Kind.Text) {
        let k = s;
        for (;;) {
          // a word at a time while no byte needs escaping
          while (k + 4 <= e) {
            const x = sv.getUint32(k, true);
            if (needsEscape(x) !== 0) break;
            ov.setUint32(o, x, true);
            high |= x;
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
              high |= x & (TAIL_BYTES[r] as number);
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
              high |= b;
            } else {
              verbatim = 0;
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
        verbatim = 0;
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
      const slot = keySlot[c] as number;
      if (slot >= 0) {
        keySrcStart[slot] = s;
        keySrcEnd[slot] = e;
        keyOutStart[slot] = valueAt;
        keyOutEnd[slot] = o - (kind === Kind.Text ? 1 : 0);
        keyVerbatim[slot] = verbatim;
      }
    }
    o8[o++] = close;
    const ascii = (high & 0x80808080) === 0;
    const json = ascii ? o8.toString('latin1', 0, o) : o8.toString('utf8', 0, o);
    for (let j = 0; j < nKeys; j++) {
      const v = keyVerbatim[j] as number;
      if (v >= 2) {
        keys[j] = v === 2 ? 'null' : 'undefined'; // as String(value) of mysql2's row
        continue;
      }
      // an ASCII row's JSON holds an unescaped value at the same offsets: a slice of it (no copy)
      keys[j] =
        ascii && v === 1
          ? json.slice(keyOutStart[j], keyOutEnd[j])
          : s8.toString('utf8', keySrcStart[j], keySrcEnd[j]);
    }
    return { json, bytes: ascii ? o : Buffer.byteLength(json), keys };
  };
}
