import { describe, expect, it } from 'vitest';
import {
  assertArgs,
  COMMANDS,
  checkCommand,
  EVENTS,
  findCommand,
  STATES,
  validate,
  validateArgs,
} from '../../../protocol/src/schemas/index';

describe('registry', () => {
  it('lists every command of DESIGN.md once', () => {
    const names = COMMANDS.map((c) => c.name).sort();
    expect(names).toEqual(
      [
        'agent.info',
        'agent.refresh',
        'peers.list',
        'calls.list',
        'extensions.list',
        'extensions.get',
        'system.resources',
        'system.disks',
        'system.firewall',
        'cdr.query',
        'recordings.get',
        'extensions.create',
        'extensions.update',
        'extensions.delete',
        'followme.get',
        'followme.list',
        'followme.create',
        'followme.update',
        'followme.delete',
      ].sort(),
    );
    // DESIGN.md lists event types "e.g."; the link adds two loss reports (outbox.dropped, link.shed).
    expect(EVENTS.map((e) => e.name).sort()).toEqual(
      [
        'outbox.dropped',
        'link.shed',
        'recording.push',
        'peer.status',
        'call.started',
        'call.updated',
        'call.ended',
        'cdr.new',
        'recording.new',
        'config.changed',
        'audit',
      ].sort(),
    );
    expect(STATES.map((s) => s.name).sort()).toEqual(['calls', 'disks', 'firewall', 'health', 'peers']);
  });
  it('every args schema refuses unknown arguments', () => {
    for (const c of COMMANDS) {
      const r = validateArgs(c.name, { ...(c.example.args as object), surprise: 1 });
      expect(r.ok, c.name).toBe(false);
      if (!r.ok) expect(r.problems).toContainEqual({ path: '/surprise', message: 'unknown argument' });
    }
  });
  it('commands that stream declare a part schema', () => {
    for (const c of COMMANDS) expect(Boolean(c.part), c.name).toBe(Boolean(c.example.parts));
  });
});

