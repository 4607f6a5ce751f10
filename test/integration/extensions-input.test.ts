// Bad input in every field → invalid_args naming the field, nothing written; injection strings are stored
// literally or refused, never executed (tables intact).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFingerprint } from '../helpers/mariadb';
import { type ConfigHarness, rejection, startConfigHarness } from '../unit/freepbx/config-harness';

const BASE = { account: '500', name: 'Valid Name', secret: 'valid-secret-1' };

/** [field, bad value] for extensions.create; each must be refused naming the field. */
const BAD_EXTENSION: Array<[string, unknown]> = [
  ['account', '12a'],
  ['account', ''],
  ['account', '1'.repeat(21)],
  ['account', 500],
  ['name', 'Bad <name>'],
  ['name', 'semi;colon'],
  ['name', '   '],
  ['name', 'x'.repeat(51)],
  ['name', 'line\nbreak'],
  ['secret', 'has space'],
  ['secret', 'semi;colon'],
  ['secret', ''],
  ['secret', 'new\r\nAction: Command'],
  ['context', 'from internal'],
  ['host', 'bad host'],
  ['host', '-leading.example'],
  ['type', 'bogus'],
  ['dtmfmode', 'rfc'],
  ['nat', 'maybe'],
  ['port', 0],
  ['port', 70000],
  ['port', '5060'],
  ['port', 1.5],
  ['qualify', 'sometimes'],
  ['qualify', '70000'],
  ['qualifyfreq', 0],
  ['transport', 'sctp'],
  ['encryption', 'true'],
  ['canreinvite', 'sure'],
  ['trustrpid', 'on'],
  ['sendrpid', 'maybe'],
  ['callgroup', 'a'],
  ['pickupgroup', '1;2'],
  ['deny', '1.2.3.4'],
  ['deny', '300.1.1.1/255.255.255.0'],
  ['deny', '10.0.0.0/255.0.255.0'],
  ['deny', '10.0.0.0/33'],
  ['permit', 'x/y'],
  ['permit', '10.0.0.0/255.255.255.0&bad'],
  ['disallow', 'ALL;'],
  ['allow', 'ulaw alaw'],
  ['accountcode', 'a b'],
  ['mailbox', 'a b'],
  ['callerid', 'Alice 201'],
  ['callerid', 'Alice <>'],
  ['callerid', '"Al" <201>'],
  ['username', 'a b'],
  ['avpf', 'on'],
  ['icesupport', 1],
  ['vmexten', 'abc'],
  ['voicemail', 'a b'],
  ['outboundcid', 'a;b'],
  ['outboundcid', 'Name <num ber>'],
  ['ringtimer', -1],
  ['ringtimer', 121],
  ['ringtimer', 'x'],
  ['dry_run', 'yes'],
  ['kind', 'iax'],
  ['register', 'no-at-sign'],
  ['foo', 1],
];

/** [field, bad value] for followme.create on an existing extension. */
const BAD_FOLLOWME: Array<[string, unknown]> = [
  ['grpnum', 'abc'],
  ['strategy', 'ringmany'],
  ['grptime', 0],
  ['grptime', 61],
  ['grppre', 'a;b'],
  ['grplist', []],
  ['grplist', ['12a']],
  ['grplist', '1--2'],
  ['grplist', ['1#2']],
  ['grplist', Array.from({ length: 65 }, (_, i) => String(1000 + i))],
  ['grplist', Array.from({ length: 30 }, (_, i) => `9055512${String(i).padStart(4, '0')}#`)],
  ['annmsg_id', -1],
  ['annmsg_id', 'x'],
  ['postdest', 'bad'],
  ['dring', 'a;b'],
  ['remotealert_id', 1.5],
  ['needsconf', 'yes'],
  ['toolate_id', -5],
  ['pre_ring', 61],
  ['pre_ring', -1],
  ['ringing', 'Ring;'],
  ['dry_run', 1],
  ['bogus', true],
];

async function fingerprints(h: ConfigHarness): Promise<string[]> {
  const out: string[] = [];
  for (const t of ['users', 'devices', 'sip', 'findmefollow', 'admin', 'freepbx_settings']) {
    out.push(await tableFingerprint(h.conn, h.dbs.configDb, t));
  }
  return out;
}

