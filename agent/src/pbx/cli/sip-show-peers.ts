/**
 * Parser for chan_sip `sip show peers` (reference §7.2) in all its printf variants:
 * 1.8.0–1.8.22 (two spaces after the name), 1.8.23–1.8.32, 11.0–11.7 (Description, no Comedia) and
 * 11.8+/12/13 (Comedia + Description). The fixed columns (name, host, Dyn, Forcerport, Comedia, ACL) are
 * located from the header; Port and Status are `%-8s`/`%-10s`/`%-11s` without truncation, so a long status
 * (`UNREACHABLE` in 1.8's 10-wide column, `LAGGED (1234 ms)`) pushes the rest of the row right — those are
 * read by shape, not by position.
 */
import { type Column, cellValue, cliLines, columnsFromHeader, columnsFromWidths } from './columns';

/** Which printf variant produced the text. */
export type SipShowPeersVariant = '1.8.0' | '1.8.23' | '11.0' | '11.8';

/** NAT setting as shown: `yes`/`no`, or `auto-*` for nat=auto_force_rport/auto_comedia. */
export type SipNatFlag = 'yes' | 'no' | 'auto-yes' | 'auto-no';

/** One peer row. */
export interface SipPeerRow {
  name: string;
  /** From `name/username`; undefined when the column holds just the name. */
  username?: string;
  /** The name column filled its 25 characters, so name/username may be cut. */
  nameTruncated: boolean;
  /** null for `(Unspecified)`. */
  host: string | null;
  dynamic: boolean;
  forcerport: SipNatFlag;
  /** 11.8+ only. */
  comedia?: SipNatFlag;
  acl: boolean;
  port: number;
  status: 'ok' | 'lagged' | 'unreachable' | 'unknown' | 'unmonitored' | 'other';
  statusText: string;
  latencyMs?: number;
  /** 11.x only. */
  description?: string;
  realtime: boolean;
}

/** The summary line counts. */
export interface SipPeersSummary {
  total: number;
  monitoredOnline: number;
  monitoredOffline: number;
  unmonitoredOnline: number;
  unmonitoredOffline: number;
}

/** Parsed `sip show peers`. */
export interface SipShowPeers {
  variant: SipShowPeersVariant;
  peers: SipPeerRow[];
  summary: SipPeersSummary | null;
}

const STATUS = /^(OK \((\d+) ms\)|LAGGED \((\d+) ms\)|UNREACHABLE|UNKNOWN|Unmonitored)/;
const SUMMARY =
  /^(\d+) sip peers \[Monitored: (\d+) online, (\d+) offline Unmonitored: (\d+) online, (\d+) offline\]/;

interface Layout {
  variant: SipShowPeersVariant;
  cols: Column[];
  statusWidth: number;
  descriptionWidth: number;
}

function layoutFromHeader(line: string): Layout | undefined {
  const comedia = /\bComedia\b/.test(line);
  const description = /\bDescription\b/.test(line);
  // Robustness beyond §7.2: accept an older `Nat` header word for the Forcerport column.
  const nat = /\bForcerport\b/.test(line) ? 'Forcerport' : 'Nat';
  const names = [
    'Name/username',
    'Host',
    'Dyn',
    nat,
    ...(comedia ? ['Comedia'] : []),
    'ACL',
    'Port',
    'Status',
  ];
  const found = columnsFromHeader(line, names);
  if (!found) return undefined;
  const cols = found.map((c) => (c.name === 'Nat' ? { ...c, name: 'Forcerport' } : c));
  const host = cols[1]!;
  const variant: SipShowPeersVariant = comedia
    ? '11.8'
    : description
      ? '11.0'
      : host.start === 27
        ? '1.8.0'
        : '1.8.23';
  // The name column is 25 wide whatever the gap; Host ends where Dyn starts.
  cols[0] = { ...cols[0]!, end: 25 };
  return {
    variant,
    cols,
    statusWidth: variant === '1.8.0' || variant === '1.8.23' ? 10 : 11,
    descriptionWidth: 32,
  };
}

/** Default layout when no header line is present (11.8+, the most common on Elastix 4 / FreePBX 13). */
function defaultLayout(): Layout {
  const names = ['Name/username', 'Host', 'Dyn', 'Forcerport', 'Comedia', 'ACL', 'Port', 'Status'];
  return {
    variant: '11.8',
    cols: columnsFromWidths(names, [25, 39, 3, 10, 10, 3, 8, 11]),
    statusWidth: 11,
    descriptionWidth: 32,
  };
}

