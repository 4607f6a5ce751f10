import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isFirewallActive,
  MAX_CHAINS,
  parseIptablesList,
  parseIptablesRules,
  parseIptablesSave,
} from '../../../agent/src/collectors/parse-iptables';

const fixture = (name: string) => readFileSync(join(__dirname, '../../fixtures/os/iptables', name), 'utf8');

const ELASTIX_FILTER = [
  { table: 'filter', name: 'INPUT', policy: 'DROP', rules: 5 },
  { table: 'filter', name: 'FORWARD', policy: 'ACCEPT', rules: 0 },
  { table: 'filter', name: 'OUTPUT', policy: 'ACCEPT', rules: 0 },
  { table: 'filter', name: 'fail2ban-ASTERISK', policy: null, rules: 2 },
  { table: 'filter', name: 'fail2ban-SSH', policy: null, rules: 1 },
];

describe('iptables parsers', () => {
  it('iptables-save: every table, policies, user chains, rule counts', () => {
    expect(parseIptablesSave(fixture('save-elastix-fail2ban.txt'))).toEqual([
      { table: 'nat', name: 'PREROUTING', policy: 'ACCEPT', rules: 0 },
      { table: 'nat', name: 'POSTROUTING', policy: 'ACCEPT', rules: 0 },
      { table: 'nat', name: 'OUTPUT', policy: 'ACCEPT', rules: 0 },
      ...ELASTIX_FILTER,
    ]);
  });

  it('iptables-save (nf_tables) with the legacy warning comment', () => {
    const chains = parseIptablesSave(fixture('save-nft-warning.txt'));
    expect(chains.map((c) => `${c.table}/${c.name}/${c.policy}/${c.rules}`)).toEqual([
      'filter/INPUT/ACCEPT/0',
      'filter/FORWARD/ACCEPT/0',
      'filter/OUTPUT/ACCEPT/0',
    ]);
    expect(isFirewallActive(chains)).toBe(false);
  });

  it('iptables -S', () => {
    expect(parseIptablesRules(fixture('S-filter.txt'))).toEqual([
      { table: 'filter', name: 'INPUT', policy: 'DROP', rules: 2 },
      { table: 'filter', name: 'FORWARD', policy: 'ACCEPT', rules: 0 },
      { table: 'filter', name: 'OUTPUT', policy: 'ACCEPT', rules: 0 },
      { table: 'filter', name: 'fail2ban-SSH', policy: null, rules: 1 },
    ]);
    expect(
      parseIptablesRules(fixture('S-empty.txt'), 'nat').every((c) => c.table === 'nat' && c.rules === 0),
    ).toBe(true);
  });

  it('iptables -L -n', () => {
    expect(parseIptablesList(fixture('L-n-filter.txt'))).toEqual([
      { table: 'filter', name: 'INPUT', policy: 'DROP', rules: 2 },
      { table: 'filter', name: 'FORWARD', policy: 'ACCEPT', rules: 0 },
      { table: 'filter', name: 'OUTPUT', policy: 'ACCEPT', rules: 0 },
      { table: 'filter', name: 'fail2ban-SSH', policy: null, rules: 1 },
    ]);
  });

  it.each([
    ['no chains', [], false],
    ['all ACCEPT, no rules', [{ table: 'filter', name: 'INPUT', policy: 'ACCEPT', rules: 0 }], false],
    ['DROP policy', [{ table: 'filter', name: 'INPUT', policy: 'DROP', rules: 0 }], true],
    ['a rule in a user chain', [{ table: 'filter', name: 'x', policy: null, rules: 1 }], true],
  ] as const)('active: %s', (_l, chains, active) => {
    expect(isFirewallActive(chains.map((c) => ({ ...c })))).toBe(active);
  });

  it('bounds the chain list (schema maxItems) whatever the input size', () => {
    const lines = ['*filter'];
    for (let i = 0; i < MAX_CHAINS + 500; i++) lines.push(`:c${i} - [0:0]`, `-A c${i} -j RETURN`);
    lines.push('COMMIT');
    const chains = parseIptablesSave(lines.join('\n'));
    expect(chains).toHaveLength(MAX_CHAINS);
    expect(chains.every((c) => c.rules === 1)).toBe(true);
  });

  it.each(['', 'garbage\n-A\n:\n*\nCOMMIT', '-A INPUT -j ACCEPT\n'])(
    'ignores what is not a rule set: %j',
    (text) => {
      expect(parseIptablesSave(text)).toEqual([]);
    },
  );
});
