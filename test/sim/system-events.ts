/** System-class events around reloads and shutdown (§5.7). */
import type { SimEvent } from './events';
import type { PeerSpec } from './model';
import type { DialectProfile } from './profiles';

/** What triggered a reload: a CLI `module reload`, chan_sip's own `sip reload`, or AMI `Action: Reload`. */
export type ReloadVia = 'cli' | 'sip-cli' | 'manager';

/**
 * Events a reload emits. 1.8/11: per-subsystem `Reload` events (Manager, CDR — texts from §5.7) and chan_sip's
 * `ChannelReload`; `sip reload` gives reason `CLIRELOAD (…)` — that parenthetical text is UNCONFIRMED.
 * 12+: one `Reload` with `Module` and numeric `Status` (0 = success); field order UNCONFIRMED (§5.7, §13).
 */
export function reloadEvents(
  p: DialectProfile,
  module: string,
  via: ReloadVia,
  peers: readonly PeerSpec[],
): SimEvent[] {
  const all = module === 'All';
  const sip = all || module.toLowerCase().startsWith('chan_sip');
  if (p.channelEvents === 'stasis') {
    return [
      {
        name: 'Reload',
        cls: 'system',
        body: [
          ['Module', all ? 'All' : module.replace(/\.so$/, '')],
          ['Status', '0'],
        ],
      },
    ];
  }
  const out: SimEvent[] = [];
  if (all) {
    out.push({
      name: 'Reload',
      cls: 'system',
      body: [
        ['Module', 'Manager'],
        ['Status', 'Enabled'],
        ['Message', 'Manager reload Requested'],
      ],
    });
    out.push({
      name: 'Reload',
      cls: 'system',
      body: [
        ['Module', 'CDR'],
        ['Message', 'CDR subsystem reload requested'],
      ],
    });
  }
  if (sip && p.chanSip) {
    const reason =
      via === 'sip-cli'
        ? 'CLIRELOAD (Channel module reload by CLI command)'
        : 'RELOAD (Channel module reload)';
    out.push({
      name: 'ChannelReload',
      cls: 'system',
      body: [
        ['ChannelType', 'SIP'],
        ['ReloadReason', reason],
        ['Registry_Count', '0'],
        ['Peer_Count', String(peers.filter((x) => x.type !== 'user').length)],
      ],
    });
  }
  return out;
}

/** `Shutdown` (§5.7): Uncleanly when channels were active. */
export function shutdownEvent(activeChannels: number, restart: boolean): SimEvent {
  return {
    name: 'Shutdown',
    cls: 'system',
    body: [
      ['Shutdown', activeChannels > 0 ? 'Uncleanly' : 'Cleanly'],
      ['Restart', restart ? 'True' : 'False'],
    ],
  };
}
