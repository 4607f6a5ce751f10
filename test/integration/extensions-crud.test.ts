// extensions.* full cycles on the real FreePBX schema (2.11 MyISAM and 13 InnoDB) and the simulator's AstDB,
// checked row by row and key by key against reference §9.1/§9.2 (what FreePBX 2.11 writes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigHarness, rejection, startConfigHarness } from '../unit/freepbx/config-harness';

const SIP_201 = [
  ['secret', 'Pa55-word'],
  ['dtmfmode', 'rfc2833'],
  ['canreinvite', 'no'],
  ['context', 'from-internal'],
  ['host', 'dynamic'],
  ['trustrpid', 'yes'],
  ['sendrpid', 'no'],
  ['type', 'friend'],
  ['nat', 'yes'],
  ['port', '5060'],
  ['qualify', 'yes'],
  ['qualifyfreq', '60'],
  ['transport', 'udp'],
  ['avpf', 'no'],
  ['icesupport', 'no'],
  ['encryption', 'no'],
  ['callgroup', ''],
  ['pickupgroup', ''],
  ['disallow', ''],
  ['allow', ''],
  ['dial', 'SIP/201'],
  ['accountcode', ''],
  ['mailbox', '201@device'],
  ['deny', '0.0.0.0/0.0.0.0'],
  ['permit', '0.0.0.0/0.0.0.0'],
  ['account', '201'],
  ['callerid', 'Alice Smith <201>'],
];

const AMPUSER_201 = {
  '/AMPUSER/201/password': '',
  '/AMPUSER/201/ringtimer': '0',
  '/AMPUSER/201/cfringtimer': '0',
  '/AMPUSER/201/concurrency_limit': '0',
  '/AMPUSER/201/noanswer': '',
  '/AMPUSER/201/recording': 'out=Never|in=Never',
  '/AMPUSER/201/outboundcid': '',
  '/AMPUSER/201/cidname': 'Alice Smith',
  '/AMPUSER/201/cidnum': '201',
  '/AMPUSER/201/voicemail': 'novm',
  '/AMPUSER/201/answermode': 'disabled',
  '/AMPUSER/201/recording/in/external': 'dontcare',
  '/AMPUSER/201/recording/out/external': 'dontcare',
  '/AMPUSER/201/recording/in/internal': 'dontcare',
  '/AMPUSER/201/recording/out/internal': 'dontcare',
  '/AMPUSER/201/recording/ondemand': 'disabled',
  '/AMPUSER/201/recording/priority': '10',
  '/AMPUSER/201/device': '201',
};
const DEVICE_201 = {
  '/DEVICE/201/user': '201',
  '/DEVICE/201/dial': 'SIP/201',
  '/DEVICE/201/type': 'fixed',
  '/DEVICE/201/default_user': '201',
};

