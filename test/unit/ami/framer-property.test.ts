import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AmiFramer } from '../../../agent/src/pbx/ami/framer';
import type { AmiMessage } from '../../../agent/src/pbx/ami/types';
import { ALL_VALID, msg } from '../../fixtures/ami/transcripts';

/** mulberry32: a tiny seeded PRNG so every failure is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function run(chunks: Buffer[], cap?: number) {
  const out: (AmiMessage | string)[] = [];
  let errors = 0;
  let peak = 0;
  const f = new AmiFramer(
    { message: (m) => out.push(m), greeting: (v) => out.push(`greeting ${v}`), error: () => errors++ },
    cap === undefined ? {} : { maxMessageBytes: cap },
  );
  for (const c of chunks) {
    f.push(c);
    peak = Math.max(peak, f.buffered);
  }
  f.end();
  return { out, errors, peak };
}

/** Cuts `buf` at random points (anywhere, including inside CRLF and multi-byte UTF-8 characters). */
function rechunk(buf: Buffer, rnd: () => number, maxLen: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = 1 + Math.floor(rnd() * maxLen);
    chunks.push(buf.subarray(i, i + n));
    i += n;
  }
  return chunks;
}

describe('AmiFramer properties', () => {
  const whole = run([ALL_VALID]);

  it('the reference stream frames without errors into the expected number of messages', () => {
    expect(whole.errors).toBe(0);
    expect(whole.out.length).toBe(33);
  });

  it('any re-chunking of a valid stream yields the same messages (300 seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = prng(seed);
      const maxLen = [1, 2, 3, 7, 64, 1000][seed % 6] ?? 64;
      const got = run(rechunk(ALL_VALID, rnd, maxLen));
      expect(got.out, `seed ${seed}`).toEqual(whole.out);
    }
  });

  it('random bytes never throw and never hold more than the cap (200 seeds)', () => {
    const cap = 8 * 1024;
    const tokens = [
      '\r\n',
      '\n',
      ': ',
      ':',
      'Event: ',
      'Response: ',
      'Follows',
      '--END COMMAND--',
      '\r\n\r\n',
      'Output: ',
    ];
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = prng(seed * 7919);
      const parts: Buffer[] = [];
      const len = Math.floor(rnd() * 64 * 1024);
      for (let n = 0; n < len; ) {
        const b =
          rnd() < 0.3
            ? Buffer.from(tokens[Math.floor(rnd() * tokens.length)] ?? '')
            : Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
        parts.push(b);
        n += b.length;
      }
      const stream = Buffer.concat(parts);
      const got = run(rechunk(stream, rnd, 4096), cap);
      // Held: at most the cap plus one chunk being scanned.
      expect(got.peak, `seed ${seed}`).toBeLessThanOrEqual(cap + 4096);
    }
  });

  it('every truncation of a valid stream frames without throwing, and a prefix yields a prefix of the messages', () => {
    for (let cut = 0; cut <= ALL_VALID.length; cut += 7) {
      const got = run([ALL_VALID.subarray(0, cut)]);
      // The last message may be partial (delivered by end()); all before it are identical.
      const settled = got.out.slice(0, -1);
      expect(settled, `cut ${cut}`).toEqual(whole.out.slice(0, settled.length));
    }
  });

  it('values kept from 64 KB chunks do not pin the chunks (copies, issue 3)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const kept: AmiMessage[] = [];
    const f = new AmiFramer({ message: (m) => kept.push(m) });
    const filler = 'x'.repeat(64 * 1024 - 200);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) {
      f.push(
        Buffer.from(
          msg(
            'Event: PeerEntry',
            `ObjectName: peer-number-${i}-with-a-long-name`,
            `Description: ${filler.slice(0, 10)}`,
          ) + msg('Event: Pad', `P: ${filler}`),
        ),
      );
      kept.length = Math.min(kept.length, i + 1);
      if (kept.length > 0 && kept[kept.length - 1]?.name === 'Pad') kept.pop();
    }
    gc();
    const grown = (process.memoryUsage().heapUsed - before) / 1048576;
    expect(kept).toHaveLength(1000);
    expect(kept[999]?.headers.objectname).toBe('peer-number-999-with-a-long-name');
    // Pinned chunks would hold about 64 MB here; copies hold well under 8 MB.
    expect(grown).toBeLessThan(8);
  });
});
