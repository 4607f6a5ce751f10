// SIP trunks through extensions.* with kind 'trunk': FreePBX's tr-peer-<n> / tr-reg-<n> rows (reference §8.2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigHarness, rejection, startConfigHarness } from '../unit/freepbx/config-harness';

describe('SIP trunk create/read/update/delete', () => {
  let h: ConfigHarness;
  beforeAll(async () => {
    h = await startConfigHarness({ variant: 'freepbx-2.11' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('create writes account first (flags 2), the peer details after it, and the register row with flags 0', async () => {
    const { data } = await h.call('extensions.create', {
      kind: 'trunk',
      account: '2',
      name: 'voip-co',
      host: 'sip.voip.example',
      username: 'acct77',
      secret: 'TrunkSecret9',
      context: 'from-trunk',
      qualify: 'yes',
      register: 'acct77:TrunkSecret9@sip.voip.example/5550100',
    });
    expect(data).toMatchObject({ account: '2', action: 'create', applied: { ok: true } });
    const peer = await h.rows('sip', 'id', 'tr-peer-2', 'flags');
    expect(peer.map((r) => [r.keyword, r.data, r.flags])).toEqual([
      ['account', 'voip-co', 2],
      ['host', 'sip.voip.example', 3],
      ['username', 'acct77', 4],
      ['secret', 'TrunkSecret9', 5],
      ['type', 'peer', 6],
      ['context', 'from-trunk', 7],
      ['qualify', 'yes', 8],
    ]);
    expect((await h.rows('sip', 'id', 'tr-reg-2')).map((r) => [r.keyword, r.data, r.flags])).toEqual([
      ['register', 'acct77:TrunkSecret9@sip.voip.example/5550100', 0],
    ]);
    expect(await h.rows('devices', 'id', 'tr-peer-2')).toEqual([]);
    expect(h.events.at(-1)?.data).toMatchObject({ kind: 'trunk', action: 'create', id: '2' });
    expect(JSON.stringify(h.events)).not.toContain('TrunkSecret9');
  });

  it('a second trunk with the same peer name, or an existing number, is a conflict', async () => {
    expect(
      (
        await rejection(
          h.call('extensions.create', { kind: 'trunk', account: '3', name: 'voip-co', host: 'x.example' }),
        )
      ).code,
    ).toBe('conflict');
    expect(
      (
        await rejection(
          h.call('extensions.create', { kind: 'trunk', account: '2', name: 'other', host: 'x.example' }),
        )
      ).code,
    ).toBe('conflict');
    expect(await h.rows('sip', 'id', 'tr-peer-3')).toEqual([]);
  });

  it('get shows the trunk with its register string, the password masked without secrets:read', async () => {
    const masked = (await h.call('extensions.get', { kind: 'trunk', account: '2' }, ['read'])).data as any;
    expect(masked).toMatchObject({ account: '2', name: 'voip-co', secret_set: true });
    expect(masked.sip).toMatchObject({
      secret: '********',
      register: 'acct77:********@sip.voip.example/5550100',
    });
    const plain = (await h.call('extensions.get', { kind: 'trunk', account: '2' }, ['secrets:read', 'read']))
      .data as any;
    expect(plain.sip.register).toBe('acct77:TrunkSecret9@sip.voip.example/5550100');
  });

  it('update touches only the given keywords; register "" removes registration', async () => {
    const before = await h.rows('sip', 'id', 'tr-peer-2', 'flags');
    const { data } = await h.call('extensions.update', {
      kind: 'trunk',
      account: '2',
      secret: 'NewSecret1',
      register: '',
    });
    expect(data).toMatchObject({ fields: ['secret', 'register'] });
    expect(await h.rows('sip', 'id', 'tr-peer-2', 'flags')).toEqual(
      before.map((r) => (r.keyword === 'secret' ? { ...r, data: 'NewSecret1' } : r)),
    );
    expect(await h.rows('sip', 'id', 'tr-reg-2')).toEqual([]);
    await h.call('extensions.update', { kind: 'trunk', account: '2', dtmfmode: 'rfc2833' });
    const added = (await h.rows('sip', 'id', 'tr-peer-2', 'flags')).at(-1);
    expect(added).toEqual({ id: 'tr-peer-2', keyword: 'dtmfmode', data: 'rfc2833', flags: 9 });
    expect(
      (await rejection(h.call('extensions.update', { kind: 'trunk', account: '9', secret: 'x' }))).code,
    ).toBe('not_found');
  });

  it('trunk-only and extension-only fields are refused where they do not belong', async () => {
    const e1 = await rejection(
      h.call('extensions.update', { kind: 'trunk', account: '2', voicemail: 'default' }),
    );
    expect(e1.code).toBe('invalid_args');
    expect(e1.message).toContain('voicemail');
    const e2 = await rejection(h.call('extensions.update', { account: '100', register: 'a:b@c' }));
    expect(e2.code).toBe('invalid_args');
    expect(e2.message).toContain('register');
    const e4 = await rejection(
      h.call('extensions.create', {
        kind: 'trunk',
        account: '4',
        name: 't4',
        host: 'h.example',
        register: 'u:p;w@h',
      }),
    );
    expect(e4.code).toBe('invalid_args');
    expect(e4.message).toContain('register');
    const e3 = await rejection(
      h.call('extensions.create', { kind: 'trunk', account: '4', name: 'has space', host: 'h.example' }),
    );
    expect(e3.code).toBe('invalid_args');
    expect(e3.message).toContain('name');
  });

  it('delete removes tr-peer, tr-user and tr-reg rows and nothing else', async () => {
    await h.conn.query(
      `INSERT INTO \`${h.dbs.configDb}\`.sip (id, keyword, data, flags) VALUES ('tr-user-2','account','voip-co-in',2),('tr-reg-2','register','a:b@c',0)`,
    );
    const others = (await h.conn.query(
      `SELECT COUNT(*) AS n FROM \`${h.dbs.configDb}\`.sip WHERE id NOT LIKE 'tr-%'`,
    )) as any;
    const { data } = await h.call('extensions.delete', { kind: 'trunk', account: '2' });
    expect(data).toMatchObject({ action: 'delete', applied: { ok: true } });
    const [left] = (await h.conn.query(
      `SELECT COUNT(*) AS n FROM \`${h.dbs.configDb}\`.sip WHERE id LIKE 'tr-%-2'`,
    )) as any;
    expect(left[0].n).toBe(0);
    const after = (await h.conn.query(
      `SELECT COUNT(*) AS n FROM \`${h.dbs.configDb}\`.sip WHERE id NOT LIKE 'tr-%'`,
    )) as any;
    expect(after[0][0].n).toBe(others[0][0].n);
    expect((await rejection(h.call('extensions.delete', { kind: 'trunk', account: '2' }))).code).toBe(
      'not_found',
    );
  });
});
