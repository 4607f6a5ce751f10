/**
 * The agent's side of the CDR query worker (query-worker.ts): started on the first cdr.query, kept while queries
 * come, closed after `idleMs` without one (so the daemon's idle footprint is its own), started again when needed.
 * Each part the worker builds is published through the command's own context; the worker hears of its PUBACK,
 * so at most its window of parts is ever in flight and memory stays bounded as in-process.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PbxlinkError } from '../../core/errors';
import { RawJson } from '../../core/raw-json';
import type { CdrQueryResult, CdrQuerySink } from './cdr-query';
import { openPartPipe, PartPipeReader, type PipedPart } from './part-pipe';
import { PART_ROOM } from './part-writer';
import type { CdrQueryArgs } from './query-builder';
import type { FromWorker, ToWorker, WorkerSetup } from './worker-protocol';

export interface CdrWorkerOptions {
  setup: WorkerSetup;
  /** Close the worker after this long without a query (default 30 s). */
  idleMs?: number;
  /** The worker's script; default: dist/cdr-worker.js beside the agent's bundle (query-worker.ts via tsx in a
   * checkout). */
  script?: string;
  /** Node flags of the worker (default WORKER_NODE_FLAGS: V8's optimizing compiler on, a small young generation). */
  execArgv?: string[];
  /** Parts come through a part pipe (default; part-pipe.ts), or as IPC messages when false or when the pipe
   * cannot be made (no mkfifo, no writable temporary folder). */
  partPipe?: boolean;
  /** Where the part pipe's FIFO is made (default: the system's temporary folder, $TMPDIR or /tmp). */
  tmpDir?: string;
}

/** A running worker: its process, and the reader of its part pipe (none when parts come as messages). */
interface Child {
  process: ChildProcess;
  pipe: PartPipeReader | undefined;
}

interface Run {
  child: Child;
  sink: CdrQuerySink & { part(data: RawJson): Promise<void> };
  resolve(r: CdrQueryResult): void;
  reject(e: unknown): void;
}

/**
 * The worker's Node flags: none of the daemon's (docs/install.md), so V8's optimizing compiler runs the byte loops;
 * a 2 MB young generation keeps its peak RSS ~15 MB lower at the same speed (bench cdr-query: 73 MB instead of 88).
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** Where the worker's script is, and how node runs it, seen from this module's own file. */
function defaultScript(): { script: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return {
      script: fileURLToPath(new URL('./query-worker.ts', here)),
      execArgv: [...WORKER_NODE_FLAGS, '--import', 'tsx'],
    };
  }
  return { script: fileURLToPath(new URL('./cdr-worker.js', here)), execArgv: [...WORKER_NODE_FLAGS] };
}

