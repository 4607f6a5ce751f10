/** A snapshot or event on its way out, before it has a seq: `data` is already JSON text (taken when published). */
export interface OutRecord {
  kind: 'state' | 'event';
  topic: string;
  /** Envelope type: `state.<name>` or the event type. */
  type: string;
  ts: string;
  /** The boot that produced it (a snapshot stored by an earlier process keeps its own). */
  bootId: string;
  /** JSON text of `data`. */
  data: string;
}

/** Largest seq, used to bound an envelope's size before its seq is known. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * The envelope text `{"v":1,"agent","boot_id","seq","ts","type","data"}` (DESIGN.md "Topics"; field order as
 * protocol/src/envelope.ts makeEnvelope). Concatenated, so `data` is stringified once, when published.
 */
export function renderEnvelope(agent: string, rec: OutRecord, seq: number): string {
  return `{"v":1,"agent":${JSON.stringify(agent)},"boot_id":${JSON.stringify(rec.bootId)},"seq":${seq},"ts":${JSON.stringify(rec.ts)},"type":${JSON.stringify(rec.type)},"data":${rec.data}}`;
}

/** Upper bound of the envelope's UTF-8 size, whatever seq it gets. */
export function envelopeMaxBytes(agent: string, rec: OutRecord): number {
  return (
    Buffer.byteLength(renderEnvelope(agent, { ...rec, data: '' }, MAX_SEQ)) + Buffer.byteLength(rec.data)
  );
}
