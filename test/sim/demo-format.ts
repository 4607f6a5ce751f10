/**
 * The demo's feed: one readable line per MQTT message an agent publishes, as a consumer would want to read
 * it (`call.started 100 Alice → 102 (internal)`, `peer.status 102 unreachable (was ok)`). Pure; colors optional.
 */
import { parseTopic } from '../../protocol/src/topics';

/** ANSI styles used by the feed (empty strings when color is off). */
interface Paint {
  dim(s: string): string;
  bold(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

const code = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const same = (s: string) => s;

/** Styles for a terminal (`color` true) or for plain text. */
export function paint(color: boolean): Paint {
  if (!color)
    return { dim: same, bold: same, green: same, red: same, yellow: same, cyan: same, magenta: same };
  return {
    dim: code(2, 22),
    bold: code(1, 22),
    green: code(32, 39),
    red: code(31, 39),
    yellow: code(33, 39),
    cyan: code(36, 39),
    magenta: code(35, 39),
  };
}

type J = Record<string, any>;

// Strip control characters so a hostile payload cannot drive the terminal.
function clean(s: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip
  return String(s ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function party(p: J | undefined): string {
  if (!p) return '?';
  const num = p.number ? clean(p.number) : '?';
  return p.name ? `${num} ${clean(p.name)}` : num;
}

function secs(n: unknown): string {
  return typeof n === 'number' ? `${n.toFixed(1)} s` : '? s';
}

function gb(bytes: unknown): string {
  return typeof bytes === 'number' ? `${(bytes / 1e9).toFixed(1)} GB` : '?';
}

function countBy(items: J[], key: string): string {
  const m = new Map<string, number>();
  for (const i of items) m.set(clean(i[key]), (m.get(clean(i[key])) ?? 0) + 1);
  return [...m].map(([k, n]) => `${n} ${k}`).join(', ');
}

function statusWord(s: string, c: Paint): string {
  if (s === 'ok' || s === 'online' || s === 'registered' || s === 'reachable') return c.green(s);
  if (s === 'down' || s === 'unreachable' || s === 'offline') return c.red(s);
  return c.yellow(s);
}

function callLine(type: string, d: J, c: Paint): string {
  const call: J = d.call ?? {};
  const who = `${party(call.from)} → ${party(call.to)}`;
  if (type === 'call.started') return `${c.cyan('call.started')} ${who} (${clean(call.direction)})`;
  if (type === 'call.updated') {
    const what = d.change && d.change !== call.state ? ` (${clean(d.change)})` : '';
    return `${c.cyan('call.updated')} ${who} ${clean(call.state)}${c.dim(what)}`;
  }
  const end: J = d.end ?? {};
  const talk = call.answered_at ? `${secs(call.talk_s)} talk` : `${secs(call.ring_s)} ringing`;
  const q =
    end.q850_code !== null && end.q850_code !== undefined
      ? ` Q.850 ${end.q850_code} ${clean(end.q850_text)}`
      : '';
  const reason = end.reason === 'completed' ? c.green(clean(end.reason)) : c.yellow(clean(end.reason));
  return `${c.cyan('call.ended')} ${who} (${clean(call.direction)}) ${reason} ${talk}${c.dim(q)}`;
}

function stateLine(name: string, d: J, c: Paint): string {
  const head = c.magenta(`state/${name}`);
  switch (name) {
    case 'peers': {
      const peers: J[] = Array.isArray(d.peers) ? d.peers : [];
      return `${head} ${d.count ?? peers.length} peers: ${countBy(peers, 'status')}`;
    }
    case 'calls': {
      const calls: J[] = Array.isArray(d.calls) ? d.calls : [];
      const list = calls.slice(0, 3).map((x) => `${party(x.from)} → ${party(x.to)} ${clean(x.state)}`);
      const more = calls.length > 3 ? ` (+${calls.length - 3})` : '';
      return `${head} ${d.count ?? calls.length} live call(s)${list.length ? `: ${list.join('; ')}${more}` : ''}`;
    }
    case 'health': {
      const comps = Object.entries((d.components ?? {}) as Record<string, J>).map(
        ([k, v]) => `${k} ${statusWord(clean(v.status), c)}${v.reason ? c.dim(` (${clean(v.reason)})`) : ''}`,
      );
      const ast = d.asterisk?.version ? ` · Asterisk ${clean(d.asterisk.version)}` : '';
      const rss = d.agent?.rss_mb !== undefined ? ` · agent ${clean(d.agent.rss_mb)} MB` : '';
      return `${head} ${comps.join(', ')}${ast}${rss}`;
    }
    case 'disks': {
      const r: J = d.root ?? {};
      return `${head} ${clean(r.mount ?? '/')} ${clean(r.use_pct)}% used, ${gb(r.avail_bytes)} free; ${Array.isArray(d.folders) ? d.folders.length : 0} folders sized`;
    }
    case 'firewall':
      return d.available === false
        ? `${head} not available${d.reason ? c.dim(` (${clean(d.reason)})`) : ''}`
        : `${head} iptables ${d.active ? 'active' : 'inactive'}, ${Array.isArray(d.chains) ? d.chains.length : 0} chains`;
    default:
      return `${head} ${clean(JSON.stringify(d)).slice(0, 120)}`;
  }
}

function eventLine(type: string, d: J, c: Paint): string {
  if (type.startsWith('call.')) return callLine(type, d, c);
  switch (type) {
    case 'peer.status': {
      const lat = typeof d.latency_ms === 'number' ? ` ${d.latency_ms} ms` : '';
      const was = d.previous_status ? c.dim(` (was ${clean(d.previous_status)})`) : '';
      return `${c.cyan('peer.status')} ${clean(d.name)} ${statusWord(clean(d.status), c)}${lat}${was}`;
    }
    case 'cdr.new':
      return `${c.cyan('cdr.new')} ${clean(d.src)} → ${clean(d.dst)} ${clean(d.disposition)} ${clean(d.billsec)} s billed${c.dim(` uniqueid ${clean(d.uniqueid)}`)}`;
    case 'link.shed':
    case 'outbox.dropped':
      return `${c.red(type)} ${clean(JSON.stringify(d))}`;
    default:
      return `${c.cyan(clean(type))} ${clean(JSON.stringify(d)).slice(0, 140)}`;
  }
}

/** One feed line for a message on `topic` under `prefix`, or undefined for topics the feed does not show. */
export function formatFeedLine(prefix: string, topic: string, payload: Buffer, c: Paint): string | undefined {
  const t = parseTopic(prefix, topic);
  if (!t || t.kind === 'cmd' || t.kind === 'blob') return undefined;
  let j: J;
  try {
    j = JSON.parse(payload.toString('utf8')) as J;
  } catch {
    return `${clean(topic)} ${payload.length} bytes (not JSON)`;
  }
  if (typeof j !== 'object' || j === null) return undefined;
  const time = c.dim(typeof j.ts === 'string' ? j.ts.slice(11, 23) : new Date().toISOString().slice(11, 23));
  const seq = typeof j.seq === 'number' ? c.dim(` #${j.seq}`) : '';
  let body: string;
  if (t.kind === 'status') {
    body = j.online
      ? `${c.bold(c.green('status online'))} ${clean(j.agent)} v${clean(j.version)} boot ${clean(j.boot_id).slice(0, 8)}`
      : `${c.bold(c.red('status offline'))} ${clean(j.agent)} (${clean(j.reason)})`;
  } else if (t.kind === 'state') body = stateLine(t.name, (j.data ?? {}) as J, c);
  else if (t.kind === 'event') body = eventLine(t.type, (j.data ?? {}) as J, c);
  else body = `reply/${clean(t.suffix)} ${j.ok === false ? c.red('error') : 'ok'} id=${clean(j.id)}`;
  return `${time}${seq} ${body}`;
}
