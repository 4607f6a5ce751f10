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
/** A key with `read` and `extensions:write` but not `followme:write`. */
let extKey: TestKey;

beforeAll(async () => {
  pbx = await startTestPbx({ dialect: '13' });
  extKey = addTrustedKey(pbx, 'e2e-ext', ['read', 'extensions:write']);
  consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
  await pbx.startAgent();
  await consumer.waitFor(() => consumer.on('/status').some((s) => s.payload.online), 15_000, 'birth');
}, 60_000);
afterAll(async () => {
  await consumer?.close();
  await pbx?.close();
});

function send(cmd: string, args: string[], key?: TestKey) {
  return pbxctlSend(procs.runNode, pbx, cmd, args, key);
}

async function fmRows(): Promise<Record<string, any>[]> {
  const [rows] = await pbx.dbs.conn.query(
    `SELECT * FROM \`${pbx.dbs.configDb}\`.findmefollow ORDER BY grpnum`,
  );
  return rows as Record<string, any>[];
}

function astdb(prefix: string): Record<string, string> {
  return Object.fromEntries([...pbx.sim.astdb].filter(([k]) => k === prefix || k.startsWith(`${prefix}/`)));
}

function changed(id: string): any[] {
  return consumer
    .on('/events/config.changed')
    .map((s) => s.payload.data)
    .filter((d) => d.kind === 'followme' && d.id === id);
}

