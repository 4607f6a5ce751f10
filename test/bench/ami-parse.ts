// `npm run bench -- ami-parse [--quick]`: the streaming framer against a naive split-everything baseline
// over the same realistic AMI traffic (issue 3). Ends with one JSON line (DESIGN.md "Benchmarks").
import { AmiFramer } from '../../agent/src/pbx/ami/framer';
import { chunked, makeTraffic } from './ami-parse-traffic';

const quick = process.argv.includes('--quick');
const TARGET = (quick ? 30 : 200) * 1024 * 1024;
const ROUNDS = quick ? 5 : 3;
/** What a typical subscriber (live state) listens to; dialplan noise and RTCP are not in it. */
const WANTED = new Set([
  'Newchannel',
  'Newstate',
  'Hangup',
  'DialBegin',
  'DialEnd',
  'BridgeEnter',
  'BridgeLeave',
  'PeerStatus',
]);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Full framing, bounded buffers, values copied out of the chunk. Returns the events seen. */
function runFramer(chunks: Buffer[], mode: 'full' | 'filtered' | 'none'): number {
  let n = 0;
  let sink = 0;
  const framer = new AmiFramer(
    {
      message: (m) => {
        n++;
        sink += m.headers.uniqueid?.length ?? 0;
      },
    },
    mode === 'full' ? {} : { wantEvent: mode === 'none' ? () => false : (name) => WANTED.has(name) },
  );
  for (const c of chunks) framer.push(c);
  framer.end();
  if (sink < 0) log('unreachable');
  return n;
}

/** The naive way: join everything, split on blank lines, then lines, then ': '. */
function runBaseline(chunks: Buffer[]): number {
  const text = Buffer.concat(chunks).toString('utf8');
  let n = 0;
  let sink = 0;
  for (const block of text.split('\r\n\r\n')) {
    if (block.length === 0) continue;
    const headers: Record<string, string> = {};
    for (const line of block.split('\r\n')) {
      const i = line.indexOf(': ');
      if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 2);
    }
    if (headers.event !== undefined) {
      n++;
      sink += headers.uniqueid?.length ?? 0;
    }
  }
  if (sink < 0) log('unreachable');
  return n;
}

/** Runs `fn` and returns its result and the CPU seconds it used (user + system): on a shared, busy machine
 * CPU time, unlike wall time, does not count the time other processes held the core. */
function time(fn: () => number): { n: number; s: number } {
  const c0 = process.cpuUsage();
  const n = fn();
  const c = process.cpuUsage(c0);
  return { n, s: (c.user + c.system) / 1e6 };
}

function main(): void {
  log(`ami-parse: generating ${(TARGET / 1048576).toFixed(0)} MB of AMI traffic…`);
  const block = makeTraffic(Math.min(TARGET, 8 * 1024 * 1024));
  const reps = Math.max(1, Math.round(TARGET / block.buf.length));
  const all = Buffer.concat(Array.from({ length: reps }, () => block.buf));
  const chunks = chunked(all);
  const events = block.events * reps;
  const mb = all.length / 1048576;
  log(`ami-parse: ${mb.toFixed(1)} MB, ${events} events, ${chunks.length} chunks of 64 KB`);

  let best = { full: Infinity, filtered: Infinity, none: Infinity, base: Infinity };
  let filteredEvents = 0;
  let framerRss = 0;
  for (let r = 1; r <= ROUNDS; r++) {
    const f = time(() => runFramer(chunks, 'full'));
    if (f.n !== events) throw new Error(`framer saw ${f.n} events, expected ${events}`);
    const q = time(() => runFramer(chunks, 'filtered'));
    // Nobody subscribed to any event: only each `Event:` name is read.
    const z = time(() => runFramer(chunks, 'none'));
    filteredEvents = q.n;
    // The framer's peak (input held in memory included) is taken before the baseline first runs.
    if (r === 1) framerRss = process.resourceUsage().maxRSS / 1024;
    const b = time(() => runBaseline(chunks));
    if (b.n !== events) throw new Error(`baseline saw ${b.n} events, expected ${events}`);
    best = {
      full: Math.min(best.full, f.s),
      filtered: Math.min(best.filtered, q.s),
      none: Math.min(best.none, z.s),
      base: Math.min(best.base, b.s),
    };
    log(
      `round ${r}: framer ${(events / f.s).toFixed(0)} ev/s · filtered ${(events / q.s).toFixed(0)} ev/s (${q.n} delivered) · names only ${(events / z.s).toFixed(0)} ev/s · baseline ${(events / b.s).toFixed(0)} ev/s`,
    );
  }
  const eps = events / best.full;
  const base = events / best.base;
  const filt = events / best.filtered;
  const none = events / best.none;
  const peak = framerRss;
  const basePeak = process.resourceUsage().maxRSS / 1024;
  log(`framer:   ${eps.toFixed(0)} events/s, ${(mb / best.full).toFixed(1)} MB/s`);
  log(
    `filtered: ${filt.toFixed(0)} events/s (${filteredEvents} of ${events} delivered), ratio ${(filt / base).toFixed(2)}`,
  );
  log(`names only (no subscriber): ${none.toFixed(0)} events/s, ratio ${(none / base).toFixed(2)}`);
  log(`baseline: ${base.toFixed(0)} events/s, ratio ${(eps / base).toFixed(2)}`);
  log(
    `peak RSS: ${peak.toFixed(0)} MB while framing (${mb.toFixed(0)} MB input held), ${basePeak.toFixed(0)} MB after the baseline`,
  );
  log('rates are events per CPU-second of this process (best of the rounds)');
  log(
    JSON.stringify({
      bench: 'ami-parse',
      events_per_s: Math.round(eps),
      mb_per_s: Math.round((mb / best.full) * 10) / 10,
      baseline_events_per_s: Math.round(base),
      ratio: Math.round((eps / base) * 100) / 100,
      filtered_events_per_s: Math.round(filt),
      filtered_ratio: Math.round((filt / base) * 100) / 100,
      names_only_events_per_s: Math.round(none),
      names_only_ratio: Math.round((none / base) * 100) / 100,
      peak_rss_mb: Math.round(peak),
      baseline_peak_rss_mb: Math.round(basePeak),
      mb: Math.round(mb),
      quick,
    }),
  );
}

main();
