import { run } from './run';

// CLI entry only: real process I/O in, exit code out.
const interrupted = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});

const code = await run(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  interrupted,
  now: () => Date.now(),
});
// Let stdout drain, then leave (open sockets or timers must not keep pbxctl alive).
process.stdout.write('', () => process.exit(code));
