/**
 * Parsers for `core show channels verbose` and `core show channels concise` (reference §7.1): fixed-width
 * columns located from the header (so 80-column 11 rows and wider 20 rows both parse, §15/§16), truncated
 * cells flagged, BridgedTo (1.8–11) vs BridgeID (12+), and the trailer counts.
 */
import { type Column, cellValue, cliLines, columnsFromHeader, columnsFromWidths } from './columns';

/** A dialect hint: `'1.8' | '11' | '13' | '16'` or the major version number (1 for 1.8). */
export type CliDialectHint = string | number;

/** One channel row. */
export interface CliChannel {
  channel: string;
  context: string;
  extension: string;
  priority: number | null;
  state: string;
  /** Empty when the CLI printed `(None)`. */
  application: string;
  /** Empty when the CLI printed `(Empty)` or `(None)`. */
  data: string;
  callerId: string;
  /** Seconds; null when the CLI printed `-`. */
  durationSec: number | null;
  accountCode: string;
  peerAccount: string;
  /** 1.8/11: the bridged channel's name ('' for `(None)`). */
  bridgedTo: string;
  /** 12+: the bridge id ('' when not bridged). */
  bridgeId: string;
  /** Present in concise output only. */
  uniqueid?: string;
  amaFlags?: number;
  /** Columns whose value filled the column width, so the value may be cut (`%-W.Ws`). */
  truncated: string[];
}

/** Parsed `core show channels [verbose|concise]`. */
export interface CoreShowChannels {
  channels: CliChannel[];
  /** Which last column the output had (or the hint implied). */
  bridgeColumn: 'BridgedTo' | 'BridgeID';
  activeChannels: number | null;
  activeCalls: number | null;
  maxCalls: number | null;
  callsProcessed: number | null;
}

const VERBOSE = [
  'Channel',
  'Context',
  'Extension',
  'Prio',
  'State',
  'Application',
  'Data',
  'CallerID',
  'Duration',
  'Accountcode',
  'PeerAccount',
] as const;
// §7.1: "%-20.20s %-20.20s %-16.16s %-4.4s %-7.7s %-12.12s %-25.25s %-15.15s %8.8s %-11.11s %-11.11s %-20.20s"
const VERBOSE_WIDTHS = [20, 20, 16, 4, 7, 12, 25, 15, 8, 11, 11, 20];

function isLegacy(hint: CliDialectHint | undefined): boolean | undefined {
  if (hint === undefined) return undefined;
  const major = typeof hint === 'number' ? hint : Number.parseInt(hint, 10);
  if (!Number.isFinite(major)) return undefined;
  return major < 12;
}