export class CdrWorker {
  private child: Child | undefined;
  private starting: Promise<Child> | undefined;
  private readonly runs = new Map<number, Run>();
  private seq = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: CdrWorkerOptions) {}

  /** The worker's pid while it runs (tests, the benchmark's memory figures). */
  get pid(): number | undefined {
    return this.child?.process.pid;
  }

  /** How the running worker's parts come (tests): through its part pipe, or as IPC messages. */
  get partTransport(): 'pipe' | 'ipc' | undefined {
    return this.child && (this.child.pipe ? 'pipe' : 'ipc');
  }

  /** Runs one cdr.query page in the worker: parts go to `sink.part` in order; resolves with `{count, next_cursor}`. */
  async run(args: CdrQueryArgs, sink: Run['sink']): Promise<CdrQueryResult> {
    if (this.closed) throw new PbxlinkError('unavailable', 'the agent is stopping');
    const id = ++this.seq;
    clearTimeout(this.idleTimer);
    const child = await this.ensure();
    return new Promise<CdrQueryResult>((resolve, reject) => {
      const onAbort = () => this.send({ t: 'abort', id, reason: String(sink.signal?.reason ?? 'aborted') });
      sink.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        sink.signal?.removeEventListener('abort', onAbort);
        this.runs.delete(id);
        if (this.runs.size === 0) this.armIdle();
      };
      this.runs.set(id, {
        child,
        sink,
        resolve: (r) => {
          settle();
          resolve(r);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      });
      this.send({ t: 'run', id, args, maxPayloadBytes: sink.maxPayloadBytes }, child);
      if (sink.signal?.aborted) onAbort();
    });
  }

  /** Closes the worker (it exits when its channel closes); queries still running fail. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.stopChild();
  }

  private ensure(): Promise<Child> {
    if (this.child) return Promise.resolve(this.child);
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(): Promise<Child> {
    const fds =
      this.opts.partPipe === false ? undefined : await openPartPipe(this.opts.tmpDir).catch(() => undefined);
    const d = defaultScript();
    let proc: ChildProcess;
    try {
      proc = fork(this.opts.script ?? d.script, [], {
        execArgv: this.opts.execArgv ?? (this.opts.script ? [...WORKER_NODE_FLAGS] : d.execArgv),
        serialization: 'advanced',
        stdio: fds
          ? ['ignore', 'ignore', 'inherit', 'ipc', fds.write]
          : ['ignore', 'ignore', 'inherit', 'ipc'],
      });
    } catch (e) {
      if (fds) closeSync(fds.read); // no worker: nothing will read the pipe
      throw e;
    } finally {
      if (fds) closeSync(fds.write); // the worker holds it now: the pipe ends when the worker does
    }
    const child: Child = { process: proc, pipe: undefined };
    if (fds) child.pipe = new PartPipeReader(fds.read, PART_ROOM, (p) => this.onPipedPart(child, p));
    this.child = child;
    proc.on('message', (m: FromWorker) => this.onMessage(m));
    proc.on('error', () => {}); // reported through 'exit'
    proc.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      child.pipe?.close();
      const why = new PbxlinkError(
        'internal',
        `the CDR query worker exited (${signal ?? `code ${code}`}) during the query`,
      );
      for (const r of [...this.runs.values()]) if (r.child === child) r.reject(why);
    });
    this.send({ t: 'setup', setup: { ...this.opts.setup, partPipe: fds !== undefined } }, child);
    return child;
  }

  /** A part read from the pipe: published like one sent as a message; its buffer is reused once acknowledged
   * (not after a failure: the MQTT client may still hold the packet to send again). */
  private onPipedPart(child: Child, p: PipedPart): void {
    const run = this.runs.get(p.run);
    if (!run) {
      child.pipe?.release(p.buffer); // a part of a query already ended
      return;
    }
    const json = p.buffer.subarray(p.before, p.before + p.length);
    this.publish(run, p.run, p.n, new RawJson(json, PART_ROOM), () => child.pipe?.release(p.buffer));
  }

  private publish(run: Run, id: number, n: number, part: RawJson, published?: () => void): void {
    run.sink.part(part).then(
      () => {
        published?.();
        this.send({ t: 'ack', id, n });
      },
      (e: unknown) => {
        // not published (the link went down, a part too large…): the query stops with that error
        this.send({ t: 'abort', id, reason: 'a part was not published' });
        run.reject(e);
      },
    );
  }

  private onMessage(m: FromWorker): void {
    const run = this.runs.get(m.id);
    if (!run) return;
    if (m.t === 'part') {
      const all = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
      const json = all.subarray(m.before, all.length - m.after);
      this.publish(run, m.id, m.n, new RawJson(json, { before: m.before, after: m.after }));
    } else if (m.t === 'done') {
      run.resolve(m.result);
    } else {
      const e = m.error;
      run.reject(new PbxlinkError(e.code, e.message, { details: e.details, retryable: e.retryable }));
    }
  }

  private send(m: ToWorker, child = this.child): void {
    if (child?.process.connected) child.process.send(m);
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.stopChild(), this.opts.idleMs ?? 30_000);
    this.idleTimer.unref();
  }

  private async stopChild(): Promise<void> {
    await this.starting?.catch(() => {});
    const child = this.child?.process;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    if (child.connected) child.disconnect();
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}
