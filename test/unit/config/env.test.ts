import { describe, expect, it } from 'vitest';
import { parseLoginUrl } from '../../../agent/src/config/env';
import { splitArgv } from '../../../agent/src/config/validate';

describe('parseLoginUrl (PBXLINK_AMI_URL, PBXLINK_DB_URL)', () => {
  it.each([
    [
      'ami://admin:amp111@127.0.0.1:5038',
      'ami',
      { host: '127.0.0.1', port: 5038, user: 'admin', pass: 'amp111' },
    ],
    ['ami://admin:amp111@localhost', 'ami', { host: 'localhost', user: 'admin', pass: 'amp111' }],
    ['ami://u:p%40s%3As%2F%25@[::1]:5039', 'ami', { host: '::1', port: 5039, user: 'u', pass: 'p@s:s/%' }],
    ['mysql://asteriskuser:x@db:3307/', 'mysql', { host: 'db', port: 3307, user: 'asteriskuser', pass: 'x' }],
    ['mysql://db', 'mysql', { host: 'db' }],
  ])('%s', (url, scheme, expected) => {
    expect(parseLoginUrl(url, scheme)).toEqual(expected);
  });

  it.each([
    ['http://u:p@h:1', 'ami'], // wrong scheme
    ['ami://u:p@h:1/path', 'ami'], // a path means a typo
    ['ami://', 'ami'], // no host
    ['not a url', 'ami'],
    ['mysql://u:p%ZZ@h', 'mysql'], // bad percent-encoding
    ['ami://u:p@h:99999', 'ami'], // port out of range
  ])('rejects %s', (url, scheme) => {
    expect(parseLoginUrl(url, scheme)).toBeUndefined();
  });
});

describe('splitArgv (PBXLINK_APPLY_CMD)', () => {
  it.each([
    ['fwconsole reload', ['fwconsole', 'reload']],
    ['  /var/lib/asterisk/bin/module_admin   reload ', ['/var/lib/asterisk/bin/module_admin', 'reload']],
    ['["/usr/sbin/fwconsole","reload","--dont-ask"]', ['/usr/sbin/fwconsole', 'reload', '--dont-ask']],
    ['fwconsole reload; rm -rf /', ['fwconsole', 'reload;', 'rm', '-rf', '/']], // words, never a shell
  ])('%s', (s, argv) => {
    expect(splitArgv(s)).toEqual(argv);
  });

  it.each([['[1,2]'], ['["a",']])('rejects %s', (s) => {
    expect(splitArgv(s)).toBeUndefined();
  });
});
