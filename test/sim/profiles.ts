/**
 * Dialect profiles: every difference between the simulated Asterisk versions lives in this one table,
 * each entry citing the reference fact (../shared/reference/asterisk-freepbx-facts.md, "§n").
 */

/** The dialects the simulator speaks. */
export type Dialect = '1.8' | '11' | '13' | '16';

/** All dialects, in version order (for contract suites that loop over them). */
export const DIALECTS: readonly Dialect[] = ['1.8', '11', '13', '16'];

/** What differs between Asterisk versions on the AMI and CLI wire. */
export interface DialectProfile {
  readonly dialect: Dialect;
  /** `CoreSettings` AsteriskVersion (§1.6) and `core show version`. */
  readonly asteriskVersion: string;
  /** AMI_VERSION in the greeting `Asterisk Call Manager/<v>` (§0.3). */
  readonly amiVersion: string;
  /** chan_sip loaded: SIPpeers/SIPshowpeer/`sip show peers` exist (§16: 16 here is PJSIP-only). */
  readonly chanSip: boolean;
  /** chan_pjsip loaded: PJSIPShowEndpoints exists (§16). */
  readonly pjsip: boolean;
  /** `Command` reply: 1.8–13 `Response: Follows` … `--END COMMAND--`; 14+ `Output:` lines (§2, §14.1). */
  readonly commandFormat: 'follows' | 'output';
  /** List-complete events: ActionID last (≤13.1) or right after `Event:` (13.2+) (§3.1, §4.2, §14.3). */
  readonly listCompleteActionIdFirst: boolean;
  /** DBGet as an EventList (13.2+) or the old ack/events without EventList/ListItems (§6.1). */
  readonly dbGetEventList: boolean;
  /** DBDel on a missing key: 1.8 (BDB) reports not found; 10+ (SQLite) reports success (§6.1, §14.4). */
  readonly dbDelMissingSucceeds: boolean;
  /** DBDelTree prefix match is case-insensitive on 1.8 BDB, exact on SQLite (§6.2). */
  readonly dbTreeCaseInsensitive: boolean;
  /** PeerEntry field set (§3.1 table). */
  readonly peerEntry: '1.8' | '11' | '13.13';
  /** `sip show peers` printf variant (§7.2). */
  readonly sipShowPeers: '1.8.23' | '11.8';
  /** SIPshowpeer field set (§3.2). */
  readonly sipShowPeer: '1.8' | '11' | '13';
  /** Channel events and CoreShowChannel: 1.8/11 hand-written layouts or the 12+ snapshot block (§4, §5). */
  readonly channelEvents: 'legacy' | 'stasis';
  /** Hangup carries AccountCode before Cause (11.x only among legacy) (§5.2). */
  readonly hangupAccountCode: boolean;
  /** `Language:` in the 12+ channel block (13.2+) (§5.1). */
  readonly language: boolean;
  /** `Linkedid:` in the 12+ channel block (13.5+) (§5.1, §4.2). */
  readonly linkedid: boolean;
  /** `DialState` events exist (14.0+) (§5.3, §16). */
  readonly dialState: boolean;
  /** `BridgeVideoSourceMode` in the bridge block (13.13+) (§5.4). */
  readonly bridgeVideoSourceMode: boolean;
  /** Reachable/Lagged PeerStatus carry `Time:` (1.8/11 yes; 12/13 no — source-reading trap, §5.6). */
  readonly peerStatusTime: boolean;
  /** FullyBooted carries `Uptime`/`LastReload` before `Status` (16+) (§1.1, §5.7). */
  readonly fullyBootedUptime: boolean;
  /** HangupRequest precedes Hangup (12+ stasis paths, seen in §16 captures). */
  readonly hangupRequest: boolean;
  /** Default `core show channels` prints Location `(None)` for every row (12/13 main/cli.c NULL-test bug). */
  readonly cliLocationAlwaysNone: boolean;
  /** `core show channels verbose` last column header (§7.1). */
  readonly cliBridgeHeader: 'BridgedTo' | 'BridgeID';
  /** A cancelled call (caller hangs up while ringing): the Hangup cause Asterisk reports (§16). */
  readonly cancelCause: number;
  /** Privilege classes the version knows, in Asterisk's fixed order (§1). */
  readonly privilegeClasses: readonly string[];
}

const CLASSES_BASE = [
  'system',
  'call',
  'log',
  'verbose',
  'command',
  'agent',
  'user',
  'config',
  'dtmf',
  'reporting',
  'cdr',
  'dialplan',
  'originate',
  'agi',
  'cc',
  'aoc',
  'test',
];

const P18: DialectProfile = {
  dialect: '1.8',
  asteriskVersion: '1.8.32.3',
  amiVersion: '1.1',
  chanSip: true,
  pjsip: false,
  commandFormat: 'follows',
  listCompleteActionIdFirst: false,
  dbGetEventList: false,
  dbDelMissingSucceeds: false,
  dbTreeCaseInsensitive: true,
  peerEntry: '1.8',
  sipShowPeers: '1.8.23',
  sipShowPeer: '1.8',
  channelEvents: 'legacy',
  hangupAccountCode: false,
  language: false,
  linkedid: false,
  dialState: false,
  bridgeVideoSourceMode: false,
  peerStatusTime: true,
  fullyBootedUptime: false,
  hangupRequest: false,
  cliBridgeHeader: 'BridgedTo',
  cliLocationAlwaysNone: false,
  // chan_sip on CANCEL: the caller leg hangs up Normal Clearing (16) (§5.2 cause table; derived).
  cancelCause: 16,
  privilegeClasses: [...CLASSES_BASE, 'all'],
};

const P11: DialectProfile = {
  ...P18,
  dialect: '11',
  asteriskVersion: '11.25.3',
  amiVersion: '1.3',
  dbDelMissingSucceeds: true,
  dbTreeCaseInsensitive: false,
  peerEntry: '11',
  sipShowPeers: '11.8',
  sipShowPeer: '11',
  hangupAccountCode: true,
  privilegeClasses: [...CLASSES_BASE, 'message', 'all'],
};

const P13: DialectProfile = {
  ...P11,
  dialect: '13',
  asteriskVersion: '13.38.3',
  amiVersion: '2.10.6',
  listCompleteActionIdFirst: true,
  dbGetEventList: true,
  peerEntry: '13.13',
  sipShowPeer: '13',
  channelEvents: 'stasis',
  language: true,
  linkedid: true,
  bridgeVideoSourceMode: true,
  peerStatusTime: false,
  hangupRequest: true,
  cliBridgeHeader: 'BridgeID',
  cliLocationAlwaysNone: true,
  privilegeClasses: [...CLASSES_BASE, 'security', 'message', 'all'],
};

const P16: DialectProfile = {
  ...P13,
  dialect: '16',
  asteriskVersion: '16.30.0',
  amiVersion: '5.0.5',
  chanSip: false,
  pjsip: true,
  commandFormat: 'output',
  dialState: true,
  fullyBootedUptime: true,
  // 16's snapshot moved the dialplan fields; whether the 12/13 Location bug survived is UNCONFIRMED.
  cliLocationAlwaysNone: false,
  cancelCause: 127,
};

/** The profile table, keyed by dialect. */
export const PROFILES: Readonly<Record<Dialect, DialectProfile>> = {
  '1.8': P18,
  '11': P11,
  '13': P13,
  '16': P16,
};

/** True when `s` names a supported dialect. */
export function isDialect(s: unknown): s is Dialect {
  return s === '1.8' || s === '11' || s === '13' || s === '16';
}
