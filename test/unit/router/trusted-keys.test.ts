/** TrustedKeyStore on real files: missing at start then created, bad edits keep the keys, renames by editors. */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/src/core/clock';
import { type KeysLoad, TrustedKeyStore } from '../../../agent/src/link/trusted-keys';
import { tempDir, until } from '../link/harness';
import { keysFileText, testKey } from './harness';

const stores: TrustedKeyStore[] = [];
const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.stop();
  for (const d of dirs.splice(0)) d.cleanup();
});

function setup() {
  const t = tempDir('pbxlink-keys-');
  dirs.push(t);
  const file = join(t.dir, 'trusted-keys.json');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
  const store = new TrustedKeyStore({ file, clock: systemClock, log, debounceMs: 30 });
  stores.push(store);
  const loads: KeysLoad[] = [];
  store.onReload((r) => loads.push(r));
  return { dir: t.dir, file, store, loads, lines };
}

const a = testKey('a', ['read']);
const b = testKey('b', ['admin']);

describe('trusted keys', () => {
  it('a missing file gives no keys and an error; creating it later loads it', async () => {
    const { file, store, lines } = setup();
    expect(store.start()).toMatchObject({ ok: false });
    expect(store.size).toBe(0);
    expect(lines.some((l) => l.includes('previous keys kept'))).toBe(true);
    writeFileSync(file, keysFileText([a]));
    await until(() => store.resolve('a') !== undefined, 5000, 'key a');
    expect(store.resolve('a')?.scopes).toEqual(['read']);
  });

  it('a malformed or invalid file keeps the keys and logs every problem; a scope change applies', async () => {
    const { file, store, loads, lines } = setup();
    writeFileSync(file, keysFileText([a, b]));
    store.start();
    expect(store.kids()).toEqual(['a', 'b']);
    writeFileSync(file, JSON.stringify([{ kid: 'c', publicKey: 'nope', scopes: ['root'] }]));
    await until(() => loads.some((l) => !l.ok), 5000, 'failed reload');
    expect(store.kids()).toEqual(['a', 'b']);
    const err = lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'trusted keys file invalid; previous keys kept');
    expect(err.problems.join('\n')).toMatch(/publicKey/);
    expect(err.problems.join('\n')).toMatch(/unknown scope "root"/);
    writeFileSync(file, keysFileText([{ ...a, scopes: ['read', 'cdr:read'] }]));
    await until(() => store.resolve('b') === undefined, 5000, 'b revoked');
    expect(store.resolve('a')?.scopes).toEqual(['read', 'cdr:read']);
  });

  it('follows an editor that writes a temp file and renames it over', async () => {
    const { dir, file, store } = setup();
    writeFileSync(file, keysFileText([a]));
    store.start();
    const tmp = join(dir, '.trusted-keys.json.swp');
    writeFileSync(tmp, keysFileText([b]));
    renameSync(tmp, file);
    await until(() => store.resolve('b') !== undefined && store.resolve('a') === undefined, 5000, 'swapped');
    // The file removed: the keys in force stay (a half-done edit must not lock everyone out, nor let anyone in).
    unlinkSync(file);
    await new Promise((r) => setTimeout(r, 150));
    expect(store.kids()).toEqual(['b']);
  });

  it('an unchanged rewrite is not a change', () => {
    const { file, store } = setup();
    writeFileSync(file, keysFileText([a]));
    expect(store.start()).toEqual({ ok: true, count: 1, changed: true });
    expect(store.reload()).toEqual({ ok: true, count: 1, changed: false });
  });
});
