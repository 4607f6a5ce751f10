import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandUrlTemplate } from '../../../agent/src/recordings/push-https';
import { SeenStore } from '../../../agent/src/recordings/seen-store';
import { checkOffset, sendChunks, TransferLimiter } from '../../../agent/src/recordings/transfer';

let dir: string;
let file: string;
const data = randomBytes(10 * 1024 + 123);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pbxl-xfer-'));
  file = join(dir, 'f.wav');
  await writeFile(file, data);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sendChunks', () => {
  it.each([3, 5, 8, 16])(
    'window %i: never more publishes unacknowledged, and the chunks rebuild the file',
    async (window) => {
      const got = new Map<number, Buffer>();
      let inFlight = 0;
      let maxInFlight = 0;
      // Acknowledgements are held until the window is as full as it can be (not on a timer: under load the file
      // reads could lag a timed acknowledgement and the window would never fill).
      const waiting: (() => void)[] = [];
      let acked = 0;
      const releaseWhenFull = () => {
        while (waiting.length > 0 && inFlight >= Math.min(window, 11 - acked)) {
          inFlight--;
          acked++;
          waiting.shift()?.();
        }
      };
      const r = await sendChunks({
        path: file,
        size: data.length,
        offset: 0,
        chunkSize: 1024,
        transferId: 't',
        window,
        publish: async (_id, i, b) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          got.set(i, Buffer.from(b)); // copy: the sender reuses its buffers after the acknowledgement
          await new Promise<void>((res) => {
            waiting.push(res);
            releaseWhenFull();
          });
        },
      });
      expect(maxInFlight).toBe(Math.min(window, 11));
      expect(r).toEqual({ chunks_sent: 11, bytes_sent: data.length });
      expect(
        Buffer.concat([...got.keys()].sort((a, b) => a - b).map((k) => got.get(k) as Buffer)).equals(data),
      ).toBe(true);
    },
  );

  it('resumes at offset with indexes going on from offset / chunk_size', async () => {
    const idx: number[] = [];
    let bytes = 0;
    await sendChunks({
      path: file,
      size: data.length,
      offset: 8192,
      chunkSize: 1024,
      transferId: 't',
      publish: async (_id, i, b) => {
        idx.push(i);
        bytes += b.length;
      },
    });
    expect(idx).toEqual([8, 9, 10]);
    expect(bytes).toBe(data.length - 8192);
  });

  it('a failed publish rejects the transfer; an aborted one stops', async () => {
    await expect(
      sendChunks({
        path: file,
        size: data.length,
        offset: 0,
        chunkSize: 1024,
        transferId: 't',
        publish: async (_id, i) => {
          if (i === 4) throw new Error('link down');
        },
      }),
    ).rejects.toThrow('link down');
    const ac = new AbortController();
    let n = 0;
    await expect(
      sendChunks({
        path: file,
        size: data.length,
        offset: 0,
        chunkSize: 1024,
        transferId: 't',
        signal: ac.signal,
        publish: () => {
          if (++n === 2) ac.abort(new Error('stop'));
          return new Promise(() => {});
        },
      }),
    ).rejects.toThrow('stop');
  });

  it('offset checks name the argument', () => {
    expect(() => checkOffset(100, 5000, 1024)).toThrow(/multiple of chunk_size/);
    expect(() => checkOffset(6144, 5000, 1024)).toThrow(/at most size/);
    expect(() => checkOffset(5000, 5000, 1024)).not.toThrow(); // nothing left to send
  });
});

describe('TransferLimiter', () => {
  it('busy beyond the limit; a slot comes back once', () => {
    const l = new TransferLimiter(1);
    const release = l.acquire();
    expect(() => l.acquire()).toThrow(expect.objectContaining({ code: 'busy' }));
    release();
    release();
    expect(l.inProgress).toBe(0);
    l.acquire();
    expect(() => l.acquire()).toThrow();
  });
});

describe('SeenStore', () => {
  it('first start: older files count as announced; names persist; the floor forgets old names', async () => {
    let now = 1_000_000_000_000;
    const s = new SeenStore(join(dir, 'state'), () => now, 1000);
    await s.load();
    expect(s.has('old.wav', now - 1)).toBe(true);
    expect(s.has('new.wav', now + 5)).toBe(false);
    s.add('new.wav', now + 5);
    await s.flush();
    const again = new SeenStore(join(dir, 'state'), () => now, 1000);
    await again.load();
    expect(again.has('new.wav', now + 5)).toBe(true);
    expect(again.has('other.wav', now + 5)).toBe(false); // arrived while down: still to announce
    now += 5000;
    again.advance();
    expect(again.size).toBe(0);
    expect(again.has('late.wav', now - 2000)).toBe(true);
  });
});

describe('expandUrlTemplate', () => {
  it('fills and encodes the fields; refuses anything but https', () => {
    expect(
      expandUrlTemplate('https://s.example/{agent}/{uniqueid}/{name}?sig={sha256}', {
        agent: 'pbx 1',
        uniqueid: '1.2',
        name: '2024/01/15/a b.wav',
        sha256: 'ab',
      }),
    ).toBe('https://s.example/pbx%201/1.2/2024/01/15/a%20b.wav?sig=ab');
    expect(() =>
      expandUrlTemplate('http://s.example/{name}', { agent: 'a', uniqueid: null, name: 'x', sha256: '' }),
    ).toThrow(/https/);
  });
});
