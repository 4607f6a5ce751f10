import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addTrustedKey,
  type Consumer,
  connectConsumer,
  pbxctlSend,
  startTestPbx,
  type TestKey,
  type TestPbx,
} from '../helpers/agent-harness';
import { useProcesses } from '../helpers/process';

const procs = useProcesses();
let pbx: TestPbx;
let consumer: Consumer;
/** A second key with `read` only (no extensions:write, no secrets:read). */
let readKey: TestKey;

beforeAll(async () => {
  pbx = await startTestPbx({ dialect: '13' });
  readKey = addTrustedKey(pbx, 'e2e-read', ['read']);
  consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
  await pbx.startAgent();
  await consumer.waitFor(() => consumer.on('/status').some((s) => s.payload.online), 15_000, 'birth');
}, 60_000);
afterAll(async () => {
  await consumer?.close();
  await pbx?.close();
});

/** `pbxctl send AGENT CMD --arg …` with the admin key (or `key`): exit code, parsed stdout, stderr. */
function send(cmd: string, args: string[], key?: TestKey) {
  return pbxctlSend(procs.runNode, pbx, cmd, args, key);
}

async function sipRows(id: string): Promise<[string, string, number][]> {
  const [rows] = (await pbx.dbs.conn.query(
    `SELECT keyword, data, flags FROM \`${pbx.dbs.configDb}\`.sip WHERE id = ? ORDER BY flags, keyword`,
    [id],
  )) as unknown as [{ keyword: string; data: string; flags: number }[]];
  return rows.map((r) => [r.keyword, r.data, r.flags]);
}

async function rowsOf(table: 'users' | 'devices', col: string, id: string): Promise<Record<string, any>[]> {
  const [rows] = await pbx.dbs.conn.query(
    `SELECT * FROM \`${pbx.dbs.configDb}\`.\`${table}\` WHERE ${col} = ?`,
    [id],
  );
  return rows as Record<string, any>[];
}

/** The simulator's AstDB entries under `/FAMILY/key` prefix (e.g. `/AMPUSER/150`). */
function astdb(prefix: string): Record<string, string> {
  return Object.fromEntries([...pbx.sim.astdb].filter(([k]) => k === prefix || k.startsWith(`${prefix}/`)));
}

/** Everything the config tables and AstDB hold, for "nothing changed" checks. */
async function snapshot(): Promise<string> {
  const parts: unknown[] = [];
  for (const t of ['sip', 'users', 'devices', 'findmefollow']) {
    const [rows] = await pbx.dbs.conn.query(`SELECT * FROM \`${pbx.dbs.configDb}\`.\`${t}\``);
    parts.push((rows as object[]).map((r) => JSON.stringify(r)).sort());
  }
  parts.push([...pbx.sim.astdb].sort());
  return JSON.stringify(parts);
}

function changedEvents(id: string): any[] {
  return consumer
    .on('/events/config.changed')
    .map((s) => s.payload.data)
    .filter((d) => d.id === id);
}

