import { describe, expect, it } from 'vitest';
import { formatTailJson, formatTailLine, summarize } from '../../../protocol/src/cli/format';
import type { TailMessage } from '../../../protocol/src/client/tail';
import { parseTopic } from '../../../protocol/src/topics';

const P = 'pbxlink/v1';
const NOW = Date.parse('2026-01-02T03:04:05.678Z');

function msg(topic: string, payload: unknown, retain = false): TailMessage {
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  let json: unknown;
  try {
    json = JSON.parse(buf.toString());
  } catch {
    json = undefined;
  }
  return { topic, payload: buf, retain, parsed: parseTopic(P, topic), json };
}

describe('pbxctl tail line format', () => {
  it('shows a birth status with version and boot id', () => {
    const line = formatTailLine(
      msg(
        `${P}/pbx1/status`,
        {
          online: true,
          agent: 'pbx1',
          boot_id: 'b1',
          version: '0.1.0',
          started_at: '2026-01-02T03:00:00.000Z',
          capabilities: ['cdr.query'],
        },
        true,
      ),
      NOW,
    );
    expect(line).toBe(
      '03:00:00.000 pbx1 status online boot_id=b1 version=0.1.0 started_at=2026-01-02T03:00:00.000Z capabilities=[1] (retained)',
    );
  });

  it('shows an offline status with its reason', () => {
    const line = formatTailLine(
      msg(`${P}/pbx1/status`, { online: false, agent: 'pbx1', boot_id: 'b1', reason: 'lost' }),
      NOW,
    );
    expect(line).toBe('03:04:05.678 pbx1 status offline boot_id=b1 reason=lost');
  });

  it('shows an event with its type, seq and data summary', () => {
    const env = {
      v: 1,
      agent: 'pbx1',
      boot_id: 'b',
      seq: 42,
      ts: '2026-01-02T03:04:06.000Z',
      type: 'peer.status',
      data: { peer: 'SIP/101', status: 'Reachable', latency_ms: 12 },
    };
    expect(formatTailLine(msg(`${P}/pbx1/events/peer.status`, env), NOW)).toBe(
      '03:04:06.000 pbx1 events/peer.status seq=42 peer=SIP/101 status=Reachable latency_ms=12',
    );
  });

  it('shows a snapshot with array counts', () => {
    const env = {
      v: 1,
      agent: 'pbx1',
      boot_id: 'b',
      seq: 7,
      ts: '2026-01-02T03:04:06.000Z',
      type: 'state.peers',
      data: { peers: [{}, {}, {}] },
    };
    expect(formatTailLine(msg(`${P}/pbx1/state/peers`, env, true), NOW)).toBe(
      '03:04:06.000 pbx1 state/peers seq=7 peers=[3] (retained)',
    );
  });

  it('bounds long summaries and quotes strings with spaces', () => {
    const s = summarize({
      a: 'two words',
      b: 'x'.repeat(100),
      c: 1,
      d: 2,
      e: 3,
      f: 4,
      g: 'y'.repeat(60),
      h: 'z'.repeat(60),
    });
    expect(s.startsWith('a="two words" b=')).toBe(true);
    expect(s.length).toBeLessThanOrEqual(170);
    expect(s.endsWith('…')).toBe(true);
  });

  it('never lets control characters from a payload reach the terminal', () => {
    const line = formatTailLine(
      msg(`${P}/pbx1/events/audit`, { v: 1, seq: 1, data: { note: '\u001b[2Jboom' } }),
      NOW,
    );
    expect(line.includes(String.fromCharCode(27))).toBe(false);
  });

  it('shows blobs and commands by size, not content', () => {
    expect(formatTailLine(msg(`${P}/pbx1/blob/t1/3`, Buffer.from([1, 2, 3])), NOW)).toBe(
      '03:04:05.678 pbx1 blob/t1/3 3 bytes',
    );
    expect(formatTailLine(msg(`${P}/pbx1/cmd`, Buffer.from('eyJ.x.y')), NOW)).toBe(
      '03:04:05.678 pbx1 cmd signed command, 7 bytes',
    );
  });

  it('prints one JSON object per message with --json', () => {
    const env = {
      v: 1,
      agent: 'pbx1',
      boot_id: 'b',
      seq: 1,
      ts: '2026-01-02T03:04:06.000Z',
      type: 'call.ended',
      data: {},
    };
    expect(JSON.parse(formatTailJson(msg(`${P}/pbx1/events/call.ended`, env)))).toEqual({
      topic: `${P}/pbx1/events/call.ended`,
      kind: 'event',
      agent: 'pbx1',
      type: 'call.ended',
      retained: false,
      bytes: JSON.stringify(env).length,
      payload: env,
    });
  });
});
