// CLI parser edge cases (§7.1, §7.2, §15) and a round trip through the simulator's CLI in every dialect.
import { describe, expect, it } from 'vitest';
import {
  parseCoreShowChannelsConcise,
  parseCoreShowChannelsVerbose,
  parseHms,
} from '../../../agent/src/pbx/cli/core-show-channels';
import { parseSipShowPeers } from '../../../agent/src/pbx/cli/sip-show-peers';
import { type AmiSimulator, startAmiSimulator } from '../../sim/server';
import { login } from '../sim/raw-client';

const pad = (s: string, w: number) => s.slice(0, w).padEnd(w, ' ');

describe('core show channels verbose', () => {
  it('without a header the §7.1 widths apply; the dialect hint picks BridgeID', () => {
    const row =
      `${pad('PJSIP/100-0000001a', 20)} ${pad('from-internal', 20)} ${pad('102', 16)}    1 ${pad('Ring', 7)} ` +
      `${pad('Dial', 12)} ${pad('PJSIP/102', 25)} ${pad('100', 15)} 00:00:03 ${pad('', 11)} ${pad('', 11)} ${pad('', 20)}\n`;
    const r = parseCoreShowChannelsVerbose(`${row}1 active channel\n1 active call\n12 calls processed\n`, {
      dialect: 16,
    });
    expect(r.bridgeColumn).toBe('BridgeID');
    expect(r.channels).toEqual([
      {
        channel: 'PJSIP/100-0000001a',
        context: 'from-internal',
        extension: '102',
        priority: 1,
        state: 'Ring',
        application: 'Dial',
        data: 'PJSIP/102',
        callerId: '100',
        durationSec: 3,
        accountCode: '',
        peerAccount: '',
        bridgedTo: '',
        bridgeId: '',
        truncated: [],
      },
    ]);
    expect([r.activeChannels, r.activeCalls, r.callsProcessed]).toEqual([1, 1, 12]);
  });

  it('columns come from the header, so a wider Channel column (newer versions, §16) parses', () => {
    const header =
      `${pad('Channel', 64)} ${pad('Context', 20)} ${pad('Extension', 16)} Prio ${pad('State', 7)} ` +
      `${pad('Application', 12)} ${pad('Data', 25)} ${pad('CallerID', 15)} Duration ${pad('Accountcode', 11)} ` +
      `${pad('PeerAccount', 11)} ${pad('BridgeID', 20)}`;
    const long = 'PJSIP/a-really-long-endpoint-name-from-a-provisioning-system-000000';
    const row =
      `${pad(long, 64)} ${pad('from-internal', 20)} ${pad('s', 16)}   52 ${pad('Up', 7)} ${pad('Dial', 12)} ` +
      `${pad('', 25)} ${pad('', 15)} 00:10:00 ${pad('', 11)} ${pad('', 11)} ${pad('', 20)}`;
    const r = parseCoreShowChannelsVerbose(`${header}\n${row}\n`);
    expect(r.channels[0]).toMatchObject({
      channel: long.slice(0, 64),
      context: 'from-internal',
      priority: 52,
      durationSec: 600,
      data: '',
      truncated: ['Channel'],
    });
  });

  it('empty and garbage input give empty results, not exceptions', () => {
    expect(parseCoreShowChannelsVerbose('')).toEqual({
      channels: [],
      bridgeColumn: 'BridgedTo',
      activeChannels: null,
      activeCalls: null,
      maxCalls: null,
      callsProcessed: null,
    });
    expect(parseCoreShowChannelsConcise('no such thing\n\n!!!\n')).toEqual([]);
    expect(parseSipShowPeers('').peers).toEqual([]);
  });

  it('parseHms accepts hours beyond 99 and rejects `-`', () => {
    expect(parseHms('123:04:05')).toBe(123 * 3600 + 245);
    expect(parseHms('-')).toBeNull();
  });
});

describe('core show channels concise', () => {
  it('a `!` inside the application data stays in the data field (14 fields otherwise)', () => {
    const [c] = parseCoreShowChannelsConcise(
      'SIP/1-00000001!ctx!s!1!Up!Playback!a!b!c!100!!!3!7!(None)!1.1\n',
      { dialect: '11' },
    );
    expect(c).toMatchObject({
      application: 'Playback',
      data: 'a!b!c',
      callerId: '100',
      amaFlags: 3,
      durationSec: 7,
      bridgedTo: '',
      uniqueid: '1.1',
    });
  });
});

describe('sip show peers', () => {
  it('rows without a header default to the 11.8+ layout', () => {
    const line =
      `${pad('200', 25)} ${pad('10.0.0.2', 39)}  D  ${pad('No', 10)} ${pad('No', 10)}     ${pad('5060', 8)} ` +
      `${pad('OK (3 ms)', 11)} ${pad('Lobby', 32)} \n`;
    const r = parseSipShowPeers(line);
    expect(r.variant).toBe('11.8');
    expect(r.peers[0]).toMatchObject({
      name: '200',
      host: '10.0.0.2',
      port: 5060,
      status: 'ok',
      latencyMs: 3,
      description: 'Lobby',
      acl: false,
    });
    expect(r.summary).toBeNull();
  });
});