describe('extensions.* on the agent process', () => {
  it('extension: create → get (masked / shown) → update one field → delete, row by row and key by key', async () => {
    const c = await send('extensions.create', [
      '--arg',
      'account=150',
      '--arg',
      'name=Bob Stone',
      '--arg',
      'secret=S3cret-150!',
    ]);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(c.data).toMatchObject({ account: '150', action: 'create', dry_run: false, applied: { ok: true } });
    const sip = await sipRows('150');
    expect(sip.map(([k]) => k)).toEqual([
      'secret',
      'dtmfmode',
      'canreinvite',
      'context',
      'host',
      'trustrpid',
      'sendrpid',
      'type',
      'nat',
      'port',
      'qualify',
      'qualifyfreq',
      'transport',
      'avpf',
      'icesupport',
      'encryption',
      'callgroup',
      'pickupgroup',
      'disallow',
      'allow',
      'dial',
      'accountcode',
      'mailbox',
      'deny',
      'permit',
      'account',
      'callerid',
    ]);
    expect(sip.map(([, , f]) => f)).toEqual(sip.map((_, i) => i + 2));
    expect(Object.fromEntries(sip.map(([k, d]) => [k, d]))).toMatchObject({
      secret: 'S3cret-150!',
      dial: 'SIP/150',
      mailbox: '150@device',
      account: '150',
      callerid: 'Bob Stone <150>',
      nat: 'yes',
      dtmfmode: 'rfc2833',
    });
    expect(await rowsOf('users', 'extension', '150')).toEqual([
      expect.objectContaining({ extension: '150', name: 'Bob Stone', voicemail: 'novm' }),
    ]);
    expect(await rowsOf('devices', 'id', '150')).toEqual([
      expect.objectContaining({
        id: '150',
        tech: 'sip',
        dial: 'SIP/150',
        user: '150',
        description: 'Bob Stone',
      }),
    ]);
    expect(astdb('/AMPUSER/150')).toMatchObject({
      '/AMPUSER/150/cidname': 'Bob Stone',
      '/AMPUSER/150/cidnum': '150',
      '/AMPUSER/150/device': '150',
      '/AMPUSER/150/voicemail': 'novm',
    });
    expect(astdb('/DEVICE/150')).toEqual({
      '/DEVICE/150/user': '150',
      '/DEVICE/150/dial': 'SIP/150',
      '/DEVICE/150/type': 'fixed',
      '/DEVICE/150/default_user': '150',
    });
    await consumer.waitFor(() => changedEvents('150').length === 1, 10_000, 'config.changed create');
    expect(changedEvents('150')[0]).toMatchObject({
      kind: 'extension',
      action: 'create',
      id: '150',
      by: pbx.key.kid,
    });
    expect(JSON.stringify(consumer.seen.map((s) => s.payload))).not.toContain('S3cret-150!');

    const masked = await send('extensions.get', ['--arg', 'account=150'], readKey);
    expect(masked.code).toBe(0);
    expect(masked.data).toMatchObject({ account: '150', name: 'Bob Stone', sip: { secret: '********' } });
    expect(masked.stdout).not.toContain('S3cret-150!');
    const shown = await send('extensions.get', ['--arg', 'account=150']);
    expect(shown.data.sip.secret).toBe('S3cret-150!');

    const before = await sipRows('150');
    const keysBefore = astdb('/AMPUSER/150');
    const u = await send('extensions.update', ['--arg', 'account=150', '--arg', 'nat=no']);
    expect(u.code).toBe(0);
    expect(u.data).toMatchObject({ action: 'update', fields: ['nat'], applied: { ok: true } });
    expect(await sipRows('150')).toEqual(before.map((r) => (r[0] === 'nat' ? ['nat', 'no', r[2]] : r)));
    expect(await rowsOf('users', 'extension', '150')).toEqual([
      expect.objectContaining({ name: 'Bob Stone' }),
    ]);
    expect(astdb('/AMPUSER/150')).toEqual(keysBefore);
    await consumer.waitFor(() => changedEvents('150').length === 2, 10_000, 'config.changed update');
    expect(changedEvents('150')[1]).toMatchObject({ action: 'update', fields: ['nat'], by: pbx.key.kid });

    const d = await send('extensions.delete', ['--arg', 'account=150']);
    expect(d.code).toBe(0);
    expect(d.data).toMatchObject({ action: 'delete', applied: { ok: true } });
    expect(await sipRows('150')).toEqual([]);
    expect(await rowsOf('users', 'extension', '150')).toEqual([]);
    expect(await rowsOf('devices', 'id', '150')).toEqual([]);
    expect(astdb('/AMPUSER/150')).toEqual({});
    expect(astdb('/DEVICE/150')).toEqual({});
    await consumer.waitFor(() => changedEvents('150').length === 3, 10_000, 'config.changed delete');
    const gone = await send('extensions.get', ['--arg', 'account=150']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/not_found/);
  });

  it('trunk: create with a register string → get (password masked) → update → delete', async () => {
    const c = await send('extensions.create', [
      '--json',
      JSON.stringify({
        kind: 'trunk',
        account: '7',
        name: 'voip-e2e',
        host: 'sip.voip.example',
        username: 'acct77',
        secret: 'TrunkPw-77',
        register: 'acct77:TrunkPw-77@sip.voip.example/5550100',
      }),
    ]);
    expect(c.stderr).toBe('');
    expect(c.data).toMatchObject({ account: '7', action: 'create', applied: { ok: true } });
    const peer = await sipRows('tr-peer-7');
    expect(peer[0]).toEqual(['account', 'voip-e2e', 2]);
    expect(Object.fromEntries(peer.map(([k, d]) => [k, d]))).toMatchObject({
      host: 'sip.voip.example',
      username: 'acct77',
      secret: 'TrunkPw-77',
      type: 'peer',
    });
    expect(await sipRows('tr-reg-7')).toEqual([
      ['register', 'acct77:TrunkPw-77@sip.voip.example/5550100', 0],
    ]);
    expect(await rowsOf('devices', 'id', 'tr-peer-7')).toEqual([]);
    const g = await send('extensions.get', ['--arg', 'kind=trunk', '--arg', 'account=7'], readKey);
    expect(g.code).toBe(0);
    // docs/extensions.md promises `kind: "trunk"` here; the reply has none (reported): not asserted.
    expect(g.data).toMatchObject({ account: '7', name: 'voip-e2e', secret_set: true });
    expect(g.data.sip).toMatchObject({
      secret: '********',
      register: 'acct77:********@sip.voip.example/5550100',
    });

    const before = await sipRows('tr-peer-7');
    const u = await send('extensions.update', [
      '--arg',
      'kind=trunk',
      '--arg',
      'account=7',
      '--arg',
      'host=sip2.voip.example',
    ]);
    expect(u.data).toMatchObject({ fields: ['host'] });
    expect(await sipRows('tr-peer-7')).toEqual(
      before.map((r) => (r[0] === 'host' ? ['host', 'sip2.voip.example', r[2]] : r)),
    );
    expect(await sipRows('tr-reg-7')).toHaveLength(1);
    await consumer.waitFor(() => changedEvents('7').length === 2, 10_000, 'trunk config.changed');
    expect(changedEvents('7').map((e) => [e.kind, e.action])).toEqual([
      ['trunk', 'create'],
      ['trunk', 'update'],
    ]);

    const d = await send('extensions.delete', ['--arg', 'kind=trunk', '--arg', 'account=7']);
    expect(d.code).toBe(0);
    expect(await sipRows('tr-peer-7')).toEqual([]);
    expect(await sipRows('tr-reg-7')).toEqual([]);
  });

  it('bad input is invalid_args naming the field, and nothing is written', async () => {
    const before = await snapshot();
    const cases: [string[], RegExp][] = [
      [
        ['--arg', 'account=151', '--arg', 'name=X', '--arg', 'secret=pw-151-x', '--arg', 'dtmfmode=loud'],
        /dtmfmode/,
      ],
      [['--arg', 'account=15a', '--arg', 'name=X', '--arg', 'secret=pw-151-x'], /account/],
      [
        ['--arg', 'account=151', '--arg', 'name=X', '--arg', 'secret=pw-151-x', '--arg', 'port:=70000'],
        /port/,
      ],
      [
        ['--arg', 'account=151', '--arg', 'name=X', '--arg', 'secret=pw-151-x', '--arg', 'deny=10.0.0.1/99'],
        /deny/,
      ],
      [
        [
          '--arg',
          'account=151',
          '--arg',
          'name=X',
          '--arg',
          'secret=pw-151-x',
          '--arg',
          "callerid=Bob'; DROP TABLE sip; --",
        ],
        /callerid/,
      ],
      [['--arg', 'account=151', '--arg', 'name=X'], /secret/],
    ];
    for (const [args, field] of cases) {
      const r = await send('extensions.create', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/invalid_args/);
      expect(r.stderr, args.join(' ')).toMatch(field);
    }
    expect(await snapshot()).toBe(before);
  });

  it('without extensions:write the command is forbidden and writes nothing', async () => {
    const before = await snapshot();
    const r = await send(
      'extensions.create',
      ['--arg', 'account=152', '--arg', 'name=X', '--arg', 'secret=pw-152-x'],
      readKey,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/forbidden/);
    expect(await snapshot()).toBe(before);
  });

  it('dry_run returns the plan (rows and AstDB keys) and writes nothing', async () => {
    const before = await snapshot();
    const events = consumer.on('/events/config.changed').length;
    const r = await send('extensions.create', [
      '--arg',
      'account=153',
      '--arg',
      'name=Dry Run',
      '--arg',
      'secret=pw-153-x',
      '--arg',
      'dry_run:=true',
    ]);
    expect(r.code).toBe(0);
    expect(r.data).toMatchObject({ account: '153', action: 'create', dry_run: true });
    const { rows, astdb: keys } = r.data.plan as { rows: any[]; astdb: any[] };
    expect(rows.filter((x) => x.table === 'sip').map((x) => x.row.keyword)).toHaveLength(27);
    expect(rows).toContainEqual({
      op: 'insert',
      table: 'sip',
      row: { id: '153', keyword: 'callerid', data: 'Dry Run <153>', flags: 28 },
    });
    expect(rows.map((x) => x.table)).toEqual(expect.arrayContaining(['users', 'devices', 'sip']));
    expect(keys).toContainEqual({ op: 'put', family: 'AMPUSER', key: '153/cidname', value: 'Dry Run' });
    expect(keys).toContainEqual({ op: 'put', family: 'DEVICE', key: '153/dial', value: 'SIP/153' });
    expect(await snapshot()).toBe(before);
    await new Promise((res) => setTimeout(res, 300));
    expect(consumer.on('/events/config.changed').length).toBe(events);
  });

  it('AstDB failing half-way (after the DBPuts of a create) → error reply, rows and keys as before', async () => {
    const before = await snapshot();
    const events = consumer.on('/events/config.changed').length;
    const seen = pbx.sim.actionsReceived.length;
    // The create writes 17 AMPUSER keys with DBPut, then DBDel dialopts (§9.1): fail that one.
    pbx.sim.failNext('DBDel', 1, { message: 'Database unavailable' });
    const r = await send('extensions.create', [
      '--arg',
      'account=154',
      '--arg',
      'name=Half Way',
      '--arg',
      'secret=pw-154-x',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unavailable/);
    expect(r.stderr).toMatch(/astdb_restored/);
    const puts = pbx.sim.actionsReceived
      .slice(seen)
      .filter(
        (a) => a.action.toLowerCase() === 'dbput' && /^154\//.test(a.headers.key ?? a.headers.Key ?? ''),
      );
    expect(puts.length).toBeGreaterThan(0); // keys really were written, then taken back
    expect(await snapshot()).toBe(before);

    // An update whose first DBPut fails: the old name is back everywhere.
    await send('extensions.create', [
      '--arg',
      'account=155',
      '--arg',
      'name=Kept',
      '--arg',
      'secret=pw-155-x',
    ]);
    const mid = await snapshot();
    pbx.sim.failNext('DBPut', 1);
    const u = await send('extensions.update', ['--arg', 'account=155', '--arg', 'name=Changed']);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/unavailable/);
    expect(await snapshot()).toBe(mid);
    expect(pbx.sim.astdb.get('/AMPUSER/155/cidname')).toBe('Kept');
    await new Promise((res) => setTimeout(res, 300));
    expect(changedEvents('154')).toEqual([]);
    expect(changedEvents('155').map((e) => e.action)).toEqual(['create']);
    expect(consumer.on('/events/config.changed').length).toBe(events + 1);
  });

  it('injection strings are refused (quote, ";") or stored literally (apostrophe, backslash, $(…), backticks)', async () => {
    const before = await snapshot();
    const refused = await send('extensions.create', [
      '--json',
      JSON.stringify({ account: '157', name: 'Bob"; DROP TABLE sip; --', secret: "pw';DELETE FROM users" }),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/invalid_args/);
    expect(refused.stderr).toMatch(/"path":"\/name"/);
    expect(refused.stderr).toMatch(/"path":"\/secret"/);
    expect(await snapshot()).toBe(before);

    const evil = "O'Brien' OR '1'='1 -- \\ $(reboot) `id`";
    const secret = "pw'157\\$(id)`x`--";
    const c = await send('extensions.create', [
      '--json',
      JSON.stringify({ account: '157', name: evil, secret }),
    ]);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect((await rowsOf('users', 'extension', '157'))[0]?.name).toBe(evil);
    expect((await rowsOf('devices', 'id', '157'))[0]?.description).toBe(evil);
    const sip = Object.fromEntries((await sipRows('157')).map(([k, d]) => [k, d]));
    expect(sip.secret).toBe(secret);
    expect(sip.callerid).toBe(`${evil} <157>`);
    expect(pbx.sim.astdb.get('/AMPUSER/157/cidname')).toBe(evil);
    // nothing else was touched: the seed's extensions are all still there
    expect((await rowsOf('users', 'extension', '100')).length).toBe(1);
    expect((await sipRows('106')).length).toBeGreaterThan(10);
    expect((await send('extensions.delete', ['--arg', 'account=157'])).code).toBe(0);
    expect(await snapshot()).toBe(before);
  });

  it('two concurrent updates of one account both land, serialized (no lost update, flags intact)', async () => {
    expect(
      (
        await send('extensions.create', [
          '--arg',
          'account=158',
          '--arg',
          'name=Conc',
          '--arg',
          'secret=pw-158-x',
        ])
      ).code,
    ).toBe(0);
    const before = await sipRows('158');
    const [a, b] = await Promise.all([
      send('extensions.update', ['--arg', 'account=158', '--arg', 'nat=no']),
      send('extensions.update', ['--arg', 'account=158', '--arg', 'dtmfmode=info', '--arg', 'name=Conc Two']),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(await sipRows('158')).toEqual(
      before.map((r) =>
        r[0] === 'nat' ? ['nat', 'no', r[2]] : r[0] === 'dtmfmode' ? ['dtmfmode', 'info', r[2]] : r,
      ),
    );
    expect((await rowsOf('users', 'extension', '158'))[0]?.name).toBe('Conc Two');
    expect(pbx.sim.astdb.get('/AMPUSER/158/cidname')).toBe('Conc Two');
  });

  it('the apply command failing is reported in the reply and the event; the data stays written', async () => {
    await pbx.agent!.stop('SIGTERM', 10_000);
    await pbx.startAgent({ PBXLINK_APPLY_CMD: '/bin/false' });
    await consumer.waitFor(
      () => consumer.on('/status').filter((s) => s.payload.online).length >= 2,
      15_000,
      'second birth',
    );
    const u = await send('extensions.update', ['--arg', 'account=158', '--arg', 'qualify=no']);
    expect(u.code).toBe(0);
    expect(u.data).toMatchObject({ action: 'update', fields: ['qualify'], applied: { ok: false } });
    expect(Object.fromEntries((await sipRows('158')).map(([k, d]) => [k, d])).qualify).toBe('no');
    const [[flag]] = (await pbx.dbs.conn.query(
      `SELECT value FROM \`${pbx.dbs.configDb}\`.admin WHERE variable='need_reload'`,
    )) as unknown as [[{ value: string }]];
    expect(flag.value).toBe('true');
    await consumer.waitFor(
      () => changedEvents('158').some((e) => e.action === 'update' && e.fields?.join() === 'qualify'),
      10_000,
      'config.changed with the apply outcome',
    );
    expect(
      changedEvents('158').find((e) => e.action === 'update' && e.fields?.join() === 'qualify'),
    ).toMatchObject({
      applied: { ok: false },
    });
  });
});
