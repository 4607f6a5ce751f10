/** AMI action handlers that need no session state (§1.4, §1.6, §2, §5.7, §6.1); lists live in lists.ts. */
import { runCli } from './cli-commands';
import { coreShowChannels, pjsipShowEndpoints, sipPeers, sipShowPeer } from './lists';
import type { SimState } from './sim-state';
import type { ReloadVia } from './system-events';
import { type ActionMessage, type Fields, frame, idField, response, timestamp } from './wire';

/** One action handler: returns the bytes to write. */
export type ActionHandler = (s: SimState, m: ActionMessage, hooks: ActionHooks) => string;

/** Side effects an action may trigger on the simulator. */
export interface ActionHooks {
  onReload(module: string, via: ReloadVia): void;
}

/** Ping (§1.4): no Message line; `Timestamp: <sec>.<usec6>` on 1.8+. */
function ping(s: SimState, m: ActionMessage): string {
  return frame([
    ['Response', 'Success'],
    ...idField(m.actionId()),
    ['Ping', 'Pong'],
    ['Timestamp', timestamp(s.now())],
  ]);
}

/** CoreSettings (§1.6): identical field list in 1.8/11/13, no Message line. */
function coreSettings(s: SimState, m: ActionMessage): string {
  return frame([
    ['Response', 'Success'],
    ...idField(m.actionId()),
    ['AMIversion', s.profile.amiVersion],
    ['AsteriskVersion', s.profile.asteriskVersion],
    ['SystemName', ''],
    ['CoreMaxCalls', '0'],
    ['CoreMaxLoadAvg', '0.000000'],
    ['CoreRunUser', 'asterisk'],
    ['CoreRunGroup', 'asterisk'],
    ['CoreMaxFilehandles', '0'],
    ['CoreRealTimeEnabled', 'No'],
    ['CoreCDRenabled', 'Yes'],
    ['CoreHTTPenabled', 'No'],
  ]);
}

const BLACKLIST = ['module load', 'module unload', 'restart gracefully'];

/** Command (§2): 1.8–13 `Follows` with LF-only body and `--END COMMAND--`; 14+ `Output:` lines. */
function command(s: SimState, m: ActionMessage, hooks: ActionHooks): string {
  const id = m.actionId();
  const cmd = m.get('Command');
  if (!cmd) return response('Error', id, { message: 'No command provided' });
  const norm = cmd.trim().replace(/\s+/g, ' ').toLowerCase();
  if (BLACKLIST.some((b) => norm.startsWith(b)))
    return response('Error', id, { message: 'Command blacklisted' });
  const res = runCli(cmd, {
    profile: s.profile,
    peers: s.peers,
    channels: s.channels,
    astdb: s.astdb,
    counters: s.counters,
    now: s.now(),
    startedAt: s.startedAt,
    reloadedAt: s.reloadedAt,
    onReload: hooks.onReload,
  });
  if (s.profile.commandFormat === 'follows') {
    // Order Response → Privilege → ActionID is what FreePBX's parser depends on (§2.1).
    return `Response: Follows\r\nPrivilege: Command\r\n${id ? `ActionID: ${id}\r\n` : ''}${res.text}--END COMMAND--\r\n\r\n`;
  }
  // 14+ (§2.2): drop one trailing newline, one Output line per line (empty output ⇒ one empty Output).
  const body = res.text.endsWith('\n') ? res.text.slice(0, -1) : res.text;
  const f: Fields = [
    ['Response', res.ok ? 'Success' : 'Error'],
    ...idField(id),
    ['Message', 'Command output follows'],
  ];
  for (const line of body.split('\n')) f.push(['Output', line]);
  return frame(f);
}

/** DBGet (§6.1): 1.8–13.1 layout vs the 13.2+ EventList layout (Appendix A.1/A.2). */
function dbGet(s: SimState, m: ActionMessage): string {
  const id = m.actionId();
  const family = m.get('Family');
  const key = m.get('Key');
  if (!family) return response('Error', id, { message: 'No family specified.' });
  if (!key) return response('Error', id, { message: 'No key specified.' });
  const val = s.astdb.get(family, key);
  if (val === undefined) return response('Error', id, { message: 'Database entry not found' });
  const item = frame([
    ['Event', 'DBGetResponse'],
    ['Family', family],
    ['Key', key],
    ['Val', val],
    ...idField(id),
  ]);
  if (s.profile.dbGetEventList) {
    return (
      response('Success', id, { eventList: 'start', message: 'Result will follow' }) +
      item +
      frame([['Event', 'DBGetComplete'], ...idField(id), ['EventList', 'Complete'], ['ListItems', '1']])
    );
  }
  return (
    response('Success', id, { message: 'Result will follow' }) +
    item +
    frame([['Event', 'DBGetComplete'], ...idField(id)])
  );
}

