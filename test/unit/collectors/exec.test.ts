import { describe, expect, it } from 'vitest';
import { createExec, ExecError } from '../../../agent/src/collectors/exec';
import { parseUptime } from '../../../agent/src/collectors/parse-uptime';
import { formatUptimeLine } from '../../../agent/src/collectors/system-resources';

describe('createExec (execFile, argument arrays, no shell)', () => {
  const exec = createExec({ timeoutMs: 5000, maxBuffer: 64 * 1024 });

  it('passes arguments verbatim: shell metacharacters are not interpreted', async () => {
    const r = await exec('printf', ['%s|', '$(id)', '`id`', '; rm -rf /', '*']);
    expect(r).toEqual({ stdout: '$(id)|`id`|; rm -rf /|*|', stderr: '', code: 0 });
  });

  it('resolves with the exit code when the program fails', async () => {
    expect(await exec('false', [])).toMatchObject({ code: 1 });
    const r = await exec('ls', ['/definitely/not/here']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/No such file/);
  });

  it('runs in the C locale (no localized decimals in df/uptime output)', async () => {
    expect((await exec('printenv', ['LC_ALL'])).stdout.trim()).toBe('C');
  });

  it.each([
    ['a missing program', () => exec('/nonexistent/program', []), 'ENOENT'],
    ['a timeout', () => createExec({ timeoutMs: 100 })('sleep', ['5']), 'ETIMEDOUT'],
    ['output past maxBuffer', () => exec('yes', []), 'EMAXBUFFER'],
    [
      'an abort',
      () => {
        const ac = new AbortController();
        const p = exec('sleep', ['5'], { signal: ac.signal });
        ac.abort();
        return p;
      },
      'ABORT_ERR',
    ],
  ])('rejects with ExecError on %s', async (_label, run, errno) => {
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).errno).toBe(errno);
  });
});

describe('formatUptimeLine (when `uptime` is absent) reads back through parseUptime', () => {
  it.each([0, 59, 60, 3599, 3600, 86_399, 86_400, 90_061, 400 * 86_400 + 61])('%i s', (s) => {
    const line = formatUptimeLine(s, 2, [0.5, 0.25, 0.125]);
    expect(parseUptime(line)).toEqual({
      uptime: line,
      uptime_s: s - (s % 60),
      users: 2,
      load_average: [0.5, 0.25, 0.13],
    });
  });
});