describe('argument validation names the argument', () => {
  const bad: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['extensions.get', {}, '/account', /required/i],
    ['extensions.get', { account: '10a' }, '/account', /match/],
    ['extensions.create', { account: '150', port: 0 }, '/port', /greater/],
    ['extensions.create', { account: '150', port: 65536 }, '/port', /less/],
    ['extensions.create', { account: '150', dtmfmode: 'shout' }, '/dtmfmode', /one of "rfc2833"/],
    ['extensions.create', { account: '150', nat: 'sometimes' }, '/nat', /one of/],
    ['extensions.create', { account: '150', type: 'guest' }, '/type', /one of "friend"/],
    ['extensions.create', { account: '150', transport: 'udp,smtp' }, '/transport', /match/],
    ['extensions.create', { account: '150', qualify: 'maybe' }, '/qualify', /match/],
    ['extensions.create', { account: '150', deny: '10.0.0.0' }, '/deny', /ip\/mask/],
    ['extensions.create', { account: '150', callerid: 'Bob 150' }, '/callerid', /Name <number>/],
    ['extensions.create', { account: '150', secret: 'a;b' }, '/secret', /match/],
    ['extensions.create', { account: '150', name: 'x\nnat=no' }, '/name', /match/],
    ['extensions.create', { account: '150', context: 'from internal' }, '/context', /match/],
    ['extensions.create', { account: '150', dry_run: 'yes' }, '/dry_run', /boolean/],
    ['followme.create', { grpnum: '106', grptime: 0 }, '/grptime', /greater/],
    ['followme.create', { grpnum: '106', grptime: 61 }, '/grptime', /less/],
    ['followme.create', { grpnum: '106', pre_ring: 61 }, '/pre_ring', /less/],
    ['followme.create', { grpnum: '106', strategy: 'random' }, '/strategy', /one of "ringallv2"/],
    ['followme.create', { grpnum: '106', grplist: ['10a'] }, '/grplist', /union/i],
    ['followme.create', { grpnum: '106', needsconf: 'yes' }, '/needsconf', /union/i],
    ['followme.create', { grpnum: '106', postdest: 'ext-local' }, '/postdest', /context,exten,priority/],
    ['cdr.query', { start_date: '2026-13-01' }, '/start_date', /match/],
    ['cdr.query', { limit: 0 }, '/limit', /greater/],
    ['cdr.query', { status: 'MAYBE' }, '/status', /one of "ALL"/],
    ['cdr.query', { field_name: 'password' }, '/field_name', /one of/],
    ['cdr.query', { field_pattern: '10' }, '/field_pattern', /needs field_name/],
    ['cdr.query', { start_date: '2026-02-01', end_date: '2026-01-01' }, '/end_date', /before/],
    ['recordings.get', { name: '../../etc/shadow' }, '/name', /monitor root/],
    ['recordings.get', { name: '/2024//x.wav' }, '/name', /monitor root/],
    ['recordings.get', { name: 'a\\b.wav' }, '/name', /match/],
    ['recordings.get', { name: 'a.wav', uniqueid: '1.2' }, '', /exactly one/],
    ['recordings.get', {}, '', /exactly one/],
    ['recordings.get', { uniqueid: '1.2', offset: -1 }, '/offset', /greater/],
    ['agent.info', { x: 1 }, '/x', /unknown argument/],
  ];
  it.each(bad)('%s %j → %s', (cmd, args, path, message) => {
    const r = validateArgs(cmd, args);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const p = r.problems.find((q) => q.path === path);
      expect(p, JSON.stringify(r.problems)).toBeDefined();
      expect(p?.message).toMatch(message);
    }
  });

  it('accepts the forms FreePBX uses', () => {
    const good: Array<[string, Record<string, unknown>]> = [
      [
        'extensions.create',
        {
          account: '101',
          nat: 'force_rport,comedia',
          transport: 'udp,tcp,tls',
          qualify: '2000',
          deny: '0.0.0.0/0.0.0.0',
          permit: '192.168.1.0/255.255.255.0&10.0.0.0/255.0.0.0',
          allow: 'ulaw&alaw',
          disallow: 'all',
          callerid: 'device <101>',
          host: 'dynamic',
          type: 'friend',
        },
      ],
      ['extensions.update', { account: '101', dtmfmode: 'info', callgroup: '1,3-4' }],
      [
        'followme.create',
        {
          grpnum: '106',
          grplist: '106-905312089995#',
          needsconf: true,
          ringing: 'default',
          strategy: 'ringallv2-prim',
          grptime: 60,
          pre_ring: 0,
        },
      ],
      [
        'followme.update',
        { grpnum: '106', grplist: '106,107', needsconf: '', postdest: 'ext-local,vmu106,1' },
      ],
      ['cdr.query', {}],
      [
        'cdr.query',
        { status: 'NO ANSWER', recordings: 'only', format: 'rows', compress: true, cursor: 'eyJ0IjoxfQ' },
      ],
      ['recordings.get', { uniqueid: '1768472430.14', offset: 65536 }],
      ['agent.info', {}],
    ];
    for (const [cmd, args] of good)
      expect(validateArgs(cmd, args), `${cmd} ${JSON.stringify(args)}`).toEqual({ ok: true, value: args });
    expect(validateArgs('agent.info', undefined).ok).toBe(true);
  });

  it('assertArgs throws invalid_args with the problems as details', () => {
    expect(() => assertArgs('extensions.get', { account: 'x' })).toThrow(
      expect.objectContaining({
        code: 'invalid_args',
        message: expect.stringContaining('account'),
        details: { problems: [expect.objectContaining({ path: '/account' })] },
      }),
    );
  });

  it('an unknown command is unknown_command', () => {
    expect(() => validateArgs('shell.exec', {})).toThrow(
      expect.objectContaining({ code: 'unknown_command' }),
    );
    expect(findCommand('shell.exec')).toBeUndefined();
  });

  it('validate() reports problems for values of any schema', () => {
    const c = findCommand('cdr.query');
    expect(c && validate(c.result, { count: -1, next_cursor: null }).ok).toBe(false);
  });
});

describe('checkCommand (router order: unknown_command, forbidden, invalid_args)', () => {
  it.each([
    ['shell.exec', ['admin'], {}, 'unknown_command'],
    ['cdr.query', ['read'], {}, 'forbidden'],
    ['extensions.create', ['read', 'cdr:read'], { account: '1' }, 'forbidden'],
    ['extensions.create', ['extensions:write'], { account: 'x' }, 'invalid_args'],
    ['followme.delete', ['admin'], {}, 'invalid_args'],
  ] as const)('%s with %j → %s', (cmd, scopes, args, code) => {
    expect(() => checkCommand(cmd, scopes, args)).toThrow(expect.objectContaining({ code }));
  });
  it('returns the spec and the args when allowed', () => {
    expect(checkCommand('extensions.create', ['extensions:write'], { account: '150' })).toMatchObject({
      spec: { name: 'extensions.create', scope: 'extensions:write' },
      args: { account: '150' },
    });
    expect(checkCommand('cdr.query', ['admin'], undefined).args).toEqual({});
  });
});
