// Builds the runnable entry points into dist/ with esbuild.
//
// dist/pbxlink.js, the agent, is the file shipped to the PBX: one ESM file with its dependencies bundled in,
// whitespace and syntax minified (identifiers kept, so stack traces in the logs stay readable), ASCII only.
// Measured on a fresh agent as the event-latency benchmark runs it (Node 20, same flags): 65-70 MB RSS instead of
// 75 MB when the same code loads from node_modules (one source string instead of hundreds of module sources in
// the heap, no module-resolution work, fewer pages of the node binary touched). Their legal comments (`/*!`, @license) go to dist/pbxlink.js.LEGAL.txt.
// pbxctl, the demo and the simulator run from a checkout: their dependencies stay external.

import { existsSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  sourcemap: 'linked',
  logLevel: 'warning',
};

await build({
  ...common,
  // the CDR query worker (agent/src/pbx/cdr/query-worker.ts) is a second file beside it, forked by the agent
  entryPoints: { pbxlink: 'agent/src/main.ts', 'cdr-worker': 'agent/src/pbx/cdr/query-worker.ts' },
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  legalComments: 'linked',
  // ws's optional native helpers, required inside try/catch: absent means ws's JavaScript fallback.
  external: ['bufferutil', 'utf-8-validate'],
  // Bundled CommonJS packages call require() for Node's built-in modules; ESM has no require of its own.
  banner: {
    js: "import { createRequire as __pbxlinkCreateRequire } from 'node:module'; const require = __pbxlinkCreateRequire(import.meta.url);",
  },
});

const entries = {
  pbxctl: 'protocol/src/cli/main.ts',
  demo: 'test/sim/demo.ts',
  'ami-sim': 'test/sim/main.ts',
};
const entryPoints = Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)));
await build({ ...common, entryPoints, packages: 'external' });