describe('bad input and injection strings', () => {
  let h: ConfigHarness;
  beforeAll(async () => {
    h = await startConfigHarness({ variant: 'freepbx-2.11' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(BAD_EXTENSION)(
    'extensions.create %s = %j → invalid_args naming it, nothing written',
    async (field, value) => {
      const before = await fingerprints(h);
      const keys = h.sim.astdb.size;
      const e = await rejection(h.call('extensions.create', { ...BASE, [field]: value }));
      expect(e.code).toBe('invalid_args');
      expect(e.message).toContain(field);
      const problems = (e.details as { problems: Array<{ path: string }> }).problems;
      expect(problems.some((p) => p.path === `/${field}`)).toBe(true);
      expect(await fingerprints(h)).toEqual(before);
      expect(h.sim.astdb.size).toBe(keys);
    },
  );

  it.each(['name', 'secret'])('extensions.create without %s → invalid_args naming it', async (field) => {
    const args: Record<string, unknown> = { ...BASE };
    delete args[field];
    const e = await rejection(h.call('extensions.create', args));
    expect(e.code).toBe('invalid_args');
    expect(e.message).toContain(field);
  });

  it.each(BAD_EXTENSION.filter(([f]) => f !== 'account' && f !== 'secret'))(
    'extensions.update %s = %j → invalid_args, nothing written',
    async (field, value) => {
      const before = await fingerprints(h);
      const e = await rejection(h.call('extensions.update', { account: '100', [field]: value }));
      expect(e.code).toBe('invalid_args');
      expect(e.message).toContain(field);
      expect(await fingerprints(h)).toEqual(before);
    },
  );

  it.each(BAD_FOLLOWME)(
    'followme.create %s = %j → invalid_args naming it, nothing written',
    async (field, value) => {
      const before = await fingerprints(h);
      const e = await rejection(h.call('followme.create', { grpnum: '100', [field]: value }));
      expect(e.code).toBe('invalid_args');
      expect(e.message).toContain(field);
      expect(await fingerprints(h)).toEqual(before);
    },
  );

  it('needsconf with a strategy that cannot confirm is refused naming needsconf (§10.2)', async () => {
    const e = await rejection(
      h.call('followme.create', { grpnum: '100', strategy: 'memoryhunt', needsconf: true }),
    );
    expect(e.code).toBe('invalid_args');
    expect(e.message).toContain('needsconf');
    const e2 = await rejection(
      h.call('followme.update', { grpnum: '106', strategy: 'firstavailable', needsconf: true }),
    );
    expect(e2.code).toBe('invalid_args');
  });

  it('SQL and AMI injection strings: refused where the field forbids them, stored literally where allowed', async () => {
    const before = await fingerprints(h);
    for (const name of ["Robert'); DROP TABLE users;--", 'x\r\nAction: DBDelTree\r\nFamily: AMPUSER']) {
      expect((await rejection(h.call('extensions.create', { ...BASE, name }))).code).toBe('invalid_args');
    }
    expect(await fingerprints(h)).toEqual(before);
    const name = "O'Brien (x' OR '1'='1)";
    const secret = `p'w"d\`\\x--/*`;
    await h.call('extensions.create', { account: '501', name, secret });
    expect((await h.rows('users', 'extension', '501'))[0]?.name).toBe(name);
    expect((await h.rows('sip', 'id', '501')).find((r) => r.keyword === 'secret')?.data).toBe(secret);
    expect((await h.rows('sip', 'id', '501')).find((r) => r.keyword === 'callerid')?.data).toBe(
      `${name} <501>`,
    );
    expect(h.sim.astdb.get('/AMPUSER/501/cidname')).toBe(name);
    await h.call('followme.create', { grpnum: '501', grppre: "' OR 1=1 -- ", dring: "<http://x/'>" });
    expect((await h.rows('findmefollow', 'grpnum', '501'))[0]).toMatchObject({
      grppre: "' OR 1=1 -- ",
      dring: "<http://x/'>",
    });
    // every other row is as it was
    const [[users]] = (await h.conn.query(
      `SELECT COUNT(*) AS n FROM \`${h.dbs.configDb}\`.users`,
    )) as unknown as [[{ n: number }]];
    expect(users.n).toBe(3);
    expect((await h.rows('sip', 'id', '100')).length).toBe(27);
  });
});
