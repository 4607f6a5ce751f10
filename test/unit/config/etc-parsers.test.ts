import { describe, expect, it } from 'vitest';
import { parseAmportalConf, parseElastixConf, parseFreepbxConf } from '../../../agent/src/config/etc-parsers';

const val = (m: Map<string, { value: string }>, k: string) => m.get(k)?.value;

describe('parseAmportalConf (§11.1)', () => {
  it.each([
    ['plain assignment', 'AMPDBUSER=asteriskuser', 'AMPDBUSER', 'asteriskuser'],
    ['trailing space trimmed', 'AMPCGIBIN=/var/www/cgi-bin ', 'AMPCGIBIN', '/var/www/cgi-bin'],
    ['escaped space kept', 'MIXMON_DIR=/var/spool/my\\ recs', 'MIXMON_DIR', '/var/spool/my recs'],
    ['single quotes', "AMPDBPASS='a b#c'", 'AMPDBPASS', 'a b#c'],
    ['double quotes with escape', 'AMPDBPASS="a\\"b"', 'AMPDBPASS', 'a"b'],
    ['inline comment after blank', 'AMPDBHOST=localhost # the db', 'AMPDBHOST', 'localhost'],
    ['hash inside a word is data', 'AMPDBPASS=pa#ss', 'AMPDBPASS', 'pa#ss'],
    ['export prefix', 'export AMPMGRUSER=admin', 'AMPMGRUSER', 'admin'],
    ['blanks around = (hand edit)', 'AMPMGRUSER = admin', 'AMPMGRUSER', 'admin'],
    ['empty value', 'MIXMON_DIR=', 'MIXMON_DIR', ''],
    ['CRLF line ends', 'AMPDBUSER=u\r\nAMPDBPASS=p\r\n', 'AMPDBPASS', 'p'],
  ])('%s', (_name, text, key, expected) => {
    expect(val(parseAmportalConf(text), key)).toBe(expected);
  });

  it('skips commented defaults and takes the last assignment', () => {
    const m = parseAmportalConf(
      '# AMPDBPASS=amp109\nAMPDBPASS=first\n  #AMPMGRPASS=amp111\nAMPDBPASS=second\n',
    );
    expect(val(m, 'AMPDBPASS')).toBe('second');
    expect(m.get('AMPDBPASS')?.line).toBe(4);
    expect(m.has('AMPMGRPASS')).toBe(false);
  });

  it('ignores lines that are not assignments', () => {
    const m = parseAmportalConf('#;-----;\nthis is not one\n=x\n1ABC=no\n');
    expect([...m.keys()]).toEqual([]);
  });
});

describe('parseFreepbxConf (§11.2)', () => {
  it.each([
    ['tabs before =', "$amp_conf['AMPDBUSER']\t= 'asteriskuser';", 'asteriskuser'],
    ['two spaces (Elastix)', "$amp_conf['AMPDBUSER']  =  'elx';", 'elx'],
    ['double-quoted key and value', '$amp_conf["AMPDBUSER"] = "dq";', 'dq'],
    ['escaped quote', "$amp_conf['AMPDBUSER'] = 'it\\'s';", "it's"],
    ['trailing comment', "$amp_conf['AMPDBUSER'] = 'x'; //for sqlite3", 'x'],
  ])('%s', (_n, line, expected) => {
    expect(val(parseFreepbxConf(`<?php\n${line}\n`), 'AMPDBUSER')).toBe(expected);
  });

  it('skips comments and never evaluates computed values', () => {
    const text = [
      '<?php',
      "// $amp_conf['AMPDBPASS'] = 'commented';",
      "# $amp_conf['AMPDBPASS'] = 'hash';",
      '/*',
      "$amp_conf['AMPDBPASS'] = 'in block';",
      '*/',
      "$amp_conf['AMPDBHOST'] = getenv('DBHOST');",
      "$amp_conf['AMPDBPASS'] = 'real';",
      "require_once('/var/www/html/admin/bootstrap.php');",
      '?>',
    ].join('\n');
    const m = parseFreepbxConf(text);
    expect(val(m, 'AMPDBPASS')).toBe('real');
    expect(m.has('AMPDBHOST')).toBe(false);
  });
});

describe('parseElastixConf (§11.3)', () => {
  it('reads key=value with the Elastix regex, value kept verbatim', () => {
    const m = parseElastixConf('mysqlrootpwd=eLaStIx.2oo7\namiadminpwd=a=b c\n bad=1\nkey with space=x\n');
    expect(val(m, 'mysqlrootpwd')).toBe('eLaStIx.2oo7');
    expect(val(m, 'amiadminpwd')).toBe('a=b c');
    expect(m.size).toBe(2);
  });
});
