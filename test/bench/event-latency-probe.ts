/**
 * Matching for the event-latency benchmark: which AMI event each MQTT event answers, and when each left the
 * simulator and reached the subscriber (both `performance.now()` of this one process).
 *
 * A call is keyed by its Linkedid (Asterisk 12+: the caller channel's uniqueid), which the agent publishes as
 * `call_id`, and which is the Cdr's `UniqueID`. Three MQTT messages per call have one AMI event that decides
 * them, so their latency is well defined:
 *   call.started ← the call's first Newchannel      call.ended ← the call's last Hangup
 *   cdr.new      ← the call's Cdr event
 * `call.updated` (several per call, each the net effect of several AMI events) is counted, not timed.
 * A call of a phase that did not yield all three messages counts its missing ones as lost.
 */

/** One call seen on the AMI side, and what reached the subscriber for it. */
interface CallRec {
  phase: number;
  newchannelAt: number;
  hangupAt: number;
  cdrAt: number;
  startedAt: number;
  endedAt: number;
  cdrNewAt: number;
  /** Envelope `ts` (epoch ms, set by the agent when it built the envelope) of the three messages. */
  startedTs: number;
  endedTs: number;
  cdrTs: number;
}

/** Figures of one phase. */
export interface PhaseFigures {
  calls: number;
  amiEvents: number;
  mqttEvents: number;
  updated: number;
  p50: number;
  p99: number;
  max: number;
  byKind: Record<'started' | 'ended' | 'cdr', { p50: number; p99: number; n: number }>;
  lost: number;
  /** The slowest matched messages: when their AMI event was written (performance.now()), latency, kind. */
  slowest: { at: number; ms: number; kind: string }[];
  /**
   * The latency split at the envelope's `ts` (1 ms resolution, wall clock): AMI socket + agent processing up
   * to the envelope, then the agent's send path + broker + subscriber.
   */
  split: {
    toEnvelope: { p50: number; p99: number; n: number };
    fromEnvelope: { p50: number; p99: number; n: number };
  };
  /** Messages whose AMI event was written after they arrived (would mean a wrong matching rule). */
  negative: number;
}

function field(text: string, name: string): string | undefined {
  const i = text.indexOf(`\r\n${name}: `);
  if (i < 0) return undefined;
  const from = i + name.length + 4;
  const end = text.indexOf('\r\n', from);
  return text.slice(from, end < 0 ? undefined : end);
}

function idIn(payload: Buffer, key: string): string | undefined {
  const s = payload.toString('latin1');
  const i = s.indexOf(`"${key}":"`);
  if (i < 0) return undefined;
  const from = i + key.length + 4;
  return s.slice(from, s.indexOf('"', from));
}

