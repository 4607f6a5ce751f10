// Pure parts of extension/trunk/follow-me writes: FreePBX's rules (reference §8.2, §9.1, §10.2) table-driven.
import { describe, expect, it } from 'vitest';
import { extensionSipRows, planUpdateExtension } from '../../../agent/src/pbx/freepbx/extension-plan';
import { checkCallerId, checkIpMaskList } from '../../../agent/src/pbx/freepbx/field-checks';
import {
  DEFAULT_FOLLOWME_SETTINGS,
  normalizeGrplist,
  planCreateFollowme,
  planUpdateFollowme,
} from '../../../agent/src/pbx/freepbx/followme-plan';
import { KeyedMutex } from '../../../agent/src/pbx/freepbx/keyed-mutex';
import type { Snapshot } from '../../../agent/src/pbx/freepbx/sql-changes';
import { maskRegister, maskSip } from '../../../agent/src/pbx/freepbx/sql-extensions';
import { planCreateTrunk } from '../../../agent/src/pbx/freepbx/trunk-plan';

describe('grplist as FreePBX stores it (§10.2)', () => {
  it.each([
    [['100', '5551234#'], '100', '100-5551234#'],
    ['100#,5551234#', '100', '100-5551234#'],
    ['201-202\n203', '100', '201-202-203'],
    [['201', '201', '202'], '100', '201-202'],
    [['*97', '+4930123#'], '100', '*97-+4930123#'],
  ] as const)('%j (grpnum %s) → %s', (input, g, out) => {
    expect(normalizeGrplist(input as string | string[], g)).toEqual({ list: out.split('-') });
  });
  it.each([[['1#2']], [['#']], ['']])('%j is refused', (input) => {
    expect(normalizeGrplist(input as string | string[], '100').problem).toBeTruthy();
  });
});

describe('deny/permit ip/mask (sip.conf ACL)', () => {
  it.each([
    '0.0.0.0/0.0.0.0',
    '192.168.1.0/255.255.255.0',
    '10.0.0.0/8',
    '10.0.0.0/255.0.0.0&192.168.0.0/16',
    '2001:db8::/32',
    '',
  ])('%s is accepted', (v) => {
    expect(checkIpMaskList(v)).toBeUndefined();
  });
  it.each([
    '1.2.3.4',
    '1.2.3.4/255.0.255.0',
    '256.1.1.1/24',
    '10.0.0.0/33',
    '2001:db8::/129',
    '2001:db8::/255.255.0.0',
    'a/b/c',
  ])('%s is refused', (v) => {
    expect(checkIpMaskList(v)).toBeTruthy();
  });
});

describe('callerid `Name <number>`', () => {
  it.each(['Alice <201>', '<201>', 'device <100>', 'Sales Dept <+4930*1#>'])('%s ok', (v) => {
    expect(checkCallerId(v)).toBeUndefined();
  });
  it.each(['Alice 201', 'Alice <>', '"Al" <1>', 'A <1> x', 'A\t<1>'])('%s refused', (v) => {
    expect(checkCallerId(v)).toBeTruthy();
  });
});

describe('secret masking', () => {
  it.each([
    ['user:pw@host.example/100', 'user:********@host.example/100'],
    ['user@domain:pw:auth@host:5060', 'user@domain:********:auth@host:5060'],
    ['tcp://user:pw@host', 'tcp://user:********@host'],
    ['host.example', 'host.example'],
  ])('register %s → %s', (v, out) => {
    expect(maskRegister(v)).toBe(out);
  });
  it('masks secret and md5secret, keeps an empty secret visible as empty', () => {
    expect(maskSip({ secret: 'x', md5secret: 'y', host: 'h' }, false)).toEqual({
      secret: '********',
      md5secret: '********',
      host: 'h',
    });
    expect(maskSip({ secret: '' }, false)).toEqual({ secret: '' });
    expect(maskSip({ secret: 'x' }, true)).toEqual({ secret: 'x' });
  });
});

describe('sip rows of a new extension (§9.1 step 6)', () => {
  it('mailbox follows the voicemail context; given keywords keep their slot; username only when given', () => {
    const rows = extensionSipRows(
      { account: '300', name: 'Vm User', secret: 's', nat: 'no', username: 'u300' },
      'default',
    );
    const kw = rows.map((r) => r.keyword);
    expect(rows.find((r) => r.keyword === 'mailbox')?.data).toBe('300@default');
    expect(rows.find((r) => r.keyword === 'nat')).toEqual({
      id: '300',
      keyword: 'nat',
      data: 'no',
      flags: 10,
    });
    expect(kw.slice(-3)).toEqual(['username', 'account', 'callerid']);
    expect(rows.map((r) => r.flags)).toEqual(rows.map((_, i) => i + 2));
    expect(kw).not.toContain('vmexten');
  });
  it('update of an unknown keyword appends it after the highest flags; an unchanged value writes nothing', () => {
    const snap: Snapshot = [
      { scope: { table: 'users', column: 'extension', value: '1' }, rows: [{ extension: '1', name: 'A' }] },
      { scope: { table: 'devices', column: 'id', value: '1' }, rows: [{ id: '1', tech: 'sip' }] },
      {
        scope: { table: 'sip', column: 'id', value: '1' },
        rows: [
          { id: '1', keyword: 'secret', data: 's', flags: 2 },
          { id: '1', keyword: 'callerid', data: 'A <1>', flags: 9 },
        ],
      },
    ];
    const plan = planUpdateExtension({ account: '1', name: 'A', secret: 's', vmexten: '*97' }, snap);
    expect(plan.db).toEqual([
      { op: 'insert', table: 'sip', row: { id: '1', keyword: 'vmexten', data: '*97', flags: 10 } },
    ]);
    expect(plan.fields).toEqual(['vmexten']);
    expect(plan.astdb).toEqual([]);
  });
});