/** `HH:MM:SS` (hours may exceed 99) → seconds; `-` or junk → null. */
export function parseHms(s: string): number | null {
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(s);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

const TRAILER = [
  /^(\d+) active channels?$/,
  /^(\d+) of (\d+) max active calls? \(\s*([\d.]+)% of capacity\)$/,
  /^(\d+) active calls?$/,
  /^(\d+) calls? processed$/,
];

/** Applies a trailer line to `out`; returns false if the line is not a trailer line. */
function trailer(line: string, out: CoreShowChannels): boolean {
  const t = line.trim();
  const [chans, ofMax, calls, processed] = TRAILER.map((re) => re.exec(t));
  if (chans) out.activeChannels = Number(chans[1]);
  else if (ofMax) {
    out.activeCalls = Number(ofMax[1]);
    out.maxCalls = Number(ofMax[2]);
  } else if (calls) out.activeCalls = Number(calls[1]);
  else if (processed) out.callsProcessed = Number(processed[1]);
  else return false;
  return true;
}

const none = (s: string) => (s === '(None)' ? '' : s);

/** Parses `core show channels verbose`; lines that are neither header, row nor trailer are ignored. */
export function parseCoreShowChannelsVerbose(
  text: string,
  opts: { dialect?: CliDialectHint } = {},
): CoreShowChannels {
  const lines = cliLines(text);
  const legacyHint = isLegacy(opts.dialect);
  const out: CoreShowChannels = {
    channels: [],
    bridgeColumn: legacyHint === false ? 'BridgeID' : 'BridgedTo',
    activeChannels: null,
    activeCalls: null,
    maxCalls: null,
    callsProcessed: null,
  };
  let cols: Column[] | undefined;
  for (const line of lines) {
    if (line.trim() === '') continue;
    if (/^Channel\s+Context\s+Extension\s/.test(line)) {
      const last = /\b(BridgedTo|BridgeID)\b/.exec(line)?.[1] as 'BridgedTo' | 'BridgeID' | undefined;
      const found = columnsFromHeader(line, last ? [...VERBOSE, last] : VERBOSE);
      if (found) cols = found;
      if (found && last) out.bridgeColumn = last;
      continue;
    }
    if (trailer(line, out)) continue;
    cols ??= columnsFromWidths([...VERBOSE, out.bridgeColumn], VERBOSE_WIDTHS);
    out.channels.push(verboseRow(line, cols, out.bridgeColumn));
  }
  return out;
}

function verboseRow(line: string, cols: Column[], bridgeColumn: 'BridgedTo' | 'BridgeID'): CliChannel {
  const truncated: string[] = [];
  const v = (k: number): string => {
    const c = cols[k];
    if (!c) return '';
    const r = cellValue(line, c);
    if (r.full && c.name !== 'Prio' && c.name !== 'Duration') truncated.push(c.name);
    return r.value;
  };
  const app = none(v(5));
  const data = v(6);
  const bridge = none(v(11));
  const prio = Number.parseInt(v(3), 10);
  return {
    channel: v(0),
    context: v(1),
    extension: v(2),
    priority: Number.isFinite(prio) ? prio : null,
    state: v(4),
    application: app,
    data: data === '(Empty)' || data === '(None)' ? '' : data,
    callerId: v(7),
    durationSec: parseHms(v(8)),
    accountCode: v(9),
    peerAccount: v(10),
    bridgedTo: bridgeColumn === 'BridgedTo' ? bridge : '',
    bridgeId: bridgeColumn === 'BridgeID' ? bridge : '',
    truncated,
  };
}

const UUIDISH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses `core show channels concise`: 14 `!`-separated fields per line, no header or trailer (§7.1).
 * A `!` inside the application data is kept there (the 6 leading and 7 trailing fields are fixed).
 * Field 13 is the bridged channel (1.8/11, `(None)` when not bridged) or the bridge id (12+); without a
 * dialect hint the value's shape decides.
 */
export function parseCoreShowChannelsConcise(
  text: string,
  opts: { dialect?: CliDialectHint } = {},
): CliChannel[] {
  const legacyHint = isLegacy(opts.dialect);
  const out: CliChannel[] = [];
  for (const line of cliLines(text)) {
    const parts = line.split('!');
    if (parts.length < 14) continue;
    const head = parts.slice(0, 6);
    const tail = parts.slice(parts.length - 7);
    const data = parts.slice(6, parts.length - 7).join('!');
    const [channel, context, extension, prio, state, app] = head as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const [callerId, accountCode, peerAccount, ama, dur, bridged, uniqueid] = tail as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const legacy =
      legacyHint ??
      (bridged === '(None)' || bridged.includes('/') || (bridged !== '' && !UUIDISH.test(bridged)));
    const p = Number.parseInt(prio, 10);
    const d = Number.parseInt(dur, 10);
    const a = Number.parseInt(ama, 10);
    out.push({
      channel,
      context,
      extension,
      priority: Number.isFinite(p) ? p : null,
      state,
      application: none(app),
      data,
      callerId,
      accountCode,
      peerAccount,
      amaFlags: Number.isFinite(a) ? a : undefined,
      durationSec: /^\d+$/.test(dur) ? d : null,
      bridgedTo: legacy ? none(bridged) : '',
      bridgeId: legacy ? '' : bridged,
      uniqueid,
      truncated: [],
    });
  }
  return out;
}
