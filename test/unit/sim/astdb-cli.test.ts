// AstDB actions and CLI commands over AMI (§2, §6): per-version traps, exact output strings.
import { afterEach, describe, expect, it } from 'vitest';
import type { Dialect } from '../../sim/profiles';
import { type AmiSimulator, startAmiSimulator } from '../../sim/server';
import { login, type RawClient } from './raw-client';

let sim: AmiSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const SEED = {
  '/AMPUSER/100/cidname': 'Alice',
  '/AMPUSER/100/followme/grplist': '100-101',
  '/AMPUSER/1000/cidname': 'Zed',
  '/CF/100': '5551234',
};

async function open(dialect: Dialect): Promise<RawClient> {
  sim = await startAmiSimulator({ dialect, astdb: { ...SEED }, now: () => 1_700_000_000_000 });
  return login(sim.port);
}

async function reply(c: RawClient, lines: string[]): Promise<string> {
  c.action(lines);
  return c.readUntil('\r\n\r\n');
}

/** Runs a CLI command and returns the CLI text (both Command formats). */
async function cli(c: RawClient, dialect: Dialect, command: string): Promise<string> {
  c.action(['Action: Command', `Command: ${command}`]);
  if (dialect === '16') {
    const r = await c.readUntil('\r\n\r\n');
    return r
      .split('\r\n')
      .filter((l) => l.startsWith('Output: '))
      .map((l) => `${l.slice(8)}\n`)
      .join('');
  }
  const r = await c.readUntil('--END COMMAND--\r\n\r\n');
  return r.slice('Response: Follows\r\nPrivilege: Command\r\n'.length, -'--END COMMAND--\r\n\r\n'.length);
}

describe('DB actions (§6.1)', () => {
  it('DBDel on a missing key: 1.8 reports not found, 11+ success (SQLite trap)', async () => {
    for (const [dialect, want] of [
      ['1.8', 'Response: Error\r\nMessage: Database entry not found\r\n\r\n'],
      ['11', 'Response: Success\r\nMessage: Key deleted successfully\r\n\r\n'],
      ['13', 'Response: Success\r\nMessage: Key deleted successfully\r\n\r\n'],
      ['16', 'Response: Success\r\nMessage: Key deleted successfully\r\n\r\n'],
    ] as const) {
      const c = await open(dialect);
      expect(await reply(c, ['Action: DBDel', 'Family: AMPUSER', 'Key: 999/none'])).toBe(want);
      expect(await reply(c, ['Action: DBDel', 'Family: CF', 'Key: 100'])).toBe(
        'Response: Success\r\nMessage: Key deleted successfully\r\n\r\n',
      );
      expect(sim!.astdb.has('/CF/100')).toBe(false);
      c.close();
      await sim!.close();
      sim = undefined;
    }
  });

  it('DBPut messages (no period), missing Val stores empty; DBGet errors (with period) and not found', async () => {
    const c = await open('13');
    expect(await reply(c, ['Action: DBPut', 'Key: k'])).toBe(
      'Response: Error\r\nMessage: No family specified\r\n\r\n',
    );
    expect(await reply(c, ['Action: DBPut', 'Family: F'])).toBe(
      'Response: Error\r\nMessage: No key specified\r\n\r\n',
    );
    expect(await reply(c, ['Action: DBPut', 'Family: F', 'Key: k'])).toBe(
      'Response: Success\r\nMessage: Updated database successfully\r\n\r\n',
    );
    expect(sim!.astdb.get('/F/k')).toBe('');
    expect(await reply(c, ['Action: DBGet', 'Key: k'])).toBe(
      'Response: Error\r\nMessage: No family specified.\r\n\r\n',
    );
    expect(await reply(c, ['Action: DBGet', 'Family: F'])).toBe(
      'Response: Error\r\nMessage: No key specified.\r\n\r\n',
    );
    expect(await reply(c, ['Action: DBGet', 'Family: F', 'Key: nope', 'ActionID: g'])).toBe(
      'Response: Error\r\nActionID: g\r\nMessage: Database entry not found\r\n\r\n',
    );
    c.close();
  });

  it('DBDelTree: prefix + "/" rule (AMPUSER/100 keeps AMPUSER/1000), 0 rows is an error', async () => {
    const c = await open('11');
    expect(await reply(c, ['Action: DBDelTree', 'Family: AMPUSER', 'Key: 100'])).toBe(
      'Response: Success\r\nMessage: Key tree deleted successfully\r\n\r\n',
    );
    expect([...sim!.astdb.keys()].sort()).toEqual(['/AMPUSER/1000/cidname', '/CF/100']);
    expect(await reply(c, ['Action: DBDelTree', 'Family: AMPUSER', 'Key: 100'])).toBe(
      'Response: Error\r\nMessage: Database entry not found\r\n\r\n',
    );
    c.close();
  });
});

