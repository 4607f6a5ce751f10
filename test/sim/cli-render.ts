/** CLI text renderers: the exact printf layouts of §7 (`core show channels`, `sip show peers`) and §6.3. */
import type { PeerSpec, SimChannel } from './model';
import { peerOnline, peerStatusText, sortedPeers, stateDesc } from './model';
import type { DialectProfile } from './profiles';

/** printf `%-W.Ps` (left, truncated to P) / `%-Ws` (no truncation when P undefined). */
export function left(s: string, width: number, prec?: number): string {
  const t = prec === undefined ? s : s.slice(0, prec);
  return t.length >= width ? t : t + ' '.repeat(width - t.length);
}

/** printf `%W.Ps` / `%Wd` (right-aligned). */
export function right(s: string, width: number, prec?: number): string {
  const t = prec === undefined ? s : s.slice(0, prec);
  return t.length >= width ? t : ' '.repeat(width - t.length) + t;
}

/** `ESS(x)`: plural suffix. */
function ess(n: number): string {
  return n === 1 ? '' : 's';
}

function hms(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** Seconds since the channel's start (the CDR start on 1.8/11, creation on 12+, §4.1/§4.2). */
export function channelSeconds(ch: SimChannel, now: number): number {
  return Math.max(0, Math.floor((now - ch.createdAt) / 1000));
}

/** `HH:MM:SS` duration used in CoreShowChannel and the verbose CLI (§4, §7.1). */
export function channelDuration(ch: SimChannel, now: number): string {
  return hms(channelSeconds(ch, now));
}

/** Counters for the `core show channels` trailer (§7.1). */
export interface CallCounters {
  activeCalls: number;
  processed: number;
  maxCalls?: number;
}

function trailer(chans: readonly SimChannel[], c: CallCounters): string {
  let s = `${chans.length} active channel${ess(chans.length)}\n`;
  if (c.maxCalls) {
    const pct = ((c.activeCalls / c.maxCalls) * 100).toFixed(2).padStart(5, ' ');
    s += `${c.activeCalls} of ${c.maxCalls} max active call${ess(c.activeCalls)} (${pct}% of capacity)\n`;
  } else {
    s += `${c.activeCalls} active call${ess(c.activeCalls)}\n`;
  }
  return `${s}${c.processed} call${ess(c.processed)} processed\n`;
}

/** `core show channels` (default layout, §7.1). */
export function renderCoreShowChannels(
  p: DialectProfile,
  chans: readonly SimChannel[],
  c: CallCounters,
): string {
  const row = (a: string, b: string, st: string, app: string) =>
    `${left(a, 20, 20)} ${left(b, 20, 20)} ${left(st, 7, 7)} ${left(app, 30, 30)}\n`;
  let s = row('Channel', 'Location', 'State', 'Application(Data)');
  for (const ch of chans) {
    // 1.8/11: `exten@context:prio` when both are set. 12/13 test `!cs->context && !cs->exten` on string
    // fields that are never NULL, so the Location column always reads `(None)` (main/cli.c handle_chanlist).
    const known = ch.context !== '' && ch.exten !== '';
    const loc = known && !p.cliLocationAlwaysNone ? `${ch.exten}@${ch.context}:${ch.priority}` : '(None)';
    const app = ch.app ? `${ch.app}(${ch.appData})` : '(None)';
    s += row(ch.name, loc, stateDesc(ch.state), app);
  }
  return s + trailer(chans, c);
}

/** `core show channels verbose` (§7.1): BridgedTo (1.8/11) or BridgeID (12+) in the last column. */
export function renderCoreShowChannelsVerbose(
  p: DialectProfile,
  chans: readonly SimChannel[],
  c: CallCounters,
  now: number,
): string {
  const row = (f: string[], prio: string) =>
    `${left(f[0]!, 20, 20)} ${left(f[1]!, 20, 20)} ${left(f[2]!, 16, 16)} ${prio} ${left(f[3]!, 7, 7)} ` +
    `${left(f[4]!, 12, 12)} ${left(f[5]!, 25, 25)} ${left(f[6]!, 15, 15)} ${right(f[7]!, 8, 8)} ` +
    `${left(f[8]!, 11, 11)} ${left(f[9]!, 11, 11)} ${left(f[10]!, 20, 20)}\n`;
  let s = row(
    [
      'Channel',
      'Context',
      'Extension',
      'State',
      'Application',
      'Data',
      'CallerID',
      'Duration',
      'Accountcode',
      'PeerAccount',
      p.cliBridgeHeader,
    ],
    left('Priority', 4, 4),
  );
  const legacy = p.channelEvents === 'legacy';
  for (const ch of chans) {
    const bridge = legacy ? (ch.bridgedTo?.name ?? '(None)') : ch.bridgeId;
    // 1.8/11: `c->data ? S_OR(c->data, "(Empty)") : "(None)"`; 12+: `S_OR(cs->data, "(Empty)")`.
    const data = ch.appData !== '' ? ch.appData : ch.app || !legacy ? '(Empty)' : '(None)';
    s += row(
      [
        ch.name,
        ch.context,
        ch.exten,
        stateDesc(ch.state),
        ch.app || '(None)',
        data,
        ch.callerNum,
        channelDuration(ch, now),
        ch.accountCode,
        '',
        bridge,
      ],
      right(String(ch.priority), 4),
    );
  }
  return s + trailer(chans, c);
}

/** `core show channels concise` (§7.1): 14 `!`-separated fields, no header, no trailer. */
export function renderCoreShowChannelsConcise(
  p: DialectProfile,
  chans: readonly SimChannel[],
  now: number,
): string {
  const legacy = p.channelEvents === 'legacy';
  let s = '';
  for (const ch of chans) {
    const bridge = legacy ? (ch.bridgedTo?.name ?? '(None)') : ch.bridgeId;
    s += `${[
      ch.name,
      ch.context,
      ch.exten,
      String(ch.priority),
      stateDesc(ch.state),
      ch.app || '(None)',
      ch.appData,
      ch.callerNum,
      ch.accountCode,
      '',
      '3',
      String(channelSeconds(ch, now)),
      bridge,
      ch.uniqueid,
    ].join('!')}\n`;
  }
  return s;
}

function yesNoAuto(f: PeerSpec['forcerport']): string {
  return f === 'yes' ? 'Yes' : f === 'auto-yes' ? 'Auto (Yes)' : f === 'auto-no' ? 'Auto (No)' : 'No';
}

/** `sip show peers` (§7.2) in the dialect's printf variant, with the summary trailer. */
export function renderSipShowPeers(p: DialectProfile, peers: readonly PeerSpec[]): string {
  const list = sortedPeers(peers).filter((x) => x.type !== 'user');
  let s: string;
  const rows: string[] = [];
  if (p.sipShowPeers === '1.8.23') {
    // 1.8.23–1.8.32: "%-25.25s %-39.39s %-3.3s %-10.10s %-3.3s %-8s %-10s %s\n"
    const f = (a: string, b: string, c: string, d: string, e: string, g: string, h: string, i: string) =>
      `${left(a, 25, 25)} ${left(b, 39, 39)} ${left(c, 3, 3)} ${left(d, 10, 10)} ${left(e, 3, 3)} ${left(g, 8)} ${left(h, 10)} ${i}\n`;
    s = f('Name/username', 'Host', 'Dyn', 'Forcerport', 'ACL', 'Port', 'Status', '');
    for (const x of list) {
      rows.push(
        f(
          nameCol(x),
          x.ip ?? '(Unspecified)',
          x.dynamic ? ' D ' : '   ',
          x.forcerport === 'yes' || x.forcerport === 'auto-yes' ? ' N ' : '   ',
          x.acl ? ' A ' : '   ',
          String(x.ip ? (x.port ?? 0) : 0),
          peerStatusText(x),
          x.realtime ? 'Cached RT' : '',
        ),
      );
    }
  } else {
    // 11.8–11.25 / 12 / 13: "%-25.25s %-39.39s %-3.3s %-10.10s %-10.10s %-3.3s %-8s %-11s %-32.32s %s\n"
    const f = (v: string[]) =>
      `${left(v[0]!, 25, 25)} ${left(v[1]!, 39, 39)} ${left(v[2]!, 3, 3)} ${left(v[3]!, 10, 10)} ${left(v[4]!, 10, 10)} ` +
      `${left(v[5]!, 3, 3)} ${left(v[6]!, 8)} ${left(v[7]!, 11)} ${left(v[8]!, 32, 32)} ${v[9]!}\n`;
    s = f([
      'Name/username',
      'Host',
      'Dyn',
      'Forcerport',
      'Comedia',
      'ACL',
      'Port',
      'Status',
      'Description',
      '',
    ]);
    for (const x of list) {
      rows.push(
        f([
          nameCol(x),
          x.ip ?? '(Unspecified)',
          x.dynamic ? ' D ' : '   ',
          yesNoAuto(x.forcerport),
          yesNoAuto(x.comedia),
          x.acl ? ' A ' : '   ',
          String(x.ip ? (x.port ?? 0) : 0),
          peerStatusText(x),
          x.description ?? '',
          x.realtime ? 'Cached RT' : '',
        ]),
      );
    }
  }
  let monOn = 0;
  let monOff = 0;
  let unOn = 0;
  let unOff = 0;
  for (const x of list) {
    const mon = (x.status ?? 'unmonitored') !== 'unmonitored';
    const on = peerOnline(x);
    if (mon) on ? monOn++ : monOff++;
    else on ? unOn++ : unOff++;
  }
  s += rows.join('');
  return `${s}${list.length} sip peers [Monitored: ${monOn} online, ${monOff} offline Unmonitored: ${unOn} online, ${unOff} offline]\n`;
}

/** Name column: `name/username` when a username is known, else `name` (§7.2). */
function nameCol(x: PeerSpec): string {
  return x.username ? `${x.name}/${x.username}` : x.name;
}

/** `database show` lines `"%-50s: %-25s\n"` then `<n> results found.` (§6.3). */
export function renderDatabaseShow(entries: ReadonlyArray<[string, string]>): string {
  let s = '';
  for (const [k, v] of entries) s += `${left(k, 50)}: ${left(v, 25)}\n`;
  return `${s}${entries.length} results found.\n`;
}

/**
 * `core show uptime` — UNCONFIRMED: not in the reference; follows main/asterisk.c print_uptimestr as
 * remembered: pieces "N year(s)/week(s)/day(s)/hour(s)/minute(s)/second(s)" joined by ", ", each piece
 * followed by a space (so the line ends in a space), prefixes `System uptime` and `Last reload`.
 */
export function renderUptime(uptimeSec: number, reloadSec: number, seconds = false): string {
  if (seconds) return `System uptime: ${uptimeSec}\nLast reload: ${reloadSec}\n`;
  return `System uptime: ${uptimeStr(uptimeSec)}\nLast reload: ${uptimeStr(reloadSec)}\n`;
}

function uptimeStr(total: number): string {
  const units: Array<[number, string]> = [
    [365 * 86400, 'year'],
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  let t = Math.max(0, Math.floor(total));
  let out = '';
  for (const [size, name] of units) {
    // Asterisk tests `> UNIT`, so exactly 60 s prints "60 seconds".
    if (t > size) {
      const x = Math.floor(t / size);
      t -= x * size;
      out += `${x} ${name}${ess(x)}${t ? ',' : ''} `;
    }
  }
  if (t > 0 || out === '') out += `${t} second${ess(t)} `;
  return out;
}
