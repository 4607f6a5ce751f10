import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { RawJson } from '../../../agent/src/core/raw-json';
import { ReplyRecorder } from '../../../agent/src/link/replay-cache';
import { ReplyChannel, type ReplyTransport } from '../../../agent/src/link/replies';

/** A transport keeping each payload as published. */
function transport() {
  const sent: (string | Buffer)[] = [];
  const t: ReplyTransport = {
    publishReply: async (_topic, payload) => void sent.push(payload),
    publishBlob: async () => {},
    maxPacketBytes: 96 * 1024,
  };
  return { sent, t };
}
const channel = (t: ReplyTransport) =>
  new ReplyChannel(
    t,
    { topic: 'pbxlink/v1/pbx/reply/x' },
    'jti-1',
    new ReplyRecorder(),
    pino({ level: 'silent' }),
  );

describe('ReplyChannel parts of JSON already serialized (RawJson)', () => {
  const data = '{"rows":[{"a":"ü"},{"b":2}]}';
  const want = { v: 1, id: 'jti-1', ok: true, part: 1, data: JSON.parse(data) };

  test('text, and bytes without room: the envelope around it', async () => {
    for (const raw of [new RawJson(data), new RawJson(Buffer.from(data))]) {
      const { sent, t } = transport();
      await channel(t).part(raw);
      expect(JSON.parse(sent[0]?.toString() ?? '')).toEqual(want);
    }
  });

  test('bytes with room around them: the envelope is written in place, nothing copied', async () => {
    const buf = Buffer.alloc(100 + Buffer.byteLength(data) + 1, 0x78);
    buf.write(data, 100);
    const json = buf.subarray(100, 100 + Buffer.byteLength(data));
    const { sent, t } = transport();
    await channel(t).part(new RawJson(json, { before: 100, after: 1 }));
    const out = sent[0] as Buffer;
    expect(JSON.parse(out.toString())).toEqual(want);
    expect(out.buffer).toBe(buf.buffer); // the same memory
  });

  test('room too small for the envelope: copied instead, the source untouched', async () => {
    const buf = Buffer.alloc(4 + Buffer.byteLength(data) + 1, 0x78);
    buf.write(data, 4);
    const { sent, t } = transport();
    await channel(t).part(new RawJson(buf.subarray(4, 4 + Buffer.byteLength(data)), { before: 4, after: 1 }));
    expect(JSON.parse(sent[0]?.toString() ?? '')).toEqual(want);
    expect(buf.subarray(0, 4).toString()).toBe('xxxx');
  });
});
