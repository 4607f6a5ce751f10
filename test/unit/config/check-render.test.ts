// Rendering of `pbxlink check` (agent/src/cli/check.ts): credentials masked, sources shown.
import { describe, expect, it } from 'vitest';
import { displayValue, MASK, probeLine, renderConfig } from '../../../agent/src/cli/check';
import { loadConfig } from '../../../agent/src/config/load';

describe('check rendering', () => {
  it.each([
    ['broker.password', 'hunter2', MASK],
    ['ami.secret', 's3cret', MASK],
    ['db.cdr_password', 'x', MASK],
    ['broker.url', 'mqtts://u:p%40ss@h:8883', `mqtts://u:${MASK}@h:8883`],
    ['broker.url', 'mqtt://h:1883', 'mqtt://h:1883'],
    ['apply_cmd', ['/usr/sbin/fwconsole', 'reload'], '/usr/sbin/fwconsole reload'],
    ['broker.username', undefined, '(not set)'],
  ])('%s %j → %s', (path, value, shown) => {
    expect(displayValue(path, value)).toBe(shown);
  });

  it('renders one line per knob with its source and no credential', () => {
    const l = loadConfig({
      env: {
        PBXLINK_DISCOVERY: '0',
        PBXLINK_BROKER_URL: 'mqtt://user:urlpass-123@127.0.0.1:1883',
        PBXLINK_AMI_URL: 'ami://admin:amisecret-456@127.0.0.1:5038',
      },
    });
    const text = renderConfig(l).join('\n');
    expect(text).toMatch(/^ {2}ami\.secret\s+\*{8} {2}\[env PBXLINK_AMI_URL\]$/m);
    expect(text).toMatch(
      /^ {2}broker\.url\s+mqtt:\/\/user:\*{8}@127\.0\.0\.1:1883 {2}\[env PBXLINK_BROKER_URL\]$/m,
    );
    expect(text).toMatch(/^ {2}outbox\.max_bytes\s+67108864 {2}\[default\]$/m);
    expect(text).not.toContain('urlpass-123');
    expect(text).not.toContain('amisecret-456');
    expect(l.secrets).toEqual(expect.arrayContaining(['urlpass-123', 'amisecret-456']));
  });

  it('formats probe lines as name, ok|FAILED, detail', () => {
    expect(probeLine({ name: 'ami', ok: false, detail: 'x: connection refused' })).toBe(
      '  ami           FAILED  x: connection refused',
    );
    expect(probeLine({ name: 'mqtt', ok: true, detail: 'y' })).toBe('  mqtt          ok      y');
  });
});
