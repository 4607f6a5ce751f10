/** The persistent replay cache: verdicts, persistence across reopen, expiry and compaction, bounded replies. */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PersistentReplayCache, REPLAY_FILE, ReplyRecorder } from '../../../agent/src/link/replay-cache';
import { tempDir } from '../link/harness';

const log = pino({ level: 'silent' });
const dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});
function dir(): string {
  const t = tempDir('pbxlink-replay-');
  dirs.push(t);
  return t.dir;
}
const NOW = 1_800_000_000;

describe('replay cache', () => {
  it('tells new, redelivery and replay; keeps replies; all of it survives a reopen', () => {
    const d = dir();
    const c = PersistentReplayCache.open(d, NOW, { log });
    expect(c.claim('a', 'h1', NOW + 60, NOW)).toBe('new');
    expect(c.claim('a', 'h1', NOW + 60, NOW)).toBe('redelivery');
    expect(c.claim('a', 'h2', NOW + 60, NOW)).toBe('replay');
    expect(c.lookup('a')).toBeUndefined();
    c.store('a', { replies: ['{"v":1}'], omitted: 0, outcome: 'ok' });
    expect(c.claim('b', 'hb', NOW + 60, NOW)).toBe('new');
    c.close();
    const c2 = PersistentReplayCache.open(d, NOW + 10, { log });
    expect(c2.claim('a', 'h1', NOW + 60, NOW + 10)).toBe('redelivery');
    expect(c2.claim('a', 'h3', NOW + 60, NOW + 10)).toBe('replay');
    expect(c2.lookup('a')).toEqual({ replies: ['{"v":1}'], omitted: 0, outcome: 'ok' });
    // Claimed before the restart, never replied: known, without a reply.
    expect(c2.claim('b', 'hb', NOW + 60, NOW + 10)).toBe('redelivery');
    expect(c2.lookup('b')).toBeUndefined();
    c2.close();
  });

  it('forgets a jti after exp + 60 s skew; reopening drops expired lines from the file', () => {
    const d = dir();
    const c = PersistentReplayCache.open(d, NOW, { log });
    c.claim('old', 'h', NOW + 10, NOW);
    c.claim('live', 'h', NOW + 300, NOW);
    c.close();
    const c2 = PersistentReplayCache.open(d, NOW + 71, { log });
    expect(c2.size).toBe(1);
    expect(c2.claim('old', 'other', NOW + 200, NOW + 71)).toBe('new');
    c2.close();
    const text = readFileSync(join(d, REPLAY_FILE), 'utf8');
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).c),
    ).toEqual(['live', 'old']);
  });

  it('prune compacts the file once most of it is expired', () => {
    const c = PersistentReplayCache.open(dir(), NOW, { log });
    for (let i = 0; i < 3000; i++) {
      c.claim(`jti-${i}`, 'h'.repeat(64), NOW + 10, NOW);
      c.store(`jti-${i}`, { replies: ['r'.repeat(300)], omitted: 0, outcome: 'ok' });
    }
    c.claim('live', 'h', NOW + 290, NOW);
    const before = c.fileSize();
    expect(before).toBeGreaterThan(1024 * 1024);
    c.prune(NOW + 100);
    expect(c.size).toBe(1);
    expect(c.fileSize()).toBeLessThan(200);
    // Still appending after the rewrite.
    expect(c.claim('later', 'h', NOW + 200, NOW + 100)).toBe('new');
    expect(c.fileSize()).toBeGreaterThan(50);
    c.close();
  });

  it('ignores a torn last line and garbage lines', () => {
    const d = dir();
    const c = PersistentReplayCache.open(d, NOW, { log });
    c.claim('a', 'h', NOW + 60, NOW);
    c.close();
    appendFileSync(join(d, REPLAY_FILE), 'not json\n{"c":"b","h":"h","u":');
    const c2 = PersistentReplayCache.open(d, NOW, { log });
    expect(c2.size).toBe(1);
    expect(c2.claim('a', 'h', NOW + 60, NOW)).toBe('redelivery');
    c2.close();
  });

  it('refuses with busy when full of live jtis', () => {
    const c = PersistentReplayCache.open(dir(), NOW, { log, maxEntries: 2 });
    c.claim('a', 'h', NOW + 60, NOW);
    c.claim('b', 'h', NOW + 60, NOW);
    expect(() => c.claim('c', 'h', NOW + 60, NOW)).toThrow(expect.objectContaining({ code: 'busy' }));
    // Once they expire there is room again.
    expect(c.claim('c', 'h', NOW + 60, NOW + 200)).toBe('new');
    c.close();
  });

  it('keeps at most maxTotalBytes of reply bodies: the oldest lose theirs, keeping the outcome', () => {
    const c = PersistentReplayCache.open(dir(), NOW, { log, maxTotalBytes: 1000 });
    for (const j of ['a', 'b', 'c']) {
      c.claim(j, 'h', NOW + 60, NOW);
      c.store(j, { replies: ['x'.repeat(400)], omitted: 0, outcome: 'ok' });
    }
    expect(c.lookup('a')).toEqual({ replies: [], omitted: 0, outcome: 'ok', evicted: true });
    expect(c.lookup('c')?.replies[0]).toHaveLength(400);
    c.close();
  });
});

describe('reply recorder', () => {
  it('keeps every reply while small, only the final one (and the count left out) beyond the bound', () => {
    const small = new ReplyRecorder(100);
    small.add('p1', false);
    small.add('p2', false);
    small.add('done', true);
    expect(small.result('ok')).toEqual({ replies: ['p1', 'p2', 'done'], omitted: 0, outcome: 'ok' });
    const big = new ReplyRecorder(100);
    for (let i = 0; i < 5; i++) big.add('p'.repeat(40), false);
    big.add('{"done":true}', true);
    expect(big.result('ok')).toEqual({ replies: ['{"done":true}'], omitted: 5, outcome: 'ok' });
  });
});
