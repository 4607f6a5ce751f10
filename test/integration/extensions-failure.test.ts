// Failure paths: AstDB failing half-way (simulator failure injection) → rows restored and keys compensated,
// nothing half-written; the apply command failing → reported, data consistent. Both FreePBX schemas: 2.11's
// MyISAM tables cannot ROLLBACK, so the restore must be explicit there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigHarness, rejection, startConfigHarness } from '../unit/freepbx/config-harness';

async function tableState(h: ConfigHarness): Promise<string> {
  const out: unknown[] = [];
  for (const t of ['users', 'devices', 'sip', 'findmefollow']) {
    const [rows] = await h.conn.query(`SELECT * FROM \`${h.dbs.configDb}\`.\`${t}\` ORDER BY 1, 2`);
    out.push(rows);
  }
  return JSON.stringify(out);
}

/** Runs `fn` as soon as `cond` holds, checking on every event-loop turn (bounded to 5 s). */
function armWhen(_h: ConfigHarness, cond: () => boolean, fn: () => void): Promise<void> {
  const end = Date.now() + 5000;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) {
        fn();
        resolve();
      } else if (Date.now() > end) reject(new Error('condition never held'));
      else setImmediate(tick);
    };
    tick();
  });
}

function astdbState(h: ConfigHarness): string {
  return JSON.stringify([...h.sim.astdb.entries()].sort());
}

describe.each(['freepbx-2.11', 'freepbx-13'] as const)('failures on %s', (variant) => {
  let h: ConfigHarness;
  beforeAll(async () => {
    h = await startConfigHarness({
      variant,
      astdb: {
        '/AMPUSER/100/cidname': 'Reception',
        '/AMPUSER/100/device': '100',
        '/AMPUSER/100/followme/grptime': '20',
        '/DEVICE/100/dial': 'SIP/100',
        '/DEVICE/100/user': '100',
        '/CW/100': 'ENABLED',
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('create: AstDB fails after 17 keys → those keys removed, the rows removed, no apply, no event', async () => {
    const rows = await tableState(h);
    const keys = astdbState(h);
    const events = h.events.length;
    const runs = (await h.applyRuns()).length;
    // The first DBDel of the create sequence (AMPUSER/<ext>/dialopts, §9.1 step 2) comes after 17 DBPuts.
    h.sim.failNext('DBDel', 1, { message: 'Database unavailable' });
    const e = await rejection(
      h.call('extensions.create', { account: '300', name: 'Half Way', secret: 'pw-300-x' }),
    );
    expect(e.code).toBe('unavailable');
    expect(e.details).toMatchObject({ astdb_failed_op: 17, astdb_restored: true, rows_restored: true });
    const puts = h.sim.actionsReceived.filter(
      (a) => a.action.toLowerCase() === 'dbput' && a.headers.key?.startsWith('300/'),
    );
    expect(puts.length).toBeGreaterThanOrEqual(17); // they really were written before the failure
    expect(await tableState(h)).toBe(rows);
    expect(astdbState(h)).toBe(keys);
    expect(h.events.length).toBe(events);
    expect((await h.applyRuns()).length).toBe(runs);
  });

  it('update: the AstDB write fails → the old name is back in users, devices and AMPUSER/<ext>/cidname', async () => {
    const rows = await tableState(h);
    const keys = astdbState(h);
    h.sim.failNext('DBPut', 1);
    const e = await rejection(
      h.call('extensions.update', { account: '100', name: 'Front Desk', dtmfmode: 'info' }),
    );
    expect(e.code).toBe('unavailable');
    expect(e.message).toContain('Failed to update entry');
    expect(await tableState(h)).toBe(rows);
    expect(astdbState(h)).toBe(keys);
  });

  it('delete: AstDB fails after the AMPUSER tree went → the whole tree and the rows come back', async () => {
    const rows = await tableState(h);
    const keys = astdbState(h);
    // del screen succeeds, deltree AMPUSER/100 succeeds, then del CW/100 (op 2) fails: armed once the deltree
    // reached the simulator (two AMI round trips before the CW DBDel can arrive).
    const seen = h.sim.actionsReceived.length;
    const armed = armWhen(
      h,
      () => h.sim.actionsReceived.slice(seen).some((a) => a.action.toLowerCase() === 'dbdeltree'),
      () => h.sim.failNext('DBDel', 1, { message: 'Database unavailable' }),
    );
    const e = await rejection(h.call('extensions.delete', { account: '100' }));
    await armed;
    expect(e.code).toBe('unavailable');
    expect(e.details).toMatchObject({ astdb_failed_op: 2, astdb_restored: true, rows_restored: true });
    expect(await tableState(h)).toBe(rows);
    expect(astdbState(h)).toBe(keys);
    expect(h.sim.astdb.get('/AMPUSER/100/followme/grptime')).toBe('20');
  });

  it('the AMI connection failing before any write: nothing changes', async () => {
    const rows = await tableState(h);
    h.sim.failNext('DBGet', 1, { message: 'Permission denied' });
    const e = await rejection(h.call('extensions.update', { account: '106', name: 'Sales' }));
    expect(e.code).toBe('unavailable');
    expect(await tableState(h)).toBe(rows);
  });

  it('apply command failing (exit 1): reported in the reply and the event, data written and consistent', async () => {
    await h.setApplyFailing(true);
    try {
      const { data } = await h.call('extensions.update', {
        account: '106',
        name: 'Sales Team',
        qualify: 'no',
      });
      expect(data).toMatchObject({ action: 'update', applied: { ok: false } });
      const applied = (data as { applied: { output: string } }).applied;
      expect(applied.output).toContain('exited with status 1');
      expect(applied.output).toContain('retrieve_conf failed');
      expect(h.events.at(-1)?.data).toMatchObject({ id: '106', applied: { ok: false } });
      expect((await h.rows('users', 'extension', '106'))[0]).toMatchObject({ name: 'Sales Team' });
      expect((await h.rows('sip', 'id', '106')).find((r) => r.keyword === 'qualify')?.data).toBe('no');
      expect(h.sim.astdb.get('/AMPUSER/106/cidname')).toBe('Sales Team');
      const [[flag]] = (await h.conn.query(
        `SELECT value FROM \`${h.dbs.configDb}\`.admin WHERE variable='need_reload'`,
      )) as unknown as [[{ value: string }]];
      expect(flag.value).toBe('true'); // FreePBX's GUI still shows "Apply Config"
    } finally {
      await h.setApplyFailing(false);
    }
  });

  it('AMI down: a change that needs AstDB is refused before any row is written; a trunk change still works', async () => {
    const rows = await tableState(h);
    await h.amiClient.stop();
    const e = await rejection(
      h.call('extensions.create', { account: '301', name: 'No AMI', secret: 'no-ami-301' }),
    );
    expect(e.code).toBe('unavailable');
    expect(e.message).toContain('AMI');
    expect(await tableState(h)).toBe(rows);
    const { data } = await h.call('extensions.create', {
      kind: 'trunk',
      account: '5',
      name: 'no-ami-trunk',
      host: 'h.example',
    });
    expect(data).toMatchObject({ action: 'create', applied: { ok: true } });
  });
});
