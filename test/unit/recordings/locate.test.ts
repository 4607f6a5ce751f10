import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateByName } from '../../../agent/src/recordings/locate';

let base: string;
let root: string;
const DATED = 'exten-201-200-20240115-093012-1705307412.34.wav';

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'pbxl-locate-'));
  root = join(base, 'monitor');
  await mkdir(join(root, '2024/01/15'), { recursive: true });
  await writeFile(join(root, '2024/01/15', DATED), 'dated');
  await writeFile(join(root, 'OUT200-20100302-101500-1267524900.13.wav'), 'flat');
  await writeFile(join(base, 'secret.txt'), 'outside');
  await symlink(join(base, 'secret.txt'), join(root, 'escape.wav'));
  await symlink(base, join(root, 'updir'));
  await symlink(join(root, '2024/01/15', DATED), join(root, 'inside-link.wav'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function code(name: string): Promise<string> {
  try {
    await locateByName(root, name);
    return 'ok';
  } catch (e) {
    return (e as { code: string }).code;
  }
}

describe('locateByName', () => {
  it.each([
    [`2024/01/15/${DATED}`, `2024/01/15/${DATED}`],
    [`/2024/01/15/${DATED}`, `2024/01/15/${DATED}`], // the seed's form
    [DATED, `2024/01/15/${DATED}`], // base name → dated folder by its date token (§12.2)
    [`2023/12/31/${DATED}`, `2024/01/15/${DATED}`], // wrong folder → base-name fallback
    ['exten-201-200-20240115-093012-1705307412.34', `2024/01/15/${DATED}`], // no extension → known extensions
    ['OUT200-20100302-101500-1267524900.13.wav', 'OUT200-20100302-101500-1267524900.13.wav'], // flat (§12.1)
    [`./2024/01/15//${DATED}`, `2024/01/15/${DATED}`],
    ['inside-link.wav', `2024/01/15/${DATED}`], // a symlink that stays inside is fine
  ])('finds %s', async (name, rel) => {
    const f = await locateByName(root, name);
    expect(f.rel).toBe(rel);
  });

  it('accepts an absolute path under the root', async () => {
    expect((await locateByName(root, `${root}/2024/01/15/${DATED}`)).rel).toBe(`2024/01/15/${DATED}`);
  });

  it.each([
    ['../secret.txt'],
    ['2024/../../secret.txt'],
    ['2024/01/15/../../../../secret.txt'],
    ['/etc/passwd'],
    ['/var/spool/asterisk/../../../etc/shadow'],
    ['escape.wav'], // symlink to a file outside the root (realpath check)
    ['updir/secret.txt'], // symlinked directory leaving the root
    ['2024/01/15/x\u0000.wav'],
    ['2024\\..\\..\\secret.txt'],
    ['a\nb.wav'],
    [''],
  ])('refuses %j with invalid_args', async (name) => {
    expect(await code(name)).toBe('invalid_args');
  });

  it('says not_found for a missing file', async () => {
    expect(await code('2024/01/15/nope.wav')).toBe('not_found');
    expect(await code('nope-20240115-093012-1.wav')).toBe('not_found');
    expect(await code('2024/01/15')).toBe('not_found'); // a folder is no recording
  });
});
