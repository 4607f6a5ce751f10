import { run } from './run';

// CLI entry only: real process I/O in, exit code out.
const interrupted = new Promise<void>((resolve) => {
  const onSignal = () => {
    resolve();
    // tail stops cleanly on its own; anything still busy (a send waiting for replies) ends now.
    setTimeout(() => process.exit(130), 1000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
});
// `pbxctl tail … | head`: a closed pipe ends pbxctl quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));

const code = await run(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  interrupted,
  now: () => Date.now(),
});
// Let stdout drain, then leave (open sockets or timers must not keep pbxctl alive).
process.stdout.write('', () => process.exit(code));
