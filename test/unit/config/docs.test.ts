// Drift test: docs/configuration.md documents every knob and environment variable of the schema, and
// packaging/agent.example.yaml uses only known keys with valid values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXTRA_ENV } from '../../../agent/src/config/env';
import { FIELDS } from '../../../agent/src/config/fields';
import { loadConfig } from '../../../agent/src/config/load';

const ROOT = join(import.meta.dirname, '../../..');
const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');

describe('configuration docs and example', () => {
  it('document every key and every environment variable', () => {
    for (const f of FIELDS) {
      expect(doc, f.path).toContain(`| \`${f.path}\` |`);
      if (f.env) expect(doc, f.env).toContain(`\`${f.env}\``);
    }
    for (const e of EXTRA_ENV) expect(doc, e).toContain(`\`${e}\``);
  });

  it('the example agent.yaml has no problem of its own', () => {
    const file = join(ROOT, 'packaging/agent.example.yaml');
    const l = loadConfig({ configFile: file, env: { PBXLINK_DISCOVERY: '0' } });
    // Only the files it names (absent on this machine) may be missing.
    expect(l.problems).toEqual([
      `broker.ca (file ${file}): file /etc/pbxlink/broker-ca.pem is not readable`,
      expect.stringMatching(/^trusted keys file \/etc\/pbxlink\/trusted-keys\.json: cannot read/),
    ]);
    expect(l.values['broker.url']).toBe('mqtts://broker.example.com:8883');
    expect(l.values['recordings.push']).toBe('off');
  });
});
