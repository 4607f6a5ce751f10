import { describe, expect, it } from 'vitest';
import { datedFolderOf, parseRecordingName } from '../../../agent/src/recordings/name';

describe('parseRecordingName (§12)', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    [
      'exten-201-200-20240115-093012-1705307412.34.wav',
      {
        kind: 'exten',
        to: '201',
        from: '200',
        recorded_at: '2024-01-15 09:30:12',
        uniqueid: '1705307412.34',
        format: 'wav',
      },
    ],
    [
      'out-0044207946000-200-20240115-093012-1705307412.35.WAV',
      { kind: 'out', to: '0044207946000', from: '200', uniqueid: '1705307412.35', format: 'WAV' },
    ],
    [
      'q-600-5551234-20240115-093012-1705307412.36.gsm',
      { kind: 'q', to: '600', from: '5551234', format: 'gsm' },
    ],
    ['rg-601-200-20240115-093012-1705307412.37.wav', { kind: 'rg', to: '601', from: '200' }],
    ['ondemand-200-201-20240115-093012-1705307412.38.wav', { kind: 'ondemand', to: '200', from: '201' }],
    ['internal-201-200-20240115-093012-1705307412.39.wav', { kind: 'internal', to: '201', from: '200' }],
    [
      'in-5551000-5552000-20240115-093012-1705307412.40.mp3',
      { kind: 'in', to: '5551000', from: '5552000', format: 'mp3' },
    ],
    // systemname set in asterisk.conf: the uniqueid holds a '-' itself (§12.2).
    ['exten-201-200-20240115-093012-pbx-a-1705307412.41.wav', { uniqueid: 'pbx-a-1705307412.41' }],
    // FreePBX 2.8 / Elastix ≤2.3 flat names (§12.1).
    [
      'g601-20100302-101500-1267524900.12.wav',
      { kind: 'group', to: '601', from: null, uniqueid: '1267524900.12' },
    ],
    [
      'OUT200-20100302-101500-1267524900.13.wav',
      { kind: 'out', from: '200', to: null, recorded_at: '2010-03-02 10:15:00' },
    ],
    ['20100302-101500-1267524900.14.wav', { kind: 'in', to: null, from: null, uniqueid: '1267524900.14' }],
    [
      'auto-1267524900-200-201.wav',
      { kind: 'auto', from: '200', to: '201', uniqueid: null, recorded_at: '2010-03-02 10:15:00' },
    ],
    [
      'random-name.wav',
      { kind: null, to: null, from: null, uniqueid: null, recorded_at: null, format: 'wav' },
    ],
    ['noext-201-200-20240115-093012-1705307412.34', { kind: 'noext', uniqueid: '1705307412.34', format: '' }],
  ];
  it.each(cases)('%s', (name, want) => {
    expect(parseRecordingName(name)).toMatchObject(want);
  });

  it('finds the dated folder of a name from its 8-digit date token', () => {
    expect(datedFolderOf('exten-201-200-20240115-093012-1705307412.34.wav')).toBe('2024/01/15');
    expect(datedFolderOf('20100302-101500-1.wav')).toBe('2010/03/02');
    expect(datedFolderOf('nodate.wav')).toBeNull();
  });
});
