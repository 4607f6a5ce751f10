// CLI parsers, table-driven over the hand-written fixtures in test/fixtures/cli (reference §7.1, §7.2, App. A.1).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseCoreShowChannelsConcise,
  parseCoreShowChannelsVerbose,
} from '../../../agent/src/pbx/cli/core-show-channels';
import { parseSipShowPeers } from '../../../agent/src/pbx/cli/sip-show-peers';

const DIR = join(import.meta.dirname, '../../fixtures/cli');

interface Case {
  reference: string;
  parser: 'parseSipShowPeers' | 'parseCoreShowChannelsVerbose' | 'parseCoreShowChannelsConcise';
  options?: { dialect?: string };
  expected: unknown;
}

const cases: Array<[string, Case, string]> = [];
for (const d of readdirSync(DIR, { withFileTypes: true })) {
  if (!d.isDirectory()) continue;
  for (const f of readdirSync(join(DIR, d.name))) {
    if (!f.endsWith('.expected.json')) continue;
    const c = JSON.parse(readFileSync(join(DIR, d.name, f), 'utf8')) as Case;
    const text = readFileSync(join(DIR, d.name, f.replace('.expected.json', '.txt')), 'latin1');
    cases.push([`${d.name}/${f.replace('.expected.json', '')}`, c, text]);
  }
}

function run(c: Case, text: string): unknown {
  switch (c.parser) {
    case 'parseSipShowPeers':
      return parseSipShowPeers(text);
    case 'parseCoreShowChannelsVerbose':
      return parseCoreShowChannelsVerbose(text, c.options);
    case 'parseCoreShowChannelsConcise':
      return parseCoreShowChannelsConcise(text, c.options);
  }
}

describe('CLI fixtures', () => {
  it('there is a fixture for every parser and variant', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    expect(new Set(cases.map(([, c]) => c.parser)).size).toBe(3);
  });

  it.each(cases)('%s', (_name, c, text) => {
    expect(c.reference).toMatch(/§|Appendix/);
    expect(run(c, text)).toEqual(c.expected);
  });

  it('CRLF line ends parse the same as LF', () => {
    for (const [, c, text] of cases) expect(run(c, text.replace(/\n/g, '\r\n'))).toEqual(c.expected);
  });

  it('the verbose fixture starts with the literal header and example row of §7.1', () => {
    const text = readFileSync(join(DIR, '11/core-show-channels-verbose.txt'), 'latin1').split('\n');
    expect(text[0]).toBe(
      'Channel              Context              Extension        Prio State   Application  Data                      CallerID        Duration Accountcode PeerAccount BridgedTo           ',
    );
    expect(text[1]).toBe(
      'SIP/100-00000007     macro-dial-one       s                  52 Up      Dial         SIP/101,,HhtrIb(func-appl 100             00:00:42                         SIP/101-00000008    ',
    );
  });
});
