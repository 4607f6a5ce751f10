/** Fixed-width column helpers for Asterisk CLI tables (printf `%-W.Ws` columns separated by one space). */

/** One column located in a header line. */
export interface Column {
  readonly name: string;
  readonly start: number;
  /** Exclusive end of the value (the separator space is not part of it); undefined = to end of line. */
  readonly end: number | undefined;
}

/**
 * Locates `names` in `header` in order (each must start a word) and returns their spans: a column runs from
 * its header word to one character before the next column's start; the last one to the end of the header's
 * padding (or the end of the line when the header is not padded). Returns undefined if a name is missing.
 */
export function columnsFromHeader(header: string, names: readonly string[]): Column[] | undefined {
  const starts: number[] = [];
  let from = 0;
  for (const n of names) {
    let i = header.indexOf(n, from);
    while (i > 0 && header[i - 1] !== ' ') i = header.indexOf(n, i + 1);
    if (i < 0) return undefined;
    starts.push(i);
    from = i + n.length;
  }
  // The last column ends where the header's padding ends (printf pads the header word too), if it is padded.
  const lastEnd = header.length > from ? header.length : undefined;
  return names.map((name, k) => ({
    name,
    start: starts[k]!,
    end: k + 1 < starts.length ? starts[k + 1]! - 1 : lastEnd,
  }));
}

/** Columns from printf widths (`%-W.Ws` joined by single spaces, `gap` extra spaces after column `gapAfter`). */
export function columnsFromWidths(
  names: readonly string[],
  widths: readonly number[],
  gapAfter = -1,
): Column[] {
  const cols: Column[] = [];
  let pos = 0;
  names.forEach((name, k) => {
    const w = widths[k];
    cols.push({ name, start: pos, end: w === undefined ? undefined : pos + w });
    pos += (w ?? 0) + 1 + (k === gapAfter ? 1 : 0);
  });
  return cols;
}

/** The raw (untrimmed) cell text of a column in `line`. */
export function cell(line: string, c: Column): string {
  return c.end === undefined ? line.slice(c.start) : line.slice(c.start, c.end);
}

/** Trimmed cell text, and whether it filled its column (so it may have been truncated by `%-W.Ws`). */
export function cellValue(line: string, c: Column): { value: string; full: boolean } {
  const raw = cell(line, c);
  const value = raw.trim();
  // A `%-W.Ws` value that reaches the column's last character may have been cut there.
  const full =
    c.end !== undefined && raw.length >= c.end - c.start && raw[c.end - c.start - 1] !== ' ' && value !== '';
  return { value, full };
}

/** Splits CLI text into lines (LF or CRLF), dropping a trailing empty line. */
export function cliLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