describe('trunk rows (§8.2)', () => {
  it('account first with flags 2, then the template order, register flags 0', () => {
    const empty: Snapshot = [];
    const plan = planCreateTrunk(
      { account: '7', kind: 'trunk', name: 'p7', host: 'h', secret: 's', register: 'u:s@h' },
      empty,
    );
    expect(plan.db).toEqual([
      { op: 'insert', table: 'sip', row: { id: 'tr-peer-7', keyword: 'account', data: 'p7', flags: 2 } },
      { op: 'insert', table: 'sip', row: { id: 'tr-peer-7', keyword: 'host', data: 'h', flags: 3 } },
      { op: 'insert', table: 'sip', row: { id: 'tr-peer-7', keyword: 'secret', data: 's', flags: 4 } },
      { op: 'insert', table: 'sip', row: { id: 'tr-peer-7', keyword: 'type', data: 'peer', flags: 5 } },
      { op: 'insert', table: 'sip', row: { id: 'tr-reg-7', keyword: 'register', data: 'u:s@h', flags: 0 } },
    ]);
    expect(plan.astdb).toEqual([]);
  });
});

describe('follow-me update', () => {
  it('writes only changed columns, WHERE grpnum, and only their mirrored keys', () => {
    const snap: Snapshot = [
      {
        scope: { table: 'findmefollow', column: 'grpnum', value: '5' },
        rows: [{ grpnum: '5', strategy: 'ringallv2', grptime: 20, grplist: '5', pre_ring: 0, needsconf: '' }],
      },
      { scope: { table: 'users', column: 'extension', value: '5' }, rows: [{ extension: '5' }] },
    ];
    const plan = planUpdateFollowme({ grpnum: '5', grptime: 20, ringing: 'default', needsconf: true }, snap);
    expect(plan.db).toEqual([
      {
        op: 'update',
        table: 'findmefollow',
        where: { grpnum: '5' },
        set: { ringing: 'default', needsconf: 'CHECKED' },
      },
    ]);
    expect(plan.astdb).toEqual([
      { op: 'put', family: 'AMPUSER', key: '5/followme/grpconf', value: 'ENABLED' },
    ]);
  });
});

describe('follow-me enabled (AstDB ddial, reference §10.2)', () => {
  const users: Snapshot = [
    { scope: { table: 'users', column: 'extension', value: '7' }, rows: [{ extension: '7' }] },
  ];
  const ddialOf = (astdb: Array<{ key?: string; value?: string }>) =>
    astdb.find((o) => o.key === '7/followme/ddial')?.value;

  it('a new follow-me follows FOLLOWME_DISABLED unless enabled is given', () => {
    expect(ddialOf(planCreateFollowme({ grpnum: '7' }, users, DEFAULT_FOLLOWME_SETTINGS).astdb)).toBe(
      'EXTENSION',
    );
    expect(
      ddialOf(planCreateFollowme({ grpnum: '7', enabled: true }, users, DEFAULT_FOLLOWME_SETTINGS).astdb),
    ).toBe('DIRECT');
  });

  it('update switches it on or off without touching the row', () => {
    const snap: Snapshot = [
      {
        scope: { table: 'findmefollow', column: 'grpnum', value: '7' },
        rows: [{ grpnum: '7', strategy: 'ringallv2', grptime: 20 }],
      },
      ...users,
    ];
    const on = planUpdateFollowme({ grpnum: '7', enabled: true }, snap);
    expect(on.db).toEqual([]);
    expect(on.fields).toEqual(['enabled']);
    expect(ddialOf(on.astdb)).toBe('DIRECT');
    expect(ddialOf(planUpdateFollowme({ grpnum: '7', enabled: false }, snap).astdb)).toBe('EXTENSION');
  });
});

describe('KeyedMutex', () => {
  it('runs same-key jobs one at a time in call order, other keys in parallel, and forgets idle keys', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      m.run(key, async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
      });
    await Promise.all([job('a', 'a1', 30), job('a', 'a2', 1), job('b', 'b1', 5), job('a', 'a3', 1)]);
    expect(log.filter((l) => l.endsWith('a1') || l.endsWith('a2') || l.endsWith('a3'))).toEqual([
      'start a1',
      'end a1',
      'start a2',
      'end a2',
      'start a3',
      'end a3',
    ]);
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
    await expect(m.run('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await m.run('a', async () => 42)).toBe(42);
    expect(m.size).toBe(0);
  });
});
