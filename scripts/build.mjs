// Builds the runnable entry points into dist/ with esbuild (dependencies stay external;
// the single-file bundle for the PBX is packaging's job).

import { existsSync } from 'node:fs';
import { build } from 'esbuild';

const entries = {
  pbxlink: 'agent/src/main.ts',
  pbxctl: 'protocol/src/cli/main.ts',
  demo: 'test/sim/demo.ts',
  'ami-sim': 'test/sim/main.ts',
};
const entryPoints = Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)));

await build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
