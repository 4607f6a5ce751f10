import { describe, expect, it } from 'vitest';
import {
  agentTopics,
  consumerFilters,
  DEFAULT_TOPIC_PREFIX,
  isReplyTopicFor,
  parseTopic,
  topicMatches,
  validateAgentId,
  validateTopicPrefix,
} from '../../../protocol/src/topics';

const P = DEFAULT_TOPIC_PREFIX;

describe('agent ids', () => {
  it.each(['pbx1', 'A_b-9', 'x'.repeat(64)])('accepts %s', (id) => {
    expect(validateAgentId(id)).toBe(id);
  });
  it.each(['', 'x'.repeat(65), 'a/b', 'a+', 'a#', 'a b', 'ä', '..', 'a.b', 42, null])('rejects %s', (id) => {
    expect(() => validateAgentId(id)).toThrow(expect.objectContaining({ code: 'invalid_args' }));
  });
});

describe('prefixes', () => {
  it.each(['pbxlink/v1', 'acme', 'a/b/c'])('accepts %s', (p) => expect(validateTopicPrefix(p)).toBe(p));
  it.each(['', '/a', 'a/', 'a//b', 'a/+', 'a/#', '$SYS', 'a/../b', 'a\u0000b'])('rejects %j', (p) => {
    expect(() => validateTopicPrefix(p)).toThrow(expect.objectContaining({ code: 'invalid_args' }));
  });
});

describe('build → parse round trips', () => {
  const t = agentTopics(P, 'pbx-1');
  const cases: Array<[string, unknown]> = [
    [t.status, { kind: 'status', agent: 'pbx-1' }],
    [t.cmd, { kind: 'cmd', agent: 'pbx-1' }],
    [t.state('health'), { kind: 'state', agent: 'pbx-1', name: 'health' }],
    [t.state('peers'), { kind: 'state', agent: 'pbx-1', name: 'peers' }],
    [t.event('peer.status'), { kind: 'event', agent: 'pbx-1', type: 'peer.status' }],
    [t.event('cdr.new'), { kind: 'event', agent: 'pbx-1', type: 'cdr.new' }],
    [t.reply('ops/42'), { kind: 'reply', agent: 'pbx-1', suffix: 'ops/42' }],
    [t.reply('x'), { kind: 'reply', agent: 'pbx-1', suffix: 'x' }],
    [t.blob('tr_1', 0), { kind: 'blob', agent: 'pbx-1', transferId: 'tr_1', index: 0 }],
    [t.blob('tr_1', 1234), { kind: 'blob', agent: 'pbx-1', transferId: 'tr_1', index: 1234 }],
  ];
  it.each(cases)('%s', (topic, parsed) => {
    expect(parseTopic(P, topic)).toEqual(parsed);
  });
  it('builds the documented strings', () => {
    expect(t.status).toBe('pbxlink/v1/pbx-1/status');
    expect(t.state('calls')).toBe('pbxlink/v1/pbx-1/state/calls');
    expect(t.event('call.ended')).toBe('pbxlink/v1/pbx-1/events/call.ended');
    expect(t.cmd).toBe('pbxlink/v1/pbx-1/cmd');
    expect(t.reply('c/1')).toBe('pbxlink/v1/pbx-1/reply/c/1');
    expect(t.blob('abc', 3)).toBe('pbxlink/v1/pbx-1/blob/abc/3');
    expect(t.replyBase).toBe('pbxlink/v1/pbx-1/reply/');
  });
  it.each([
    () => t.state('a/b'),
    () => t.state('+'),
    () => t.event('#'),
    () => t.event(''),
    () => t.reply(''),
    () => t.reply('a/../b'),
    () => t.reply('a//b'),
    () => t.reply('+'),
    () => t.reply('x/#'),
    () => t.blob('a/b', 1),
    () => t.blob('ok', -1),
    () => t.blob('ok', 1.5),
    () => agentTopics(P, 'bad/id'),
  ])('builder rejects bad part %#', (fn) => {
    expect(fn).toThrow(expect.objectContaining({ code: 'invalid_args' }));
  });
});

