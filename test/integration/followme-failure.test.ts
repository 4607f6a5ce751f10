// Follow-me writes failing in AstDB half-way: the row and every key are put back (2.11 MyISAM and 13 InnoDB).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigHarness, rejection, startConfigHarness } from '../unit/freepbx/config-harness';

/** Runs `fn` on the first event-loop turn where `cond` holds (bounded to 5 s). */
function armWhen(cond: () => boolean, fn: () => void): Promise<void> {
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

describe.each(['freepbx-2.11', 'freepbx-13'] as const)('follow-me failures on %s', (variant) => {
  let h: ConfigHarness;
  const state = async () =>
    JSON.stringify([
      (await h.conn.query(`SELECT * FROM \`${h.dbs.configDb}\`.findmefollow ORDER BY grpnum`))[0],
      [...h.sim.astdb.entries()].sort(),
    ]);
  beforeAll(async () => {
    h = await startConfigHarness({
      variant,
      astdb: {
        '/AMPUSER/106/followme/grptime': '20',
        '/AMPUSER/106/followme/grplist': '905312089995#-905312089996#',
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('create: the 4th key fails → the three written keys and the row are gone', async () => {
    const before = await state();
    const seen = h.sim.actionsReceived.length;
    const puts = () =>
      h.sim.actionsReceived.slice(seen).filter((a) => a.action.toLowerCase() === 'dbput').length;
    const armed = armWhen(
      () => puts() >= 3,
      () => h.sim.failNext('DBPut', 1),
    );
    const e = await rejection(h.call('followme.create', { grpnum: '100', grplist: ['100', '5551000#'] }));
    await armed;
    expect(e.code).toBe('unavailable');
    expect(e.details).toMatchObject({ astdb_failed_op: 3, astdb_restored: true, rows_restored: true });
    expect(await state()).toBe(before);
  });

  it('update: the key write fails → the row is back as it was, other rows untouched', async () => {
    const before = await state();
    h.sim.failNext('DBPut', 1);
    const e = await rejection(h.call('followme.update', { grpnum: '106', grptime: 45, strategy: 'hunt' }));
    expect(e.code).toBe('unavailable');
    expect(await state()).toBe(before);
  });

  it('delete: the deltree fails → the row is back', async () => {
    const before = await state();
    h.sim.failNext('DBDelTree', 1, { message: 'Database unavailable' });
    const e = await rejection(h.call('followme.delete', { grpnum: '106' }));
    expect(e.code).toBe('unavailable');
    expect(await state()).toBe(before);
  });
});
