// `npm run bench -- NAME [--quick]`: runs test/bench/NAME(.ts) with the remaining arguments.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const [name, ...rest] = process.argv.slice(2);
const available = existsSync('test/bench')
  ? readdirSync('test/bench')
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''))
  : [];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--quick]\navailable: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', `test/bench/${name}.ts`, ...rest], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