describe.each(['1.8', '11', '13', '16'] as const)('CLI over Command, dialect %s (§6.3, §7)', (dialect) => {
  it('database put/get/del/deltree/show strings and padding', async () => {
    const c = await open(dialect);
    expect(await cli(c, dialect, 'database put AMPUSER 200/cidname "Bob Smith"')).toBe(
      'Updated database successfully\n',
    );
    expect(sim!.astdb.get('/AMPUSER/200/cidname')).toBe('Bob Smith');
    expect(await cli(c, dialect, 'database get AMPUSER 200/cidname')).toBe('Value: Bob Smith\n');
    expect(await cli(c, dialect, 'database get AMPUSER 200/none')).toBe('Database entry not found.\n');
    expect(await cli(c, dialect, 'database show AMPUSER 100')).toBe(
      '/AMPUSER/100/cidname                              : Alice                    \n' +
        '/AMPUSER/100/followme/grplist                     : 100-101                  \n2 results found.\n',
    );
    expect(await cli(c, dialect, 'database del AMPUSER 999')).toBe(
      dialect === '1.8' ? 'Database entry does not exist.\n' : 'Database entry removed.\n',
    );
    expect(await cli(c, dialect, 'database deltree AMPUSER/100')).toBe('2 database entries removed.\n');
    expect(await cli(c, dialect, 'database deltree AMPUSER 100')).toBe('Database entries do not exist.\n');
    // An unquoted empty value leaves 4 arguments: usage text, key not written (§6.3).
    expect(await cli(c, dialect, 'database put AMPUSER 300/password ')).toMatch(
      /^Usage: database put <family> <key> <value>\n/,
    );
    expect(sim!.astdb.has('/AMPUSER/300/password')).toBe(false);
    expect(await cli(c, dialect, 'database put AMPUSER 300/password ""')).toBe(
      'Updated database successfully\n',
    );
    expect(sim!.astdb.get('/AMPUSER/300/password')).toBe('');
    c.close();
  });

  it('version, uptime, module reload (empty), unknown command text', async () => {
    const c = await open(dialect);
    expect(await cli(c, dialect, 'core show version')).toMatch(
      new RegExp(`^Asterisk ${sim!.profile.asteriskVersion.replace(/\./g, '\\.')} built by `),
    );
    expect(await cli(c, dialect, 'core show uptime')).toBe(
      'System uptime: 3 days, 4 hours, 5 minutes, 6 seconds \nLast reload: 1 hour, 2 minutes \n',
    );
    expect(await cli(c, dialect, 'module reload')).toBe(dialect === '16' ? '\n' : '');
    expect(await cli(c, dialect, 'core show foo')).toBe(
      "No such command 'core show foo' (type 'core show help core show foo' for other possible commands)\n",
    );
    c.close();
  });
});

it('Command with empty output in the Follows format: marker right after the header lines (§2.1)', async () => {
  const c = await open('11');
  c.action(['Action: Command', 'Command: moh reload', 'ActionID: m']);
  expect(await c.readUntil('\r\n\r\n')).toBe(
    'Response: Follows\r\nPrivilege: Command\r\nActionID: m\r\n--END COMMAND--\r\n\r\n',
  );
  c.action(['Action: Command', 'Command: module load chan_sip.so']);
  expect(await c.readUntil('\r\n\r\n')).toBe('Response: Error\r\nMessage: Command blacklisted\r\n\r\n');
  c.close();
});

it('16: empty output is one empty Output line (§2.2)', async () => {
  const c = await open('16');
  c.action(['Action: Command', 'Command: moh reload', 'ActionID: m']);
  expect(await c.readUntil('\r\n\r\n')).toBe(
    'Response: Success\r\nActionID: m\r\nMessage: Command output follows\r\nOutput: \r\n\r\n',
  );
  c.close();
});

it('core show channels (default layout, §7.1): 11 prints exten@context:prio, 13 always (None)', async () => {
  for (const [dialect, loc] of [
    ['11', 's@macro-dial-one:52'],
    ['13', '(None)'],
  ] as const) {
    const c = await open(dialect);
    const ch = sim!.calls.newChannel({
      peer: '100',
      callerNum: '100',
      callerName: '',
      context: 'from-internal',
      exten: '102',
    });
    sim!.calls.exec(ch, 'macro-dial-one', 's', 52, 'Dial', 'SIP/102,,Hh');
    const pad = (s: string, w: number) => s.padEnd(w, ' ');
    expect(await cli(c, dialect, 'core show channels')).toBe(
      `${pad('Channel', 20)} ${pad('Location', 20)} ${pad('State', 7)} ${pad('Application(Data)', 30)}\n` +
        `${pad(ch.name, 20)} ${pad(loc, 20)} ${pad('Down', 7)} ${pad('Dial(SIP/102,,Hh)', 30)}\n` +
        '1 active channel\n1 active call\n0 calls processed\n',
    );
    c.close();
    await sim!.close();
    sim = undefined;
  }
});
