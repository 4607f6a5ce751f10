import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDf } from '../../../agent/src/collectors/parse-df';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/os/df', name), 'utf8');
const K = 1024;
const G = 1e9;

describe('parseDf', () => {
  it.each([
    [
      'gnu-P-B1.txt',
      {},
      [
        {
          filesystem: '/dev/vda',
          size_bytes: 270553174016,
          used_bytes: 24005529600,
          avail_bytes: 84938764288,
          use_pct: 23,
          mount: '/',
        },
      ],
    ],
    [
      'gnu-H-root.txt',
      {},
      [
        {
          filesystem: '/dev/vda',
          size_bytes: 271 * G,
          used_bytes: 25 * G,
          avail_bytes: 85 * G,
          use_pct: 23,
          mount: '/',
        },
      ],
    ],
    [
      'gnu-H-root.txt',
      { human: 1024 as const },
      [
        {
          filesystem: '/dev/vda',
          size_bytes: 271 * 2 ** 30,
          used_bytes: 25 * 2 ** 30,
          avail_bytes: 85 * 2 ** 30,
          use_pct: 23,
          mount: '/',
        },
      ],
    ],
    [
      'centos6-wrapped-1k.txt',
      {},
      [
        {
          filesystem: '/dev/mapper/VolGroup-lv_root',
          size_bytes: 51606140 * K,
          used_bytes: 5123456 * K,
          avail_bytes: 43861244 * K,
          use_pct: 11,
          mount: '/',
        },
        {
          filesystem: 'tmpfs',
          size_bytes: 961364 * K,
          used_bytes: 0,
          avail_bytes: 961364 * K,
          use_pct: 0,
          mount: '/dev/shm',
        },
        {
          filesystem: '/dev/sda1',
          size_bytes: 495844 * K,
          used_bytes: 39852 * K,
          avail_bytes: 430392 * K,
          use_pct: 9,
          mount: '/boot',
        },
        {
          filesystem: '/dev/mapper/VolGroup-lv_home',
          size_bytes: 422606252 * K,
          used_bytes: 202800 * K,
          avail_bytes: 400936932 * K,
          use_pct: 1,
          mount: '/home',
        },
      ],
    ],
    [
      'centos6-wrapped-h.txt',
      { human: 1024 as const },
      [
        {
          filesystem: '/dev/mapper/vg_elastix-lv_root',
          size_bytes: 50 * 2 ** 30,
          used_bytes: Math.round(4.9 * 2 ** 30),
          avail_bytes: 42 * 2 ** 30,
          use_pct: 11,
          mount: '/',
        },
        {
          filesystem: 'tmpfs',
          size_bytes: 939 * 2 ** 20,
          used_bytes: 0,
          avail_bytes: 939 * 2 ** 20,
          use_pct: 0,
          mount: '/dev/shm',
        },
        {
          filesystem: '/dev/sda1',
          size_bytes: 485 * 2 ** 20,
          used_bytes: 39 * 2 ** 20,
          avail_bytes: 421 * 2 ** 20,
          use_pct: 9,
          mount: '/boot',
        },
      ],
    ],
    [
      'posix-Pk-spaces.txt',
      {},
      [
        {
          filesystem: '/dev/sdb1',
          size_bytes: 10190100 * K,
          used_bytes: 1048576 * K,
          avail_bytes: 8600956 * K,
          use_pct: 11,
          mount: '/mnt/my backups',
        },
        {
          filesystem: '//nas/share',
          size_bytes: 104857600 * K,
          used_bytes: 52428800 * K,
          avail_bytes: 52428800 * K,
          use_pct: 50,
          mount: '/mnt/nas',
        },
      ],
    ],
    [
      'busybox-P.txt',
      {},
      [
        {
          filesystem: '/dev/root',
          size_bytes: 7574588 * K,
          used_bytes: 2032420 * K,
          avail_bytes: 5132620 * K,
          use_pct: 28,
          mount: '/',
        },
        {
          filesystem: 'devtmpfs',
          size_bytes: 468412 * K,
          used_bytes: 0,
          avail_bytes: 468412 * K,
          use_pct: 0,
          mount: '/dev',
        },
      ],
    ],
    [
      'gnu-dash-capacity.txt',
      {},
      [
        { filesystem: 'proc', size_bytes: 0, used_bytes: 0, avail_bytes: 0, use_pct: 0, mount: '/proc' },
        {
          filesystem: '/dev/vdb',
          size_bytes: 1e9,
          used_bytes: 2.5e8,
          avail_bytes: 7.5e8,
          use_pct: 25,
          mount: '/data',
        },
      ],
    ],
  ])('%s %j', (name, opts, rows) => {
    expect(parseDf(fixture(name), opts)).toEqual(rows);
  });

  it('computes Use% when df prints "-" for a real filesystem', () => {
    const rows = parseDf('Filesystem 1B-blocks Used Available Use% Mounted on\nfs 400 100 300 - /x\n');
    expect(rows).toEqual([
      { filesystem: 'fs', size_bytes: 400, used_bytes: 100, avail_bytes: 300, use_pct: 25, mount: '/x' },
    ]);
  });

  it.each([
    ['empty', ''],
    ['header only', 'Filesystem 1K-blocks Used Available Use% Mounted on\n'],
    ['an error message', "df: '/nope': No such file or directory\n"],
    ['garbage figures', 'Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/x abc def ghi 1% /\n'],
    [
      'a wrapped name at the end',
      'Filesystem 1K-blocks Used Available Use% Mounted on\n/dev/mapper/very-long-name\n',
    ],
  ])('gives no rows for %s', (_label, text) => {
    expect(parseDf(text)).toEqual([]);
  });

  it("reads df -P -B1 of this machine's root like fs.statfs does (real df)", async () => {
    const { execFileSync } = await import('node:child_process');
    const rows = parseDf(execFileSync('df', ['-P', '-B1', '/'], { encoding: 'utf8' }));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.mount).toBe('/');
    expect(rows[0]?.size_bytes).toBeGreaterThan(0);
    expect(rows[0]!.used_bytes + rows[0]!.avail_bytes).toBeLessThanOrEqual(rows[0]!.size_bytes);
    // df -H of the same filesystem: the same figures rounded to 3 significant SI digits.
    const human = parseDf(execFileSync('df', ['-H', '/'], { encoding: 'utf8' }));
    expect(human[0]?.filesystem).toBe(rows[0]?.filesystem);
    expect(Math.abs(human[0]!.size_bytes - rows[0]!.size_bytes) / rows[0]!.size_bytes).toBeLessThan(0.01);
  });
});
