/**
 * The CDR query worker: a child process of the agent (worker-client.ts) that runs cdr.query pages — reading
 * MariaDB and building the parts' JSON — and hands each part to the agent, which publishes it. It runs with
 * V8's optimizing compiler, which the daemon itself goes without to stay small when idle (docs/install.md): the
 * byte loops of a bulk export are several times faster here. It has no socket of its own but the database's
 * and the part pipe to the agent (part-pipe.ts), never logs (its errors go back to the agent), and exits when
 * the agent closes the channel.
 */
import { isPbxlinkError } from '../../core/errors';
import type { RawJson } from '../../core/raw-json';
import { FreepbxDb } from '../freepbx/db';
import { CdrQuery } from './cdr-query';
import { PartPipeWriter } from './part-pipe';
import type { FromWorker, ToWorker, WireError } from './worker-protocol';

let query: CdrQuery | undefined;
let db: FreepbxDb | undefined;
let pipe: PartPipeWriter | undefined;
/** Per run: its abort switch and the parts awaiting their acknowledgement. */
const runs = new Map<number, { ac: AbortController; acks: Map<number, Ack> }>();

/** A part awaiting its acknowledgement. */
interface Ack {
  resolve(): void;
  reject(e: unknown): void;
}

function send(m: FromWorker): void {
  process.send?.(m);
}

function wireError(e: unknown): WireError {
  if (isPbxlinkError(e)) {
    return { code: e.code, message: e.message, details: e.details, retryable: e.retryable };
  }
  return { code: 'internal', message: `CDR query failed: ${(e as Error)?.message ?? String(e)}` };
}

function run(id: number, args: Extract<ToWorker, { t: 'run' }>['args'], maxPayloadBytes: number): void {
  const ac = new AbortController();
  const acks = new Map<number, Ack>();
  runs.set(id, { ac, acks });
  let n = 0;
  const sink = {
    maxPayloadBytes,
    signal: ac.signal,
    part(data: RawJson): Promise<void> {
      const k = ++n;
      const json = typeof data.json === 'string' ? Buffer.from(data.json) : data.json;
      const acked = new Promise<void>((resolve, reject) => acks.set(k, { resolve, reject }));
      if (pipe) {
        pipe.write(id, k, json); // the buffer is reused only once acknowledged, after the agent has read it
        return acked;
      }
      // with the room around it (serialized now: the buffer may be reused once acknowledged)
      const room = data.room ?? { before: 0, after: 0 };
      const bytes = Buffer.from(
        json.buffer,
        json.byteOffset - room.before,
        room.before + json.length + room.after,
      );
      send({ t: 'part', id, n: k, bytes, before: room.before, after: room.after });
      return acked;
    },
  };
  const q = query;
  const result = q ? q.run(args, sink) : Promise.reject(new Error('worker not set up'));
  result.then(
    (r) => send({ t: 'done', id, result: r }),
    (e: unknown) => send({ t: 'error', id, error: wireError(e) }),
  );
  void result.finally(() => runs.delete(id)).catch(() => {});
}

process.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'setup':
      db = new FreepbxDb({ ...m.setup.db, connectionLimit: 2 });
      if (m.setup.partPipe) pipe = new PartPipeWriter();
      query = new CdrQuery({
        db,
        cdrDb: m.setup.cdrDb,
        cdrTable: m.setup.cdrTable,
        maxRows: m.setup.maxRows,
        ...(m.setup.partWindow ? { partWindow: m.setup.partWindow } : {}),
      });
      break;
    case 'run':
      run(m.id, m.args, m.maxPayloadBytes);
      break;
    case 'ack': {
      const acks = runs.get(m.id)?.acks;
      acks?.get(m.n)?.resolve();
      acks?.delete(m.n);
      break;
    }
    case 'abort': {
      const r = runs.get(m.id);
      if (!r) break;
      const why = new Error(m.reason);
      r.ac.abort(why);
      for (const a of r.acks.values()) a.reject(why); // a part awaiting its PUBACK will not get it
      r.acks.clear();
      break;
    }
  }
});

// The agent closed the channel (it stops, or the worker idled): nothing is left to do.
process.on('disconnect', () => {
  for (const r of runs.values()) r.ac.abort(new Error('the agent closed the worker'));
  void (db?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