describe('followme.* on the agent process', () => {
  it('create (seed comma grplist stored -joined) → update enabled → ddial DIRECT → delete; the seed row untouched', async () => {
    const seedRow = (await fmRows()).find((r) => r.grpnum === '106');
    expect(seedRow).toBeDefined();
    const c = await send('followme.create', [
      '--arg',
      'grpnum=100',
      '--arg',
      'grplist=100,5551234#,106',
      '--arg',
      'grptime:=25',
    ]);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(c.data).toMatchObject({ grpnum: '100', action: 'create', dry_run: false, applied: { ok: true } });
    const row = (await fmRows()).find((r) => r.grpnum === '100');
    expect(row).toMatchObject({
      grpnum: '100',
      strategy: 'ringallv2-prim',
      grptime: 25,
      grplist: '100-5551234#-106',
      postdest: 'ext-local,100,dest',
      pre_ring: 7,
      ringing: 'Ring',
    });
    expect(astdb('/AMPUSER/100/followme')).toEqual({
      '/AMPUSER/100/followme/prering': '7',
      '/AMPUSER/100/followme/grptime': '25',
      '/AMPUSER/100/followme/grplist': '100-5551234#-106',
      '/AMPUSER/100/followme/grpconf': 'DISABLED',
      '/AMPUSER/100/followme/ddial': 'EXTENSION',
      '/AMPUSER/100/followme/changecid': 'default',
      '/AMPUSER/100/followme/fixedcid': '',
    });
    await consumer.waitFor(() => changed('100').length === 1, 10_000, 'config.changed create');
    expect(changed('100')[0]).toMatchObject({ action: 'create', id: '100', by: pbx.key.kid });

    const g = await send('followme.get', ['--arg', 'grpnum=100'], extKey);
    expect(g.code).toBe(0);
    expect(g.data).toMatchObject({ grpnum: '100', grptime: 25, ddial: 'EXTENSION' });

    const keysBefore = astdb('/AMPUSER/100/followme');
    const u = await send('followme.update', ['--arg', 'grpnum=100', '--arg', 'enabled:=true']);
    expect(u.code).toBe(0);
    expect(u.data).toMatchObject({ action: 'update', fields: ['enabled'] });
    expect(astdb('/AMPUSER/100/followme')).toEqual({
      ...keysBefore,
      '/AMPUSER/100/followme/ddial': 'DIRECT',
    });
    expect((await fmRows()).find((r) => r.grpnum === '100')).toEqual(row);
    expect((await fmRows()).find((r) => r.grpnum === '106')).toEqual(seedRow);
    const u2 = await send('followme.update', [
      '--arg',
      'grpnum=100',
      '--arg',
      'grplist=200,201',
      '--arg',
      'strategy=hunt',
    ]);
    expect(u2.data).toMatchObject({ fields: ['strategy', 'grplist'] });
    expect((await fmRows()).find((r) => r.grpnum === '100')).toEqual({
      ...row,
      strategy: 'hunt',
      grplist: '200-201',
    });
    expect((await fmRows()).find((r) => r.grpnum === '106')).toEqual(seedRow);
    expect(pbx.sim.astdb.get('/AMPUSER/100/followme/grplist')).toBe('200-201');
    const g2 = await send('followme.get', ['--arg', 'grpnum=100']);
    expect(g2.data).toMatchObject({ ddial: 'DIRECT', strategy: 'hunt' });
    await consumer.waitFor(() => changed('100').length === 3, 10_000, 'config.changed updates');

    const d = await send('followme.delete', ['--arg', 'grpnum=100']);
    expect(d.code).toBe(0);
    expect((await fmRows()).map((r) => r.grpnum)).toEqual(['106']);
    expect(astdb('/AMPUSER/100/followme')).toEqual({});
    await consumer.waitFor(() => changed('100').length === 4, 10_000, 'config.changed delete');
    expect(changed('100').map((e) => e.action)).toEqual(['create', 'update', 'update', 'delete']);
    const gone = await send('followme.get', ['--arg', 'grpnum=100']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/not_found/);
  });

  it('bad input → invalid_args naming the field; a missing extension → not_found; nothing written', async () => {
    const before = JSON.stringify([await fmRows(), [...pbx.sim.astdb].sort()]);
    const cases: [string[], RegExp][] = [
      [['--arg', 'grpnum=100', '--arg', 'strategy=random'], /strategy/],
      [['--arg', 'grpnum=100', '--arg', 'grptime:=0'], /grptime/],
      [['--arg', 'grpnum=100', '--arg', 'pre_ring:=500'], /pre_ring/],
      [['--arg', 'grpnum=100', '--arg', 'grplist=12#3'], /grplist/],
      [['--arg', 'grpnum=1 00'], /grpnum/],
    ];
    for (const [args, field] of cases) {
      const r = await send('followme.create', args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/invalid_args/);
      expect(r.stderr, args.join(' ')).toMatch(field);
    }
    const missing = await send('followme.create', ['--arg', 'grpnum=555']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not_found/);
    expect(JSON.stringify([await fmRows(), [...pbx.sim.astdb].sort()])).toBe(before);
  });

  it('without followme:write → forbidden; dry_run → the plan, nothing written', async () => {
    const before = JSON.stringify([await fmRows(), [...pbx.sim.astdb].sort()]);
    const f = await send('followme.update', ['--arg', 'grpnum=106', '--arg', 'grptime:=30'], extKey);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/forbidden/);
    const dry = await send('followme.update', [
      '--arg',
      'grpnum=106',
      '--arg',
      'grptime:=30',
      '--arg',
      'dry_run:=true',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.data).toMatchObject({
      dry_run: true,
      plan: {
        rows: [{ op: 'update', table: 'findmefollow', where: { grpnum: '106' }, set: { grptime: 30 } }],
        astdb: [{ op: 'put', family: 'AMPUSER', key: '106/followme/grptime', value: '30' }],
      },
    });
    expect(JSON.stringify([await fmRows(), [...pbx.sim.astdb].sort()])).toBe(before);
  });

  it('AstDB DBPut failing → error reply, the row and keys as before', async () => {
    const before = JSON.stringify([await fmRows(), [...pbx.sim.astdb].sort()]);
    const events = changed('106').length;
    pbx.sim.failNext('DBPut', 1);
    const r = await send('followme.update', [
      '--arg',
      'grpnum=106',
      '--arg',
      'grptime:=45',
      '--arg',
      'pre_ring:=3',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unavailable/);
    expect(JSON.stringify([await fmRows(), [...pbx.sim.astdb].sort()])).toBe(before);
    await new Promise((res) => setTimeout(res, 300));
    expect(changed('106').length).toBe(events);
  });
});