describe.each(['1.8', '11', '13', '16'] as const)(
  'simulator CLI text parses back to its model, dialect %s',
  (dialect) => {
    it('sip show peers (chan_sip dialects) and core show channels verbose/concise mid-call', async () => {
      let sim: AmiSimulator | undefined;
      try {
        sim = await startAmiSimulator({ dialect, speed: 0 });
        const c = await login(sim.port);
        const cli = async (cmd: string) => {
          c.action(['Action: Command', `Command: ${cmd}`]);
          const r = await c.readUntil('\r\n\r\n');
          if (dialect === '16')
            return r
              .split('\r\n')
              .filter((l) => l.startsWith('Output: '))
              .map((l) => `${l.slice(8)}\n`)
              .join('');
          return r.slice(r.indexOf('Privilege: Command\r\n') + 20, r.indexOf('--END COMMAND--'));
        };
        if (dialect !== '16') {
          const peers = parseSipShowPeers(await cli('sip show peers'));
          expect(peers.peers.map((p) => p.name)).toEqual(sim.peers.map((p) => p.name).sort());
          expect(peers.summary?.total).toBe(sim.peers.length);
          const p100 = peers.peers.find((p) => p.name === '100')!;
          expect(p100).toMatchObject({
            username: '100',
            host: '192.168.1.50',
            port: 5060,
            status: 'ok',
            latencyMs: 12,
          });
        }
        const k = sim.calls;
        const a = k.newChannel({
          peer: '100',
          callerNum: '100',
          callerName: 'Alice',
          context: 'from-internal',
          exten: '102',
        });
        const b = k.newChannel({
          peer: '102',
          callerNum: '102',
          callerName: 'Carol',
          context: 'from-internal',
          exten: '',
          linkedTo: a,
        });
        k.setState(b, 6);
        k.setState(a, 6);
        k.exec(a, 'macro-dial-one', 's', 52, 'Dial', 'SIP/102,,HhtrIb(func-apply-sipheaders^s^1)');
        const br = k.bridge(a, b);
        const v = parseCoreShowChannelsVerbose(await cli('core show channels verbose'), { dialect });
        expect(v.channels.map((x) => x.channel)).toEqual([a.name, b.name]);
        expect(v.activeChannels).toBe(2);
        expect(v.activeCalls).toBe(1);
        expect(v.channels[0]).toMatchObject({
          context: 'macro-dial-one',
          extension: 's',
          priority: 52,
          state: 'Up',
          application: 'Dial',
          callerId: '100',
          truncated: ['Data', ...(dialect === '13' || dialect === '16' ? ['BridgeID'] : [])],
        });
        if (dialect === '1.8' || dialect === '11') expect(v.channels[0]!.bridgedTo).toBe(b.name);
        else expect(br.id.startsWith(v.channels[0]!.bridgeId)).toBe(true);
        const cc = parseCoreShowChannelsConcise(await cli('core show channels concise'), { dialect });
        expect(cc.map((x) => x.uniqueid)).toEqual([a.uniqueid, b.uniqueid]);
        expect(cc[0]!.data).toBe('SIP/102,,HhtrIb(func-apply-sipheaders^s^1)');
        c.close();
      } finally {
        await sim?.close();
      }
    });
  },
);

describe('robustness', () => {
  it('random mixtures of real lines, cut lines and junk never throw and yield at most one row per line', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pool = [
      'Channel              Context              Extension        Prio State   Application  Data                      CallerID        Duration Accountcode PeerAccount BridgedTo           ',
      'Name/username             Host                                    Dyn Forcerport Comedia    ACL Port     Status      Description                      ',
      '100/100                   192.168.1.50                             D  Yes        Yes         A  5060     OK (12 ms)                                   ',
      'SIP/100-00000007!macro-dial-one!s!52!Up!Dial!SIP/101!100!!!3!42!(None)!1.2',
      '2 sip peers [Monitored: 1 online, 1 offline Unmonitored: 0 online, 0 offline]',
      '1 active channel',
      '3 of 10 max active calls (30.00% of capacity)',
      '\u0000\u00ff\ufffd',
      '',
    ];
    for (let i = 0; i < 500; i++) {
      const lines: string[] = [];
      for (let j = rnd(12); j > 0; j--) {
        const l = pool[rnd(pool.length)]!;
        lines.push(rnd(3) === 0 ? l.slice(0, rnd(l.length + 1)) : l);
      }
      const text = lines.join(rnd(2) ? '\n' : '\r\n');
      const v = parseCoreShowChannelsVerbose(text);
      const cc = parseCoreShowChannelsConcise(text);
      const sp = parseSipShowPeers(text);
      expect(v.channels.length).toBeLessThanOrEqual(lines.length);
      expect(cc.length).toBeLessThanOrEqual(lines.length);
      expect(sp.peers.length).toBeLessThanOrEqual(lines.length);
      for (const row of cc) expect(row.uniqueid).toBeDefined();
    }
  });
});
