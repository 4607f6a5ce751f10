// The AstDB side of a create/update/delete cycle on every Asterisk dialect the simulator speaks (1.8 BDB vs
// 10+ SQLite delete semantics, §6.1; DBGet list layouts; Command output format for `database show`, §2/§6.3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigHarness, startConfigHarness } from '../unit/freepbx/config-harness';

describe.each(['1.8', '11', '13', '16'] as const)('AstDB cycle on Asterisk %s', (dialect) => {
  let h: ConfigHarness;
  beforeAll(async () => {
    h = await startConfigHarness({
      dialect,
      astdb: { '/AMPUSER/1000/cidname': 'Not 100', '/CW/100': 'ENABLED' },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('create, update, follow-me, failed delete (restored), delete', async () => {
    await h.call('extensions.create', {
      account: '700',
      name: 'Dialect Test',
      secret: 'd-secret-700',
      voicemail: 'default',
    });
    expect(Object.keys(h.astdb('/AMPUSER/700'))).toHaveLength(18);
    expect(h.sim.astdb.get('/AMPUSER/700/voicemail')).toBe('default');
    expect((await h.rows('sip', 'id', '700')).find((r) => r.keyword === 'mailbox')?.data).toBe('700@default');
    await h.call('extensions.update', { account: '700', outboundcid: 'Sales <5550700>' });
    expect(h.sim.astdb.get('/AMPUSER/700/outboundcid')).toBe('Sales <5550700>');
    await h.call('followme.create', { grpnum: '700', grplist: ['700', '5550701#'] });
    const keys = JSON.stringify([...h.sim.astdb.entries()].sort());
    h.sim.failNext('DBDelTree', 1, { message: 'Database unavailable' });
    await expect(h.call('extensions.delete', { account: '700' })).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect(JSON.stringify([...h.sim.astdb.entries()].sort())).toBe(keys);
    expect(await h.rows('users', 'extension', '700')).toHaveLength(1);
    await h.call('extensions.delete', { account: '700' });
    expect(h.astdb('/AMPUSER/700')).toEqual({});
    expect(h.astdb('/DEVICE/700')).toEqual({});
    expect(h.sim.astdb.get('/AMPUSER/1000/cidname')).toBe('Not 100'); // prefix + '/' rule, §6.2
    expect(h.sim.astdb.get('/CW/100')).toBe('ENABLED');
  });
});
