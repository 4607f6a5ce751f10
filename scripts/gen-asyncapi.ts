/** Regenerates protocol/asyncapi.yaml and protocol/schemas/*.json from protocol/src/schemas (run: npx tsx scripts/gen-asyncapi.ts). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAsyncApiYaml } from '../protocol/src/schemas/asyncapi';
import { renderEventDocs } from '../protocol/src/schemas/docs';
import { buildJsonSchemas, renderJsonSchema } from '../protocol/src/schemas/json-schemas';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(join(root, 'protocol/asyncapi.yaml'), renderAsyncApiYaml());
writeFileSync(join(root, 'docs/events.md'), renderEventDocs());
const dir = join(root, 'protocol/schemas');
mkdirSync(dir, { recursive: true });
const files = buildJsonSchemas();
for (const old of readdirSync(dir)) if (old.endsWith('.json') && !(old in files)) rmSync(join(dir, old));
for (const [name, schema] of Object.entries(files)) writeFileSync(join(dir, name), renderJsonSchema(schema));
// Lay the JSON out the way the linter wants (the drift test compares content, not layout).
execFileSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', dir], { stdio: 'ignore' });
console.log(
  `wrote protocol/asyncapi.yaml, docs/events.md and ${Object.keys(files).length} files in protocol/schemas/`,
);
