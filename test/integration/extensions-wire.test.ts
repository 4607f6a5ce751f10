// extensions.* and followme.* over the wire: signed commands through the real router on a real Mosquitto, the
// replies and the `config.changed` event as a consumer sees them, checked against the protocol schemas.
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Publisher } from '../../agent/src/core/module';
import { ConfigChangedEvent } from '../../protocol/src/schemas/audit';
import { Extension, ExtensionsWriteResult } from '../../protocol/src/schemas/extensions';
import { Followme, FollowmeWriteResult } from '../../protocol/src/schemas/followme';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { type ConfigHarness, startConfigHarness } from '../unit/freepbx/config-harness';
import { type Rig, startRig, testKey } from '../unit/router/harness';

const writer = testKey('ops-writer', ['read', 'extensions:write', 'followme:write']);
const reader = testKey('ops-reader', ['read']);
let broker: MosquittoBroker;
let h: ConfigHarness;
let rig: Rig;

beforeAll(async () => {
  broker = await startMosquitto();
  let target: Rig | undefined;
  const forward: Publisher = {
    publishState: () => {},
    publishEvent: (t, d) => target?.publisher.publishEvent(t, d),
  };
  h = await startConfigHarness({ variant: 'freepbx-13', dialect: '13', publisher: forward });
  rig = await startRig({ url: broker.url, keys: [writer, reader], handlers: () => [...h.handlers.values()] });
  target = rig;
  await rig.consumer.subscribeAsync(`${rig.base}/events/config.changed`, { qos: 1 });
});
afterAll(async () => {
  await rig?.close();
  await h?.close();
  await broker?.close();
});

const final = (replies: Array<{ json: any }>) => replies.at(-1)?.json;

describe('extension and follow-me commands through the router', () => {
  it('create: ok reply valid per schema, config.changed event on the wire, the secret in no message', async () => {
    const replies = await rig.run(writer, 'extensions.create', {
      account: '801',
      name: 'Wire User',
      secret: 'Wire-Secret-801',
    });
    const r = final(replies);
    expect(r.ok).toBe(true);
    expect(Value.Check(ExtensionsWriteResult, r.data)).toBe(true);
    expect(r.data).toMatchObject({ account: '801', action: 'create', applied: { ok: true } });
    const deadline = Date.now() + 5000;
    let ev: any;
    while (!ev && Date.now() < deadline) {
      ev = rig.seen.find((m) => m.topic === `${rig.base}/events/config.changed`)?.json;
      if (!ev) await new Promise((res) => setTimeout(res, 20));
    }
    expect(ev).toMatchObject({
      v: 1,
      type: 'config.changed',
      data: { kind: 'extension', action: 'create', id: '801', by: 'ops-writer' },
    });
    expect(Value.Check(ConfigChangedEvent, ev.data)).toBe(true);
    expect(JSON.stringify(rig.seen)).not.toContain('Wire-Secret-801');
    expect((await h.rows('sip', 'id', '801')).length).toBe(27);
  });

  it('get with a read-only key: secret masked, valid per schema', async () => {
    const r = final(await rig.run(reader, 'extensions.get', { account: '801' }));
    expect(r.ok).toBe(true);
    expect(Value.Check(Extension, r.data)).toBe(true);
    expect(r.data.sip.secret).toBe('********');
  });

  it('a read-only key cannot write; bad input is invalid_args naming the field; a missing one is not_found', async () => {
    expect(final(await rig.run(reader, 'extensions.update', { account: '801', nat: 'no' })).error.code).toBe(
      'forbidden',
    );
    const bad = final(
      await rig.run(writer, 'extensions.update', { account: '801', dtmfmode: 'smoke-signals' }),
    );
    expect(bad.error.code).toBe('invalid_args');
    expect(bad.error.message).toContain('dtmfmode');
    const semantic = final(
      await rig.run(writer, 'extensions.update', { account: '801', deny: '10.0.0.0/255.0.255.0' }),
    );
    expect(semantic.error).toMatchObject({
      code: 'invalid_args',
      details: { problems: [{ path: '/deny' }] },
    });
    expect(final(await rig.run(writer, 'extensions.delete', { account: '899' })).error.code).toBe(
      'not_found',
    );
  });

  it('follow-me: create from the seed string form, get, update only the target, delete', async () => {
    const c = final(
      await rig.run(writer, 'followme.create', { grpnum: '801', grplist: '801#,5550801#', grptime: 15 }),
    );
    expect(c.ok).toBe(true);
    expect(Value.Check(FollowmeWriteResult, c.data)).toBe(true);
    const g = final(await rig.run(reader, 'followme.get', { grpnum: '801' }));
    expect(Value.Check(Followme, g.data)).toBe(true);
    expect(g.data).toMatchObject({ grplist: ['801', '5550801#'], grptime: 15, ddial: 'EXTENSION' });
    const other = await h.rows('findmefollow', 'grpnum', '106');
    const u = final(await rig.run(writer, 'followme.update', { grpnum: '801', pre_ring: 5 }));
    expect(u.data).toMatchObject({ fields: ['pre_ring'], applied: { ok: true } });
    expect(await h.rows('findmefollow', 'grpnum', '106')).toEqual(other);
    expect(final(await rig.run(writer, 'followme.delete', { grpnum: '801' })).ok).toBe(true);
    expect(final(await rig.run(writer, 'extensions.delete', { account: '801' })).ok).toBe(true);
    expect(h.astdb('/AMPUSER/801')).toEqual({});
  });
});
