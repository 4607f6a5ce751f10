import type { AmiMessage } from '../pbx/ami/types';

/**
 * A cdr_manager `Cdr` event (reference §5.5, same field list 1.8 → 13) as a record keyed by the
 * cdr table's own column names, so cdr.new and cdr.query rows look alike. StartTime becomes
 * `calldate` (the CDR start, local time, as the table stores it).
 */
export function cdrFromEvent(m: AmiMessage): Record<string, string | number> {
  const h = m.headers;
  const num = (v: string | undefined) => (v !== undefined && /^-?\d+$/.test(v.trim()) ? Number(v) : 0);
  const rec: Record<string, string | number> = {
    calldate: h.starttime ?? '',
    clid: h.callerid ?? '',
    src: h.source ?? '',
    dst: h.destination ?? '',
    dcontext: h.destinationcontext ?? '',
    channel: h.channel ?? '',
    dstchannel: h.destinationchannel ?? '',
    lastapp: h.lastapplication ?? '',
    lastdata: h.lastdata ?? '',
    duration: num(h.duration),
    billsec: num(h.billableseconds),
    disposition: h.disposition ?? '',
    amaflags: AMA[h.amaflags ?? ''] ?? num(h.amaflags),
    accountcode: h.accountcode ?? '',
    uniqueid: h.uniqueid ?? '',
    userfield: h.userfield ?? '',
    answer: h.answertime ?? '',
    end: h.endtime ?? '',
  };
  // [mappings] custom fields of cdr_manager.conf come after UserField; keep them under their names.
  const known = new Set([
    'starttime',
    'callerid',
    'source',
    'destination',
    'destinationcontext',
    'channel',
    'destinationchannel',
    'lastapplication',
    'lastdata',
    'duration',
    'billableseconds',
    'disposition',
    'amaflags',
    'accountcode',
    'uniqueid',
    'userfield',
    'answertime',
    'endtime',
    'privilege',
    'timestamp',
    'event',
  ]);
  for (const [k, v] of Object.entries(h)) if (!known.has(k) && /^[a-z_][a-z0-9_]*$/.test(k)) rec[k] = v;
  return rec;
}

/** AMA flag names as cdr_manager prints them → the numbers the cdr table stores (reference §8.1). */
const AMA: Record<string, number> = { OMIT: 1, BILLING: 2, DOCUMENTATION: 3 };