function natFlag(raw: string, variant: SipShowPeersVariant): SipNatFlag {
  const v = raw.trim();
  if (variant === '11.8') {
    return v === 'Yes' ? 'yes' : v === 'Auto (Yes)' ? 'auto-yes' : v === 'Auto (No)' ? 'auto-no' : 'no';
  }
  // 1.8: ` N ` = forced rport; 11.0–11.7 also ` A ` / ` a ` for nat=auto_force_rport (§7.2).
  return v === 'N' ? 'yes' : v === 'A' ? 'auto-yes' : v === 'a' ? 'auto-no' : 'no';
}

function row(line: string, l: Layout): SipPeerRow | undefined {
  const at = (name: string) => l.cols.find((c) => c.name === name);
  const nameCell = cellValue(line, at('Name/username')!);
  if (nameCell.value === '') return undefined;
  const slash = nameCell.value.indexOf('/');
  const host = cellValue(line, at('Host')!).value;
  const portCol = at('Port')!;
  // From Port on, read by shape: port token, then the status text, then the fixed Description, then Realtime.
  const rest = line.slice(portCol.start);
  const pm = /^(\S*)\s*/.exec(rest)!;
  const statusStart = Math.max(9, pm[0].length);
  const st = STATUS.exec(rest.slice(statusStart));
  const statusText = st ? st[1]! : rest.slice(statusStart, statusStart + l.statusWidth).trim();
  let after = statusStart + Math.max(l.statusWidth, statusText.length) + 1;
  let description: string | undefined;
  if (l.variant === '11.0' || l.variant === '11.8') {
    description = rest.slice(after, after + l.descriptionWidth).trim();
    after += l.descriptionWidth + 1;
  }
  const realtime = rest.slice(after).trim();
  const status: SipPeerRow['status'] = !st
    ? 'other'
    : statusText.startsWith('OK')
      ? 'ok'
      : statusText.startsWith('LAGGED')
        ? 'lagged'
        : statusText === 'UNREACHABLE'
          ? 'unreachable'
          : statusText === 'UNKNOWN'
            ? 'unknown'
            : 'unmonitored';
  const latency = st?.[2] ?? st?.[3];
  const comediaCol = at('Comedia');
  const r: SipPeerRow = {
    name: slash >= 0 ? nameCell.value.slice(0, slash) : nameCell.value,
    nameTruncated: nameCell.full,
    host: host === '(Unspecified)' || host === '' ? null : host,
    dynamic: cellValue(line, at('Dyn')!).value === 'D',
    forcerport: natFlag(cellValue(line, at('Forcerport')!).value, l.variant),
    acl: cellValue(line, at('ACL')!).value === 'A',
    port: Number.parseInt(pm[1] ?? '', 10) || 0,
    status,
    statusText,
    realtime: realtime !== '',
  };
  if (slash >= 0) r.username = nameCell.value.slice(slash + 1);
  if (comediaCol) r.comedia = natFlag(cellValue(line, comediaCol).value, l.variant);
  if (latency !== undefined) r.latencyMs = Number(latency);
  if (description !== undefined) r.description = description;
  return r;
}

/** Parses `sip show peers` text (LF or CRLF lines). Unrecognised lines are skipped. */
export function parseSipShowPeers(text: string): SipShowPeers {
  let layout: Layout | undefined;
  const peers: SipPeerRow[] = [];
  let summary: SipPeersSummary | null = null;
  for (const line of cliLines(text)) {
    if (line.trim() === '') continue;
    if (line.startsWith('Name/username')) {
      layout = layoutFromHeader(line) ?? layout;
      continue;
    }
    const m = SUMMARY.exec(line.trim());
    if (m) {
      summary = {
        total: Number(m[1]),
        monitoredOnline: Number(m[2]),
        monitoredOffline: Number(m[3]),
        unmonitoredOnline: Number(m[4]),
        unmonitoredOffline: Number(m[5]),
      };
      continue;
    }
    layout ??= defaultLayout();
    const r = row(line, layout);
    if (r) peers.push(r);
  }
  return { variant: (layout ?? defaultLayout()).variant, peers, summary };
}