function envelopeTs(payload: Buffer): number {
  const t = Date.parse(idIn(payload, 'ts') ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Collects both sides and computes figures per phase. */
export class LatencyProbe {
  private readonly calls = new Map<string, CallRec>();
  private readonly amiCount: number[] = [];
  private readonly mqttCount: number[] = [];
  private readonly updatedCount: number[] = [];
  /** Phase stamped on calls whose first Newchannel is written now (-1: not measured). */
  phase = -1;
  /** performance.now() of the last MQTT event received. */
  lastArrival = 0;
  /** `link.shed` / `outbox.dropped` reports seen. */
  readonly shedReports: { type: string; data: unknown }[] = [];

  /** The simulator's onEventWritten hook. */
  onAmi(name: string, at: number, text: string): void {
    if (this.phase >= 0) this.amiCount[this.phase] = (this.amiCount[this.phase] ?? 0) + 1;
    if (name === 'Newchannel') {
      const id = field(text, 'Linkedid');
      if (id && !this.calls.has(id) && this.phase >= 0)
        this.calls.set(id, {
          phase: this.phase,
          newchannelAt: at,
          hangupAt: 0,
          cdrAt: 0,
          startedAt: 0,
          endedAt: 0,
          cdrNewAt: 0,
          startedTs: 0,
          endedTs: 0,
          cdrTs: 0,
        });
    } else if (name === 'Hangup') {
      const c = this.calls.get(field(text, 'Linkedid') ?? '');
      if (c) c.hangupAt = at;
    } else if (name === 'Cdr') {
      const c = this.calls.get(field(text, 'UniqueID') ?? '');
      if (c) c.cdrAt = at;
    }
  }

  /** The subscriber's message handler (`P/A/events/#`). */
  onMqtt(topic: string, payload: Buffer, at: number): void {
    const type = topic.slice(topic.lastIndexOf('/') + 1);
    this.lastArrival = at;
    if (this.phase >= 0) this.mqttCount[this.phase] = (this.mqttCount[this.phase] ?? 0) + 1;
    if (type === 'call.updated') {
      if (this.phase >= 0) this.updatedCount[this.phase] = (this.updatedCount[this.phase] ?? 0) + 1;
    } else if (type === 'call.started' || type === 'call.ended') {
      const c = this.calls.get(idIn(payload, 'call_id') ?? '');
      if (c && type === 'call.started' && !c.startedAt) {
        c.startedAt = at;
        c.startedTs = envelopeTs(payload);
      }
      if (c && type === 'call.ended' && !c.endedAt) {
        c.endedAt = at;
        c.endedTs = envelopeTs(payload);
      }
    } else if (type === 'cdr.new') {
      const c = this.calls.get(idIn(payload, 'uniqueid') ?? '');
      if (c && !c.cdrNewAt) {
        c.cdrNewAt = at;
        c.cdrTs = envelopeTs(payload);
      }
    } else if (type === 'link.shed' || type === 'outbox.dropped') {
      this.shedReports.push({ type, data: (JSON.parse(payload.toString('utf8')) as { data: unknown }).data });
    }
  }

  /** Figures of `phase` (call after the phase drained). */
  figures(phase: number): PhaseFigures {
    const all: number[] = [];
    const kinds = { started: [] as number[], ended: [] as number[], cdr: [] as number[] };
    let lost = 0;
    let negative = 0;
    let calls = 0;
    const slow: { at: number; ms: number; kind: string }[] = [];
    const before: number[] = [];
    const after: number[] = [];
    const add = (k: keyof typeof kinds, sent: number, got: number, ts = 0) => {
      if (!got || !sent) {
        lost++;
        return;
      }
      const d = got - sent;
      if (d < 0) negative++;
      if (d > 5) slow.push({ at: sent, ms: d, kind: k });
      if (ts) {
        before.push(ts - (performance.timeOrigin + sent));
        after.push(performance.timeOrigin + got - ts);
      }
      kinds[k].push(d);
      all.push(d);
    };
    for (const c of this.calls.values()) {
      if (c.phase !== phase) continue;
      calls++;
      add('started', c.newchannelAt, c.startedAt, c.startedTs);
      add('ended', c.hangupAt, c.endedAt, c.endedTs);
      add('cdr', c.cdrAt, c.cdrNewAt, c.cdrTs);
    }
    const sort = (a: number[]) => a.sort((x, y) => x - y);
    const stat = (a: number[]) => ({ p50: percentile(sort(a), 50), p99: percentile(a, 99), n: a.length });
    sort(all);
    return {
      calls,
      amiEvents: this.amiCount[phase] ?? 0,
      mqttEvents: this.mqttCount[phase] ?? 0,
      updated: this.updatedCount[phase] ?? 0,
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      max: all.at(-1) ?? Number.NaN,
      byKind: { started: stat(kinds.started), ended: stat(kinds.ended), cdr: stat(kinds.cdr) },
      lost,
      negative,
      slowest: slow.sort((a, b) => b.ms - a.ms).slice(0, 20),
      split: { toEnvelope: stat(before), fromEnvelope: stat(after) },
    };
  }

  /** Forgets the calls of `phase` (bounded memory across phases). */
  forget(phase: number): void {
    for (const [k, c] of this.calls) if (c.phase === phase) this.calls.delete(k);
  }
}
