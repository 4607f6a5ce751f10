/** MQTT 5 PUBLISH properties the agent may set (a subset of mqtt.js's IPublishPacket properties). */
export interface PublishProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
}

import { MAX_MESSAGE_BYTES } from '../../../protocol/src/envelope';

/** Configured ceiling on any packet the agent sends (DESIGN.md "Size": 96 KB by default). */
export const DEFAULT_MAX_PACKET_BYTES = MAX_MESSAGE_BYTES;

const varintLen = (n: number): number => (n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4);
const str = (s: string): number => 2 + Buffer.byteLength(s);

/** Byte length of the MQTT 5 properties block (without its length prefix). */
function propertiesLength(p: PublishProperties | undefined): number {
  if (!p) return 0;
  let n = 0;
  if (p.payloadFormatIndicator !== undefined) n += 2;
  if (p.messageExpiryInterval !== undefined) n += 5;
  if (p.contentType !== undefined) n += 1 + str(p.contentType);
  if (p.responseTopic !== undefined) n += 1 + str(p.responseTopic);
  if (p.correlationData !== undefined) n += 1 + 2 + p.correlationData.length;
  for (const [k, v] of Object.entries(p.userProperties ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) n += 1 + str(k) + str(one);
  }
  return n;
}

/**
 * Exact size in bytes of the PUBLISH packet mqtt.js will write (MQTT 3.1.1 §3.3, MQTT 5 §3.3):
 * fixed header + topic + packet id (QoS > 0) + properties (v5 only) + payload. This is the figure the
 * broker's Maximum Packet Size (CONNACK, MQTT 5 §3.2.2.3.6) is compared against.
 */
export function publishPacketSize(
  topic: string,
  payloadBytes: number,
  opts: { qos?: 0 | 1 | 2; protocolVersion?: 4 | 5; properties?: PublishProperties } = {},
): number {
  const props = opts.protocolVersion === 4 ? -1 : propertiesLength(opts.properties);
  const remaining =
    str(topic) + ((opts.qos ?? 1) > 0 ? 2 : 0) + (props < 0 ? 0 : varintLen(props) + props) + payloadBytes;
  return 1 + varintLen(remaining) + remaining;
}