/** DBPut (§6.1): missing Val stores an empty string; messages without trailing period. */
function dbPut(s: SimState, m: ActionMessage): string {
  const id = m.actionId();
  const family = m.get('Family');
  const key = m.get('Key');
  if (!family) return response('Error', id, { message: 'No family specified' });
  if (!key) return response('Error', id, { message: 'No key specified' });
  if (!s.astdb.put(family, key, m.get('Val') ?? ''))
    return response('Error', id, { message: 'Failed to update entry' });
  return response('Success', id, { message: 'Updated database successfully' });
}

/** DBDel (§6.1): the 1.8 (not found) vs 10+ (always success) trap lives in SimAstDb.del. */
function dbDel(s: SimState, m: ActionMessage): string {
  const id = m.actionId();
  const family = m.get('Family');
  const key = m.get('Key');
  if (!family) return response('Error', id, { message: 'No family specified.' });
  if (!key) return response('Error', id, { message: 'No key specified.' });
  return s.astdb.del(family, key)
    ? response('Success', id, { message: 'Key deleted successfully' })
    : response('Error', id, { message: 'Database entry not found' });
}

/** DBDelTree (§6.1, prefix + '/' rule §6.2). */
function dbDelTree(s: SimState, m: ActionMessage): string {
  const id = m.actionId();
  const family = m.get('Family');
  if (!family) return response('Error', id, { message: 'No family specified.' });
  const n = s.astdb.delTree(family, m.get('Key') || undefined);
  if (n < 0) return response('Error', id, { message: 'Database unavailable' });
  if (n === 0) return response('Error', id, { message: 'Database entry not found' });
  return response('Success', id, { message: 'Key tree deleted successfully' });
}

/** Reload (§5.7): `Module Reloaded`, or `No such module` for a module this box does not load. */
function reload(s: SimState, m: ActionMessage, hooks: ActionHooks): string {
  const id = m.actionId();
  const mod = m.get('Module');
  const known = [
    'manager',
    'cdr',
    'res_musiconhold',
    'res_musiconhold.so',
    'pbx_config',
    'pbx_config.so',
    'app_queue',
    'app_queue.so',
    'features',
    'dnsmgr',
    'enum',
    'http',
    'logger',
    'rtp',
    'udptl',
  ];
  if (s.profile.chanSip) known.push('chan_sip', 'chan_sip.so');
  if (s.profile.pjsip) known.push('res_pjsip', 'res_pjsip.so', 'chan_pjsip', 'chan_pjsip.so');
  if (mod && !known.includes(mod.toLowerCase())) return response('Error', id, { message: 'No such module' });
  hooks.onReload(mod || 'All', 'manager');
  return response('Success', id, { message: 'Module Reloaded' });
}

/** The action table of a simulator instance (lower-cased names; chan_sip/pjsip ones per profile). */
export function actionTable(s: SimState): Map<string, ActionHandler> {
  const t = new Map<string, ActionHandler>([
    ['ping', ping],
    ['coresettings', coreSettings],
    ['command', command],
    ['dbget', dbGet],
    ['dbput', dbPut],
    ['dbdel', dbDel],
    ['dbdeltree', dbDelTree],
    ['reload', reload],
    ['coreshowchannels', (st, m) => coreShowChannels(st, m.actionId())],
  ]);
  if (s.profile.chanSip) {
    t.set('sippeers', (st, m) => sipPeers(st, m.actionId()));
    t.set('sipshowpeer', (st, m) => sipShowPeer(st, m.actionId(), m.get('Peer')));
  }
  if (s.profile.pjsip) t.set('pjsipshowendpoints', (st, m) => pjsipShowEndpoints(st, m.actionId()));
  return t;
}
