// The simulator CLI (test/sim/main.ts) as a real process: argument checks, --loop traffic, clean SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { login } from './raw-client';

const ROOT = join(import.meta.dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

function run(args: string[]): { proc: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const proc = spawn(TSX, ['test/sim/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, out: () => out, exit };
}

it('rejects a bad dialect with exit code 2 and a readable message', async () => {
  const r = run(['--dialect', '12', '--port', '0']);
  expect(await r.exit).toBe(2);
  expect(r.out()).toContain('--dialect must be one of 1.8, 11, 13, 16');
});

it('--loop serves AMI and plays scenarios until SIGTERM', async () => {
  const r = run(['--dialect', '1.8', '--port', '0', '--loop', '--speed', '0.002']);
  const deadline = Date.now() + 20_000;
  while (!r.out().includes('listening') && Date.now() < deadline)
    await new Promise((res) => setTimeout(res, 50));
  const { port } = JSON.parse(r.out().split('\n')[0]!) as { port: number };
  const c = await login(port, { events: 'on' });
  expect(await c.readUntil('Event: Newchannel\r\n', 10_000)).toContain('Event:');
  c.close();
  r.proc.kill('SIGTERM');
  expect(await r.exit).toBe(0);
}, 30_000);