describe.each(['freepbx-2.11', 'freepbx-13'] as const)('extensions CRUD on %s', (variant) => {
  let h: ConfigHarness;
  const otherKeys = {
    '/AMPUSER/100/cidname': 'Reception',
    '/CW/100': 'ENABLED',
    '/DEVICE/100/dial': 'SIP/100',
  };

  beforeAll(async () => {
    h = await startConfigHarness({ variant, astdb: otherKeys });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('create writes users, devices and sip rows (flags from 2, account/callerid last) then the AstDB keys', async () => {
    const { data } = await h.call(
      'extensions.create',
      { account: '201', name: 'Alice Smith', secret: 'Pa55-word' },
      ['extensions:write'],
    );
    expect(data).toMatchObject({ account: '201', action: 'create', dry_run: false, applied: { ok: true } });
    expect((data as { fields: string[] }).fields).toContain('secret');
    expect(await h.rows('users', 'extension', '201')).toEqual([
      {
        extension: '201',
        password: '',
        name: 'Alice Smith',
        voicemail: 'novm',
        ringtimer: 0,
        noanswer: '',
        recording: 'out=Never|in=Never',
        outboundcid: '',
        sipname: '',
        mohclass: 'default',
        noanswer_cid: '',
        busy_cid: '',
        chanunavail_cid: '',
        noanswer_dest: '',
        busy_dest: '',
        chanunavail_dest: '',
      },
    ]);
    const devices = await h.rows('devices', 'id', '201');
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({
      id: '201',
      tech: 'sip',
      dial: 'SIP/201',
      devicetype: 'fixed',
      user: '201',
      description: 'Alice Smith',
      emergency_cid: '',
    });
    const sip = await h.rows('sip', 'id', '201', 'flags');
    expect(sip.map((r) => [r.keyword, r.data])).toEqual(SIP_201);
    expect(sip.map((r) => r.flags)).toEqual(SIP_201.map((_, i) => i + 2));
    expect(h.astdb('/AMPUSER/201')).toEqual(AMPUSER_201);
    expect(h.astdb('/DEVICE/201')).toEqual(DEVICE_201);
    expect(h.astdb('/CW/201')).toEqual({ '/CW/201': 'ENABLED' });
    const [[admin]] = (await h.conn.query(
      `SELECT value FROM \`${h.dbs.configDb}\`.admin WHERE variable='need_reload'`,
    )) as unknown as [[{ value: string }]];
    expect(admin.value).toBe('true');
    expect(await h.applyRuns()).toEqual(['run reload']);
    expect(h.events.at(-1)).toEqual({
      type: 'config.changed',
      data: expect.objectContaining({
        kind: 'extension',
        action: 'create',
        id: '201',
        by: 'ops-1',
        applied: expect.objectContaining({ ok: true }),
      }),
    });
    expect(JSON.stringify(h.events)).not.toContain('Pa55-word');
  });

  it('create on an existing account is a conflict and writes nothing', async () => {
    const before = await h.rows('sip', 'id', '201', 'flags');
    const e = await rejection(h.call('extensions.create', { account: '201', name: 'X', secret: 'y' }));
    expect(e.code).toBe('conflict');
    expect(await h.rows('sip', 'id', '201', 'flags')).toEqual(before);
  });

  it('get masks the secret without secrets:read and shows it with it', async () => {
    const masked = (await h.call('extensions.get', { account: '201' }, ['read'])).data as Record<string, any>;
    expect(masked).toMatchObject({
      account: '201',
      tech: 'sip',
      name: 'Alice Smith',
      dial: 'SIP/201',
      voicemail: 'novm',
      ringtimer: 0,
      secret_set: true,
    });
    expect(masked.sip.secret).toBe('********');
    expect(masked.sip.callerid).toBe('Alice Smith <201>');
    const plain = (await h.call('extensions.get', { account: '201' }, ['read', 'secrets:read']))
      .data as Record<string, any>;
    expect(plain.sip.secret).toBe('Pa55-word');
    expect((await rejection(h.call('extensions.get', { account: '999' }, ['read']))).code).toBe('not_found');
  });

  it('update changes only the given fields (read-modify-write), rows and keys', async () => {
    const before = await h.rows('sip', 'id', '201', 'flags');
    const keysBefore = h.astdb('/AMPUSER/201');
    const { data } = await h.call('extensions.update', {
      account: '201',
      dtmfmode: 'info',
      name: 'Alice Jones',
      nat: 'yes',
    });
    // nat was already 'yes': not a change
    expect(data).toMatchObject({ action: 'update', fields: ['name', 'dtmfmode'], applied: { ok: true } });
    const after = await h.rows('sip', 'id', '201', 'flags');
    expect(after).toEqual(before.map((r) => (r.keyword === 'dtmfmode' ? { ...r, data: 'info' } : r)));
    expect((await h.rows('users', 'extension', '201'))[0]).toMatchObject({
      name: 'Alice Jones',
      voicemail: 'novm',
    });
    expect((await h.rows('devices', 'id', '201'))[0]).toMatchObject({ description: 'Alice Jones' });
    expect(h.astdb('/AMPUSER/201')).toEqual({ ...keysBefore, '/AMPUSER/201/cidname': 'Alice Jones' });
    expect((await rejection(h.call('extensions.update', { account: '999', nat: 'no' }))).code).toBe(
      'not_found',
    );
    // the same values again: nothing written, nothing applied, no event
    const runs = (await h.applyRuns()).length;
    const events = h.events.length;
    const same = await h.call('extensions.update', { account: '201', dtmfmode: 'info', name: 'Alice Jones' });
    expect(same.data).toMatchObject({ fields: [], applied: null });
    expect((await h.applyRuns()).length).toBe(runs);
    expect(h.events.length).toBe(events);
  });

  it('dry_run returns the exact rows and keys and writes nothing', async () => {
    const runs = (await h.applyRuns()).length;
    const { data } = await h.call(
      'extensions.create',
      { account: '202', name: 'Bob', secret: 'S3cret-202', dry_run: true },
      ['extensions:write'],
    );
    const d = data as { dry_run: boolean; applied: unknown; plan: { rows: any[]; astdb: any[] } };
    expect(d.dry_run).toBe(true);
    expect(d.applied).toBeNull();
    expect(d.plan.rows[0]).toMatchObject({
      op: 'insert',
      table: 'users',
      row: { extension: '202', name: 'Bob' },
    });
    const sipRows = d.plan.rows.filter((r) => r.table === 'sip').map((r) => r.row);
    expect(sipRows[0]).toEqual({ id: '202', keyword: 'secret', data: '********', flags: 2 });
    expect(sipRows.at(-1)).toEqual({
      id: '202',
      keyword: 'callerid',
      data: 'Bob <202>',
      flags: SIP_201.length + 1,
    });
    expect(d.plan.astdb).toContainEqual({ op: 'put', family: 'AMPUSER', key: '202/cidname', value: 'Bob' });
    expect(await h.rows('users', 'extension', '202')).toEqual([]);
    expect(h.astdb('/AMPUSER/202')).toEqual({});
    expect((await h.applyRuns()).length).toBe(runs);
  });

  it('list streams every extension and the trunk, secrets masked, in parts', async () => {
    await h.call('extensions.create', {
      kind: 'trunk',
      account: '1',
      name: 'provider1',
      host: 'sip.example.net',
      secret: 'TrunkPw1',
      username: 'acct1',
      register: 'acct1:TrunkPw1@sip.example.net/5551234',
    });
    h.payloadLimit = 1500;
    const { data, parts } = await h.call('extensions.list', {}, ['read']);
    h.payloadLimit = 4096;
    const all = (parts as Array<{ extensions: Record<string, unknown>[] }>).flatMap((p) => p.extensions);
    expect(data).toEqual({ count: all.length });
    expect(parts.length).toBeGreaterThan(1); // 1.5 KB parts
    for (const p of parts) expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(1500);
    expect(all.map((e) => e.account)).toEqual(['100', '106', '201', 'tr-peer-1']);
    const e100 = all[0]!;
    expect(e100).toMatchObject({
      tech: 'sip',
      trunk: false,
      name: 'Reception',
      dial: 'SIP/100',
      secret: '********',
      dtmfmode: 'rfc2833',
      canreinvite: 'no',
      context: 'from-internal',
      host: 'dynamic',
      deny: '0.0.0.0/0.0.0.0',
      callerid: 'device <100>',
    });
    expect(all[3]).toMatchObject({
      trunk: true,
      name: 'provider1',
      host: 'sip.example.net',
      secret: '********',
    });
    expect(JSON.stringify(parts)).not.toContain('TrunkPw1');
    expect(JSON.stringify(parts)).not.toContain('S3cr3t-100-x');
    const withSecrets = await h.call('extensions.list', {}, ['read', 'secrets:read']);
    expect(JSON.stringify(withSecrets.parts)).toContain('S3cr3t-100-x');
  });

  it('delete removes the rows and every key FreePBX removes (§9.2), leaving other extensions alone', async () => {
    await h.call('followme.create', { grpnum: '201', grplist: ['201', '5551234#'] }, ['followme:write']);
    h.sim.astdb.set('/CF/201', '5550000');
    const { data } = await h.call('extensions.delete', { account: '201' });
    expect(data).toMatchObject({ action: 'delete', applied: { ok: true } });
    for (const [t, c] of [
      ['users', 'extension'],
      ['devices', 'id'],
      ['sip', 'id'],
      ['findmefollow', 'grpnum'],
    ] as const) {
      expect(await h.rows(t, c, '201')).toEqual([]);
    }
    expect(h.astdb('/AMPUSER/201')).toEqual({});
    expect(h.astdb('/DEVICE/201')).toEqual({});
    expect(h.astdb('/CW/201')).toEqual({});
    expect(h.astdb('/CF/201')).toEqual({});
    for (const [k, v] of Object.entries(otherKeys)) expect(h.sim.astdb.get(k)).toBe(v);
    expect((await h.rows('sip', 'id', '100')).length).toBe(27);
    expect((await rejection(h.call('extensions.delete', { account: '201' }))).code).toBe('not_found');
  });
});
