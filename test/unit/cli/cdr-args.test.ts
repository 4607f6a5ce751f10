import { describe, expect, it } from 'vitest';
import { normalizeCdrDate, normalizeStatus, parseCdrFlags } from '../../../protocol/src/cli/cdr-args';
import type { CliIo } from '../../../protocol/src/cli/io';
import { run } from '../../../protocol/src/cli/run';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const x: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: {},
    interrupted: new Promise(() => {}),
    now: () => 0,
  };
  return { io: x, out, err };
}

describe('pbxctl cdr flags', () => {
  it('dates: day, date-time with space or T, minutes only; calendar checked', () => {
    expect(normalizeCdrDate('start', '2026-01-02')).toBe('2026-01-02');
    expect(normalizeCdrDate('start', '2026-01-02 03:04:05')).toBe('2026-01-02 03:04:05');
    expect(normalizeCdrDate('start', '2026-01-02T03:04')).toBe('2026-01-02 03:04:00');
    expect(normalizeCdrDate('start', '2024-02-29')).toBe('2024-02-29');
    for (const bad of [
      '2026-02-29',
      '2026-13-01',
      '2026-01-01 24:00:00',
      '01/02/2026',
      "2026-01-01' OR 1=1",
      '',
    ]) {
      expect(() => normalizeCdrDate('start', bad), bad).toThrow(/invalid --start/);
    }
  });

  it('status spellings map to the dispositions', () => {
    expect(normalizeStatus('answered')).toBe('ANSWERED');
    expect(normalizeStatus('no-answer')).toBe('NO ANSWER');
    expect(normalizeStatus('NO_ANSWER')).toBe('NO ANSWER');
    expect(normalizeStatus('noanswer')).toBe('NO ANSWER');
    expect(normalizeStatus('All')).toBe('ALL');
    expect(() => normalizeStatus('CONGESTION')).toThrow(/invalid --status/);
  });

  it('builds the wire args; output options apart', () => {
    expect(
      parseCdrFlags({
        start: '2026-01-01',
        end: '2026-01-31 23:00',
        field: 'did',
        pattern: '%_x',
        status: 'busy',
        limit: '500',
        recordings: 'only',
        order: 'desc',
        cursor: 'WyIyMDI2LTAxLTAxIDAwOjAwOjAwIiwiMSJd',
        wire: 'rows',
        compress: true,
        all: true,
        format: 'csv',
        columns: 'calldate, src',
        output: 'x.csv',
      }),
    ).toEqual({
      args: {
        start_date: '2026-01-01',
        end_date: '2026-01-31 23:00:00',
        field_name: 'did',
        field_pattern: '%_x',
        status: 'BUSY',
        limit: 500,
        recordings: 'only',
        order: 'desc',
        cursor: 'WyIyMDI2LTAxLTAxIDAwOjAwOjAwIiwiMSJd',
        format: 'rows',
        compress: true,
      },
      all: true,
      format: 'csv',
      columns: ['calldate', 'src'],
      output: 'x.csv',
    });
    expect(parseCdrFlags({ wire: 'objects' }).args).toEqual({ format: 'objects' });
    expect(parseCdrFlags({})).toEqual({
      args: { format: 'rows' }, // arrays unless --wire objects: the same rows decoded, half the bytes
      all: false,
      format: 'table',
      columns: undefined,
      output: undefined,
    });
  });

  it.each([
    [{ field: 'src' }, /--field and --pattern go together/],
    [{ pattern: 'x' }, /--field and --pattern go together/],
    [{ field: 'clid', pattern: 'x' }, /invalid --field "clid"/],
    [{ field: 'src', pattern: 'x'.repeat(81) }, /1\.\.80/],
    [{ limit: '1.5' }, /invalid --limit/],
    [{ limit: '-3' }, /invalid --limit/],
    [{ limit: '0' }, /invalid --limit/],
    [{ recordings: 'some' }, /invalid --recordings/],
    [{ order: 'up' }, /invalid --order/],
    [{ wire: 'xml' }, /invalid --wire/],
    [{ format: 'yaml' }, /invalid --format/],
    [{ cursor: 'a b' }, /invalid --cursor/],
    [{ columns: 'src,,dst' }, /invalid --columns/],
    [{ columns: 'src;drop' }, /invalid --columns/],
  ])('refuses %j', (flags, re) => {
    expect(() => parseCdrFlags(flags)).toThrow(re);
  });

  it('through pbxctl: bad usage exits 2 with one line, before any broker is needed', async () => {
    const a = io();
    expect(await run(['cdr', 'pbx-01', '--status', 'maybe'], a.io)).toBe(2);
    expect(a.err.join('')).toBe(
      'pbxctl cdr: invalid --status "maybe": one of all, answered, busy, failed, no-answer\n',
    );
    const b = io();
    expect(await run(['cdr'], b.io)).toBe(2);
    expect(b.err.join('')).toMatch(/usage: pbxctl cdr AGENT/);
    const c = io();
    expect(await run(['cdr', 'bad agent!'], c.io)).toBe(2);
    const d = io();
    expect(await run(['cdr', 'pbx-01'], d.io)).toBe(2);
    expect(d.err.join('')).toMatch(/no broker URL/);
    const h = io();
    expect(await run(['cdr', '--help'], h.io)).toBe(0);
    expect(h.out.join('')).toMatch(/--format F +table \(default\), jsonl/);
    const m = io();
    expect(await run(['--help'], m.io)).toBe(0);
    expect(m.out.join('')).toMatch(/^ {2}cdr +query call detail records/m);
  });
});
