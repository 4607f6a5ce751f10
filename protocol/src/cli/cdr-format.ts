import type { CdrRowObject } from '../client/cdr';

/** Output formats of `pbxctl cdr`. */
export const CDR_OUTPUT_FORMATS = ['table', 'jsonl', 'csv'] as const;
/** One of CDR_OUTPUT_FORMATS. */
export type CdrOutputFormat = (typeof CDR_OUTPUT_FORMATS)[number];

/** Columns of the table format when --columns is not given: what fits a terminal. */
export const DEFAULT_TABLE_COLUMNS = [
  'calldate',
  'src',
  'dst',
  'disposition',
  'duration',
  'billsec',
  'uniqueid',
  'recordingfile',
] as const;

/** Fixed widths of the table's known columns (others get DEFAULT_WIDTH); longer values end in `…`. */
const WIDTHS: Record<string, number> = {
  calldate: 19,
  clid: 28,
  src: 15,
  dst: 15,
  dcontext: 16,
  channel: 24,
  dstchannel: 24,
  disposition: 11,
  duration: 8,
  billsec: 7,
  amaflags: 8,
  accountcode: 12,
  uniqueid: 20,
  did: 15,
  recordingfile: 40,
  userfield: 24,
};
const DEFAULT_WIDTH = 16;
const NUMERIC = new Set(['duration', 'billsec', 'amaflags', 'sequence']);

// Control characters (including ESC) are replaced, so a hostile caller ID cannot drive the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we replace
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : String(v);
}

function fitCell(s: string, width: number, right: boolean): string {
  const clean = s.replace(CONTROL, '?');
  const chars = [...clean];
  const cut = chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : clean;
  const pad = ' '.repeat(Math.max(0, width - Math.min(chars.length, width)));
  return right ? pad + cut : cut + pad;
}

/** Renders rows as they come, in one of the output formats; `header()` is printed once, before the first rows. */
export interface CdrRenderer {
  /** Text to print before the first rows (table/csv header), given the columns of the first part. */
  header(firstRows: readonly CdrRowObject[]): string;
  /** The text of a batch of rows (each line ends with its terminator). */
  rows(rows: readonly CdrRowObject[]): string;
}

/** Text of one CSV field (RFC 4180): quoted when it holds `"`, `,`, CR or LF, with `"` doubled. */
export function csvField(v: unknown): string {
  const s = text(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV record (RFC 4180: fields joined by `,`, CRLF at the end). */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** Longest value printed in the table's last column (it is neither padded nor cut to a width). */
export const MAX_LAST_CELL = 255;

/**
 * One table line: each column padded or cut to its width (numbers right-aligned), two spaces apart; the last
 * column is printed whole (up to MAX_LAST_CELL characters), so a recording's file name stays usable.
 */
export function tableLine(columns: readonly string[], values: readonly unknown[]): string {
  const last = columns.length - 1;
  const cells = columns.map((c, i) =>
    i === last && !NUMERIC.has(c)
      ? fitCell(text(values[i]), MAX_LAST_CELL, false)
      : fitCell(text(values[i]), WIDTHS[c] ?? DEFAULT_WIDTH, NUMERIC.has(c)),
  );
  return `${cells.join('  ').trimEnd()}\n`;
}

/**
 * A renderer for `format`. `columns`: the columns to show (table default DEFAULT_TABLE_COLUMNS that the rows
 * have; csv default every column of the first row, in the agent's order); jsonl prints every field unless given.
 */
export function cdrRenderer(format: CdrOutputFormat, columns?: readonly string[]): CdrRenderer {
  let cols: readonly string[] | undefined = columns;
  const pick = (r: CdrRowObject) => (cols ?? []).map((c) => r[c]);
  switch (format) {
    case 'jsonl':
      return {
        header: () => '',
        rows: (rows) => {
          let out = '';
          for (const r of rows) {
            if (!cols) out += `${JSON.stringify(r)}\n`;
            else out += `${JSON.stringify(Object.fromEntries(cols.map((c) => [c, r[c] ?? null])))}\n`;
          }
          return out;
        },
      };
    case 'csv':
      return {
        header: (first) => {
          cols ??= Object.keys(first[0] ?? {});
          return csvLine(cols);
        },
        rows: (rows) => {
          let out = '';
          for (const r of rows) out += csvLine(pick(r));
          return out;
        },
      };
    case 'table':
      return {
        header: (first) => {
          const have = first[0] ?? {};
          cols ??= DEFAULT_TABLE_COLUMNS.filter((c) => c in have);
          const c = cols;
          return (
            tableLine(c, c) +
            tableLine(
              c,
              c.map((x) => '-'.repeat(WIDTHS[x] ?? DEFAULT_WIDTH)),
            )
          );
        },
        rows: (rows) => {
          let out = '';
          const c = cols ?? [];
          for (const r of rows) out += tableLine(c, pick(r));
          return out;
        },
      };
  }
}

/** A progress line for stderr: `12,345 rows  page 3  4,120 rows/s  3.0 s`. */
export function cdrProgressLine(rows: number, page: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? Math.round(rows / (elapsedMs / 1000)) : 0;
  return `${rows.toLocaleString('en-US')} rows  page ${page}  ${rate.toLocaleString('en-US')} rows/s  ${(elapsedMs / 1000).toFixed(1)} s`;
}
