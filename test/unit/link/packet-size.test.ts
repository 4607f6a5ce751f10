import { generate } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { type PublishProperties, publishPacketSize } from '../../../agent/src/link/packet-size';
import { checkBrokerUrl } from '../../../agent/src/link/session';

const cases: {
  name: string;
  topic: string;
  bytes: number;
  qos: 0 | 1;
  v: 4 | 5;
  props?: PublishProperties;
}[] = [
  { name: 'tiny v5', topic: 'p/a/events/x', bytes: 10, qos: 1, v: 5 },
  { name: 'tiny v4', topic: 'p/a/events/x', bytes: 10, qos: 1, v: 4 },
  { name: 'qos 0', topic: 'p/a/events/x', bytes: 10, qos: 0, v: 5 },
  { name: 'remaining length crosses 127', topic: 't', bytes: 125, qos: 1, v: 5 },
  { name: 'crosses 16383', topic: 'pbxlink/v1/a/blob/x/1', bytes: 16_380, qos: 1, v: 5 },
  { name: '96 KB', topic: 'pbxlink/v1/a/reply/abc', bytes: 96 * 1024, qos: 1, v: 5 },
  {
    name: 'reply properties',
    topic: 'pbxlink/v1/a/reply/abc',
    bytes: 500,
    qos: 1,
    v: 5,
    props: {
      responseTopic: 'pbxlink/v1/a/reply/zz',
      correlationData: Buffer.from('corr-123'),
      messageExpiryInterval: 60,
      contentType: 'application/json',
      payloadFormatIndicator: true,
      userProperties: { a: 'b', multi: ['1', '2'] },
    },
  },
];

describe('publishPacketSize', () => {
  it.each(cases)('matches the bytes mqtt-packet writes: $name', (c) => {
    const packet = generate(
      {
        cmd: 'publish',
        topic: c.topic,
        payload: Buffer.alloc(c.bytes),
        qos: c.qos,
        messageId: c.qos > 0 ? 1 : undefined,
        retain: false,
        dup: false,
        ...(c.props && c.v === 5 ? { properties: c.props } : {}),
      } as Parameters<typeof generate>[0],
      { protocolVersion: c.v },
    );
    expect(
      publishPacketSize(c.topic, c.bytes, { qos: c.qos, protocolVersion: c.v, properties: c.props }),
    ).toBe(packet.length);
  });
});

describe('checkBrokerUrl', () => {
  it.each(['mqtt://127.0.0.1:1883', 'mqtts://h:8883', 'ws://h:8080/mqtt', 'wss://u:p@h/mqtt'])(
    'accepts %s',
    (u) => {
      expect(() => checkBrokerUrl(u)).not.toThrow();
    },
  );
  it.each(['http://h', 'tcp://h:1883', 'h:1883', '', 'mqtt//h'])('refuses %s', (u) => {
    expect(() => checkBrokerUrl(u)).toThrow(/must be mqtt/);
  });
  it('never shows credentials in the error', () => {
    expect(() => checkBrokerUrl('http://user:s3cret-pw@h')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret-pw') }),
    );
  });
});
