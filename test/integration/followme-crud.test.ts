// followme.* full cycle on findmefollow + AMPUSER/<grpnum>/followme/* (reference §10), both FreePBX schemas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigHarness, rejection, startConfigHarness } from '../unit/freepbx/config-harness';

describe.each(['freepbx-2.11', 'freepbx-13'] as const)('follow-me CRUD on %s', (variant) => {
  let h: ConfigHarness;
  beforeAll(async () => {
    h = await startConfigHarness({
      variant,
      astdb: {
        '/AMPUSER/106/followme/grptime': '20',
        '/AMPUSER/106/followme/grplist': '905312089995#-905312089996#',
      },
    });
    await h.call('extensions.create', { account: '110', name: 'Follow Me', secret: 'fm-secret-110' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('create writes the row with FreePBX defaults and the seven §10.3 keys in order', async () => {
    const before = h.sim.actionsReceived.length;
    const { data } = await h.call(
      'followme.create',
      { grpnum: '110', grplist: '110#,5551234#,201', grptime: 25, needsconf: true },
      ['followme:write'],
    );
    expect(data).toMatchObject({ grpnum: '110', action: 'create', dry_run: false, applied: { ok: true } });
    const rows = await h.rows('findmefollow', 'grpnum', '110');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      grpnum: '110',
      strategy: 'ringallv2-prim',
      grptime: 25,
      grppre: '',
      grplist: '110-5551234#-201',
      annmsg_id: 0,
      postdest: 'ext-local,110,dest',
      dring: '',
      remotealert_id: 0,
      needsconf: 'CHECKED',
      toolate_id: 0,
      pre_ring: 7,
      ringing: 'Ring',
    });
    expect(h.astdb('/AMPUSER/110/followme')).toEqual({
      '/AMPUSER/110/followme/prering': '7',
      '/AMPUSER/110/followme/grptime': '25',
      '/AMPUSER/110/followme/grplist': '110-5551234#-201',
      '/AMPUSER/110/followme/grpconf': 'ENABLED',
      '/AMPUSER/110/followme/ddial': 'EXTENSION',
      '/AMPUSER/110/followme/changecid': 'default',
      '/AMPUSER/110/followme/fixedcid': '',
    });
    const putOrder = h.sim.actionsReceived
      .slice(before)
      .filter((a) => a.action.toLowerCase() === 'dbput')
      .map((a) => a.headers.key);
    expect(putOrder).toEqual(
      ['prering', 'grptime', 'grplist', 'grpconf', 'ddial', 'changecid', 'fixedcid'].map(
        (k) => `110/followme/${k}`,
      ),
    );
    expect(h.events.at(-1)?.data).toMatchObject({
      kind: 'followme',
      action: 'create',
      id: '110',
      by: 'ops-1',
    });
  });

  it('get merges AstDB (it wins, §10.3); list streams the rows', async () => {
    h.sim.astdb.set('/AMPUSER/110/followme/grptime', '30');
    const { data } = await h.call('followme.get', { grpnum: '110' }, ['read']);
    expect(data).toEqual({
      grpnum: '110',
      strategy: 'ringallv2-prim',
      grptime: 30,
      grppre: '',
      grplist: ['110', '5551234#', '201'],
      annmsg_id: 0,
      postdest: 'ext-local,110,dest',
      dring: '',
      remotealert_id: 0,
      needsconf: true,
      toolate_id: 0,
      pre_ring: 7,
      ringing: 'Ring',
      ddial: 'EXTENSION',
    });
    const list = await h.call('followme.list', {}, ['read']);
    type Listed = { grpnum: string; grplist: string[]; grptime: number; ddial: string | null };
    const all = (list.parts as Array<{ followme: Listed[] }>).flatMap((p) => p.followme);
    expect(list.data).toEqual({ count: 2 });
    expect(all.map((f) => [f.grpnum, f.grptime, f.ddial])).toEqual([
      ['106', 20, null],
      ['110', 30, 'EXTENSION'],
    ]);
    expect(all[0]?.grplist).toEqual(['905312089995#', '905312089996#']);
    h.sim.astdb.set('/AMPUSER/110/followme/grptime', '25');
  });

  it('update changes only the target row and only the keys of the given fields', async () => {
    const [before106] = (await h.conn.query(
      `SELECT * FROM \`${h.dbs.configDb}\`.findmefollow WHERE grpnum <> '110' ORDER BY grpnum`,
    )) as unknown as [unknown[]];
    const keys106 = h.astdb('/AMPUSER/106');
    const keys110 = h.astdb('/AMPUSER/110/followme');
    const { data } = await h.call('followme.update', {
      grpnum: '110',
      grplist: ['201', '202'],
      strategy: 'hunt',
    });
    expect(data).toMatchObject({ action: 'update', fields: ['strategy', 'grplist'] });
    const [after106] = (await h.conn.query(
      `SELECT * FROM \`${h.dbs.configDb}\`.findmefollow WHERE grpnum <> '110' ORDER BY grpnum`,
    )) as unknown as [unknown[]];
    expect(after106).toEqual(before106);
    expect(h.astdb('/AMPUSER/106')).toEqual(keys106);
    expect((await h.rows('findmefollow', 'grpnum', '110'))[0]).toMatchObject({
      strategy: 'hunt',
      grplist: '201-202',
      grptime: 25,
    });
    expect(h.astdb('/AMPUSER/110/followme')).toEqual({
      ...keys110,
      '/AMPUSER/110/followme/grplist': '201-202',
    });
  });

  it('a follow-me for a missing extension is not_found; a second create is a conflict; dry_run writes nothing', async () => {
    expect((await rejection(h.call('followme.create', { grpnum: '555' }))).code).toBe('not_found');
    expect((await rejection(h.call('followme.update', { grpnum: '555', grptime: 10 }))).code).toBe(
      'not_found',
    );
    expect((await rejection(h.call('followme.get', { grpnum: '555' }, ['read']))).code).toBe('not_found');
    expect((await rejection(h.call('followme.create', { grpnum: '110' }))).code).toBe('conflict');
    const { data } = await h.call('followme.update', { grpnum: '110', pre_ring: 15, dry_run: true });
    expect(data).toMatchObject({
      dry_run: true,
      applied: null,
      plan: {
        rows: [{ op: 'update', table: 'findmefollow', where: { grpnum: '110' }, set: { pre_ring: 15 } }],
        astdb: [{ op: 'put', family: 'AMPUSER', key: '110/followme/prering', value: '15' }],
      },
    });
    expect((await h.rows('findmefollow', 'grpnum', '110'))[0]?.pre_ring).toBe(7);
  });

  it('delete removes the row and the AMPUSER/<grpnum>/followme tree only', async () => {
    const user = h.astdb('/AMPUSER/110');
    const { data } = await h.call('followme.delete', { grpnum: '110' });
    expect(data).toMatchObject({ action: 'delete', applied: { ok: true } });
    expect(await h.rows('findmefollow', 'grpnum', '110')).toEqual([]);
    expect(h.astdb('/AMPUSER/110/followme')).toEqual({});
    const rest = Object.fromEntries(
      Object.entries(user).filter(([k]) => !k.startsWith('/AMPUSER/110/followme/')),
    );
    expect(h.astdb('/AMPUSER/110')).toEqual(rest);
    expect((await h.rows('findmefollow', 'grpnum', '106')).length).toBe(1);
    expect((await rejection(h.call('followme.delete', { grpnum: '110' }))).code).toBe('not_found');
  });

  it('FOLLOWME_AUTO_CREATE on: a new extension gets its follow-me with the settings (§9.1 step 7)', async () => {
    await h.conn.query(
      `UPDATE \`${h.dbs.configDb}\`.freepbx_settings SET value = CASE keyword WHEN 'FOLLOWME_AUTO_CREATE' THEN '1' WHEN 'FOLLOWME_DISABLED' THEN '0' WHEN 'FOLLOWME_TIME' THEN '30' END WHERE keyword IN ('FOLLOWME_AUTO_CREATE','FOLLOWME_DISABLED','FOLLOWME_TIME')`,
    );
    try {
      await h.call('extensions.create', { account: '120', name: 'Auto FM', secret: 'auto-fm-120' });
      expect((await h.rows('findmefollow', 'grpnum', '120'))[0]).toMatchObject({
        strategy: 'ringallv2-prim',
        grptime: 30,
        grplist: '120',
        pre_ring: 7,
        postdest: 'ext-local,120,dest',
      });
      expect(h.sim.astdb.get('/AMPUSER/120/followme/ddial')).toBe('DIRECT');
      expect(h.sim.astdb.get('/AMPUSER/120/followme/grptime')).toBe('30');
      await h.call('extensions.delete', { account: '120' });
      expect(await h.rows('findmefollow', 'grpnum', '120')).toEqual([]);
      expect(h.astdb('/AMPUSER/120')).toEqual({});
    } finally {
      await h.conn.query(
        `UPDATE \`${h.dbs.configDb}\`.freepbx_settings SET value = CASE keyword WHEN 'FOLLOWME_AUTO_CREATE' THEN '0' WHEN 'FOLLOWME_DISABLED' THEN '1' WHEN 'FOLLOWME_TIME' THEN '20' END WHERE keyword IN ('FOLLOWME_AUTO_CREATE','FOLLOWME_DISABLED','FOLLOWME_TIME')`,
      );
    }
  });
});
