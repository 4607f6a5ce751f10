/** One filesystem line of `df`, in bytes (the `root` block of state.disks). */
export interface DfRow {
  filesystem: string;
  size_bytes: number;
  used_bytes: number;
  avail_bytes: number;
  /** Use% as df prints it (rounded up), or computed as used / (used + avail) when df prints "-". */
  use_pct: number;
  mount: string;
}

const UNIT_POWER: Record<string, number> = { K: 1, M: 2, G: 3, T: 4, P: 5, E: 6, Z: 7, Y: 8 };

/** Bytes per block from a header column: "1-blocks", "1B-blocks", "1K-blocks", "1024-blocks", "512-blocks", "1MB-blocks". */
function blockSize(header: string): number | null {
  const m = /\b(\d+)([KMGTPEZY]?)(B?)-blocks\b/i.exec(header);
  if (!m) return null;
  const unit = (m[2] ?? '').toUpperCase();
  const power = unit === '' ? 0 : (UNIT_POWER[unit] ?? 0);
  const base = m[3] && unit !== '' ? 1000 : 1024;
  return Number(m[1]) * base ** power;
}

/** "271G", "1.5T", "512K", "0", "4.1k" → bytes, with `base` 1000 (`df -H`) or 1024 (`df -h`). */
function humanBytes(s: string, base: number): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMGTPEZY]?)i?B?$/i.exec(s);
  if (!m) return null;
  const unit = (m[2] ?? '').toUpperCase();
  return Math.round(Number(m[1]) * base ** (unit === '' ? 0 : (UNIT_POWER[unit] ?? 0)));
}

/**
 * Parses `df -P -B1`, `df -Pk`, `df -H` / `df -h` output (header line first) into byte figures.
 * Long filesystem names that old df (CentOS 5/6, without -P) wraps onto their own line are joined
 * with the numbers on the next line. Human sizes use `opts.human` as base (default 1000, as `df -H`).
 * Lines that are not filesystem rows are skipped.
 */
export function parseDf(text: string, opts: { human?: 1000 | 1024 } = {}): DfRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const headerAt = lines.findIndex((l) => /^Filesystem\b/i.test(l.trim()));
  const header = headerAt >= 0 ? (lines[headerAt] ?? '') : '';
  const block = blockSize(header);
  const human = block === null && /\bSize\b/i.test(header);
  const toBytes = (s: string): number | null =>
    human ? humanBytes(s, opts.human ?? 1000) : /^\d+$/.test(s) ? Number(s) * (block ?? 1024) : null;

  const rows: DfRow[] = [];
  const body = lines.slice(headerAt + 1);
  for (let i = 0; i < body.length; i++) {
    let tokens = (body[i] ?? '').trim().split(/\s+/);
    // Wrapped row: the name alone, then an indented line with the figures.
    if (tokens.length === 1 && i + 1 < body.length && /^\s/.test(body[i + 1] ?? '')) {
      tokens = [...tokens, ...(body[i + 1] ?? '').trim().split(/\s+/)];
      i++;
    }
    if (tokens.length < 6) continue;
    const [filesystem, sizeT, usedT, availT, pctT] = tokens as [string, string, string, string, string];
    const size = toBytes(sizeT);
    const used = toBytes(usedT);
    const avail = toBytes(availT);
    if (size === null || used === null || avail === null) continue;
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(pctT);
    const usePct = pct ? Number(pct[1]) : used + avail > 0 ? Math.ceil((used * 100) / (used + avail)) : 0;
    rows.push({
      filesystem,
      size_bytes: size,
      used_bytes: used,
      avail_bytes: avail,
      use_pct: Math.min(100, usePct),
      mount: tokens.slice(5).join(' '),
    });
  }
  return rows;
}
