import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, afterEach } from 'vitest';

/** A child process under test: its output as lines, and ways to wait on it. */
export interface TestProcess {
  child: ChildProcess;
  /** stdout lines so far (without the newline). */
  stdout: string[];
  /** stderr lines so far. */
  stderr: string[];
  /** Resolves with the first line (stdout or stderr, per `stream`) matching `re`, already seen or yet to come. */
  waitForLine(re: RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr' | 'any'): Promise<string>;
  /** Resolves when the process has exited, with its code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal (default SIGTERM) and waits for exit; SIGKILL after `graceMs`. */
  stop(
    signal?: NodeJS.Signals,
    graceMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Options for spawning. */
export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Text written to stdin, then stdin is closed. Without it stdin is closed at once. */
  input?: string;
}

const live = new Set<ChildProcess>();
let exitHook = false;

function describeOutput(p: { stdout: string[]; stderr: string[] }): string {
  return `\n--- stdout ---\n${p.stdout.slice(-40).join('\n')}\n--- stderr ---\n${p.stderr.slice(-40).join('\n')}`;
}

/** Spawns `cmd args` (no shell), collecting its output lines. Prefer `useProcesses()` so it is killed on teardown. */
export function spawnProcess(cmd: string, args: string[], opts: SpawnOptions = {}): TestProcess {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const child = spawn(cmd, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  const out = { stdout: [] as string[], stderr: [] as string[] };
  const waiters = new Set<{ re: RegExp; stream: string; resolve: (l: string) => void }>();
  const feed = (name: 'stdout' | 'stderr') => {
    let buf = '';
    const push = (line: string) => {
      out[name].push(line);
      for (const w of waiters) {
        if ((w.stream === 'any' || w.stream === name) && w.re.test(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    };
    child[name]!.setEncoding('utf8');
    child[name]!.on('data', (d: string) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const l of parts) push(l);
    });
    child[name]!.on('end', () => {
      if (buf) push(buf);
      buf = '';
    });
  };
  feed('stdout');
  feed('stderr');
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  else child.stdin!.end();
  child.stdin!.on('error', () => {});

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' fires after stdio ends, so every line has been collected by then.
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (e) => {
      out.stderr.push(`spawn error: ${e.message}`);
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });

  const waitForLine = (re: RegExp, timeoutMs = 10_000, stream: 'stdout' | 'stderr' | 'any' = 'any') => {
    const seen = (stream === 'any' ? [...out.stdout, ...out.stderr] : out[stream]).find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const w = {
        re,
        stream,
        resolve: (l: string) => {
          clearTimeout(t);
          resolve(l);
        },
      };
      const t = setTimeout(() => {
        waiters.delete(w);
        reject(
          new Error(
            `no line matching ${re} within ${timeoutMs} ms from ${cmd} ${args.join(' ')}${describeOutput(out)}`,
          ),
        );
      }, timeoutMs);
      waiters.add(w);
      void exited.then(() => {
        // Give the waiter a tick: 'close' already flushed every line.
        setImmediate(() => {
          if (!waiters.has(w)) return;
          waiters.delete(w);
          clearTimeout(t);
          reject(new Error(`process exited before printing a line matching ${re}${describeOutput(out)}`));
        });
      });
    });
  };

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const r = await exited;
    clearTimeout(t);
    return r;
  };

  return { child, stdout: out.stdout, stderr: out.stderr, waitForLine, exited, stop };
}

/** The result of a process run to completion. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Registers teardown hooks in the calling test file and returns spawners whose children are always
 * SIGKILLed after each test (also when it fails).
 */
export function useProcesses() {
  const mine = new Set<TestProcess>();
  const killAll = async () => {
    const all = [...mine];
    mine.clear();
    await Promise.all(all.map((p) => p.stop('SIGKILL', 1000)));
  };
  afterEach(killAll);
  afterAll(killAll);
  const spawnTracked = (cmd: string, args: string[], opts?: SpawnOptions) => {
    const p = spawnProcess(cmd, args, opts);
    mine.add(p);
    return p;
  };
  return {
    /** Spawns any command (no shell). */
    spawn: spawnTracked,
    /** Spawns `node ARGS` with the running Node binary (e.g. `['dist/pbxctl.js', 'tail', 'a1']`). */
    node: (args: string[], opts?: SpawnOptions) => spawnTracked(process.execPath, args, opts),
    /** Spawns a TypeScript file with tsx: `node --import tsx FILE ARGS`. */
    tsx: (file: string, args: string[] = [], opts?: SpawnOptions) =>
      spawnTracked(process.execPath, ['--import', 'tsx', file, ...args], opts),
    /** Runs `node ARGS` to completion (killed after `timeoutMs`) and returns its exit code and output. */
    runNode: async (args: string[], opts: SpawnOptions & { timeoutMs?: number } = {}): Promise<RunResult> => {
      const p = spawnTracked(process.execPath, args, opts);
      const t = setTimeout(() => p.child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
      const r = await p.exited;
      clearTimeout(t);
      mine.delete(p);
      return { ...r, stdout: p.stdout.join('\n'), stderr: p.stderr.join('\n') };
    },
    killAll,
  };
}
