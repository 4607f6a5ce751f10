// Two changes of one account never interleave: inside one agent a keyed mutex orders them; across two agents on
// the same PBX, SELECT … FOR UPDATE (InnoDB, FreePBX 13) makes the loser see the winner's rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigHarness, rejection, startConfigHarness } from '../unit/freepbx/config-harness';

describe.each(['freepbx-2.11', 'freepbx-13'] as const)('concurrent updates on %s', (variant) => {
  let h: ConfigHarness;
  beforeAll(async () => {
    h = await startConfigHarness({ variant, astdb: { '/AMPUSER/100/cidname': 'Reception' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('ten concurrent updates of one account serialize: each snapshot sees the previous write, DB and AstDB agree', async () => {
    const seen = h.sim.actionsReceived.length;
    const names = Array.from({ length: 10 }, (_, i) => `Name ${i}`);
    const results = await Promise.all(
      names.map((name, i) =>
        h.call('extensions.update', { account: '100', name, dtmfmode: i % 2 ? 'info' : 'rfc2833' }),
      ),
    );
    expect(results.every((r) => (r.data as { applied: { ok: boolean } }).applied.ok)).toBe(true);
    // AMI traffic on the one key: strictly (DBGet snapshot, DBPut) per change, never two snapshots in a row.
    const onKey = h.sim.actionsReceived
      .slice(seen)
      .filter((a) => a.headers.key === '100/cidname')
      .map((a) => `${a.action.toLowerCase()}:${a.headers.val ?? ''}`);
    expect(onKey).toEqual(names.flatMap((n) => ['dbget:', `dbput:${n}`]));
    const user = (await h.rows('users', 'extension', '100'))[0];
    const device = (await h.rows('devices', 'id', '100'))[0];
    expect(user?.name).toBe('Name 9');
    expect(device?.description).toBe('Name 9');
    expect(h.sim.astdb.get('/AMPUSER/100/cidname')).toBe('Name 9');
    expect((await h.rows('sip', 'id', '100')).find((r) => r.keyword === 'dtmfmode')?.data).toBe('info');
  });

  it('an extension change and its follow-me change share one lock', async () => {
    await Promise.all([
      h.call('followme.create', { grpnum: '100', grplist: ['100', '200'] }),
      h.call('extensions.update', { account: '100', name: 'With FM' }),
      h.call('followme.update', { grpnum: '100', grptime: 30 }),
    ]);
    expect((await h.rows('findmefollow', 'grpnum', '100'))[0]).toMatchObject({ grptime: 30 });
    expect(h.sim.astdb.get('/AMPUSER/100/followme/grptime')).toBe('30');
  });
});

describe('two agents creating the same extension at once (InnoDB, FreePBX 13)', () => {
  let h: ConfigHarness;
  beforeAll(async () => {
    h = await startConfigHarness({ variant: 'freepbx-13' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('exactly one wins; the other gets conflict; the rows are the winner’s, complete', async () => {
    const other = await h.secondAgent();
    const a = h.handlers.get('extensions.create')!;
    const b = other.get('extensions.create')!;
    for (let round = 0; round < 5; round++) {
      const account = `40${round}`;
      const outcomes = await Promise.allSettled([
        a.handle({ account, name: 'Agent A', secret: 'secret-a-1' }, h.ctx()),
        b.handle({ account, name: 'Agent B', secret: 'secret-b-1' }, h.ctx()),
      ]);
      const ok = outcomes.filter((o) => o.status === 'fulfilled');
      const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(failed.map((f) => (f.reason as { code: string }).code)).toEqual(['conflict']);
      const sip = await h.rows('sip', 'id', account, 'flags');
      expect(sip).toHaveLength(27);
      const users = await h.rows('users', 'extension', account);
      expect(users).toHaveLength(1);
      expect(h.sim.astdb.get(`/AMPUSER/${account}/cidname`)).toBe(users[0]?.name);
    }
    expect(
      (await rejection(b.handle({ account: '400', name: 'Late', secret: 'late-secret' }, h.ctx()))).code,
    ).toBe('conflict');
  });
});
