import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../../protocol/src/cli/args';

describe('pbxctl --arg / --json parsing', () => {
  it.each([
    [['account=100'], { account: '100' }],
    [['limit:=100'], { limit: 100 }],
    [['dry_run:=true'], { dry_run: true }],
    [['grplist:=["101","102"]'], { grplist: ['101', '102'] }],
    [['field_pattern=a=b'], { field_pattern: 'a=b' }],
    [['name='], { name: '' }],
    [['start_date=2024-01-01 00:00:00'], { start_date: '2024-01-01 00:00:00' }],
    [['cursor:=null'], { cursor: null }],
  ])('%j gives %j', (items, expected) => {
    expect(parseCommandArgs(items, undefined)).toEqual(expected);
  });

  it('merges --json with --arg items overriding it', () => {
    expect(parseCommandArgs(['limit:=5'], '{"limit":10,"status":"ANSWERED"}')).toEqual({
      limit: 5,
      status: 'ANSWERED',
    });
  });

  it.each([
    ['noequals', /bad --arg "noequals": expected key=value/],
    ['=value', /bad --arg "=value"/],
    ['bad key=1', /bad --arg "bad key=1"/],
    ['limit:=notjson', /the value after := is not valid JSON/],
  ])('rejects --arg %j', (item, msg) => {
    expect(() => parseCommandArgs([item], undefined)).toThrow(msg);
  });

  it.each([
    ['{', /--json is not valid JSON/],
    ['[1,2]', /--json must be a JSON object/],
    ['"text"', /--json must be a JSON object/],
    ['null', /--json must be a JSON object/],
  ])('rejects --json %j', (json, msg) => {
    expect(() => parseCommandArgs([], json)).toThrow(msg);
  });

  it('rejects an oversized --json before parsing it', () => {
    expect(() => parseCommandArgs([], `{"a":"${'x'.repeat(70_000)}"}`)).toThrow(/longer than/);
  });
});