describe('parseTopic rejects what is not ours', () => {
  it.each([
    'other/v1/pbx/status',
    'pbxlink/v1/pbx',
    'pbxlink/v1/pbx/status/x',
    'pbxlink/v1/pbx/cmd/x',
    'pbxlink/v1/pbx/state',
    'pbxlink/v1/pbx/state/a/b',
    'pbxlink/v1/pbx/events/+',
    'pbxlink/v1/pbx/reply',
    'pbxlink/v1/pbx/reply/',
    'pbxlink/v1/pbx/reply/a//b',
    'pbxlink/v1/pbx/blob/t',
    'pbxlink/v1/pbx/blob/t/01',
    'pbxlink/v1/pbx/blob/t/-1',
    'pbxlink/v1/pbx/unknown',
    'pbxlink/v1/b@d/status',
    'pbxlink/v1extra/pbx/status',
  ])('%s', (topic) => {
    expect(parseTopic(P, topic)).toBeNull();
  });
});

describe('isReplyTopicFor', () => {
  it.each(['pbxlink/v1/pbx/reply/a', 'pbxlink/v1/pbx/reply/ops/cli-1/xyz'])('accepts %s', (topic) => {
    expect(isReplyTopicFor(P, 'pbx', topic)).toBe(true);
  });
  it.each([
    'pbxlink/v1/pbx/reply/',
    'pbxlink/v1/pbx/reply',
    'pbxlink/v1/other/reply/a',
    'pbxlink/v1/pbx/reply/+',
    'pbxlink/v1/pbx/reply/#',
    'pbxlink/v1/pbx/reply/a/../../cmd',
    'pbxlink/v1/pbx/reply/./a',
    'pbxlink/v1/pbx/reply//a',
    'pbxlink/v1/pbx/cmd',
    'pbxlink/v1/pbx/status',
    'pbxlink/v1/+/reply/a',
    'other/pbx/reply/a',
    `pbxlink/v1/pbx/reply/${'x'.repeat(300)}`,
    'pbxlink/v1/pbx/reply/a\u0000b',
    42,
  ])('rejects %j', (topic) => {
    expect(isReplyTopicFor(P, 'pbx', topic)).toBe(false);
  });
});

describe('consumer filters', () => {
  it('builds wildcards for all agents and for one', () => {
    const all = consumerFilters(P);
    expect(all.status).toBe('pbxlink/v1/+/status');
    expect(all.events).toBe('pbxlink/v1/+/events/+');
    expect(all.all).toBe('pbxlink/v1/+/#');
    const one = consumerFilters(P, 'pbx');
    expect(one.states).toBe('pbxlink/v1/pbx/state/+');
    expect(one.state('disks')).toBe('pbxlink/v1/pbx/state/disks');
    expect(one.event('audit')).toBe('pbxlink/v1/pbx/events/audit');
    expect(one.replies).toBe('pbxlink/v1/pbx/reply/#');
    expect(one.blobs('t1')).toBe('pbxlink/v1/pbx/blob/t1/+');
  });
  it('filters match the topics built for them', () => {
    const t = agentTopics(P, 'pbx');
    const f = consumerFilters(P);
    expect(topicMatches(f.status, t.status)).toBe(true);
    expect(topicMatches(f.states, t.state('peers'))).toBe(true);
    expect(topicMatches(f.events, t.event('call.started'))).toBe(true);
    expect(topicMatches(f.all, t.reply('a/b'))).toBe(true);
    expect(topicMatches(consumerFilters(P, 'pbx').replies, t.reply('a/b'))).toBe(true);
    expect(topicMatches(consumerFilters(P, 'pbx').blobs('t'), t.blob('t', 7))).toBe(true);
    expect(topicMatches(f.states, t.event('x'))).toBe(false);
    expect(topicMatches(consumerFilters(P, 'other').all, t.status)).toBe(false);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
  });
});
