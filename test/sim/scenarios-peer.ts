/** Peer scenarios: register, unregister, unreachable, lagged — chan_sip PeerStatus (§5.6) or PJSIP (§16). */

import type { PeerSpec } from './model';
import { contactStatus, pjsipPeerStatus, sipPeerStatus } from './peer-events';
import { pause, peerNamed, type ScenarioHost, type ScenarioOptions } from './scenario-host';

export type PeerScenario = 'peer-register' | 'peer-unregister' | 'peer-unreachable' | 'peer-lagged';

function pick(h: ScenarioHost, opts: ScenarioOptions, want: (p: PeerSpec) => boolean): PeerSpec {
  if (opts.peer) return peerNamed(h.state, opts.peer);
  const p = h.state.peers.find((x) => !x.trunk && want(x)) ?? h.state.peers.find((x) => !x.trunk);
  if (!p) throw new Error('simulator has no extension peer');
  return p;
}

/** Runs one peer scenario; the model (SIPpeers, `sip show peers`, endpoints) changes before the event. */
export async function runPeerScenario(
  h: ScenarioHost,
  name: PeerScenario,
  opts: ScenarioOptions,
): Promise<void> {
  const speed = opts.speed ?? h.speed;
  const sip = h.state.profile.chanSip;
  const p = h.state.profile;
  switch (name) {
    case 'peer-register': {
      const x = pick(h, opts, (q) => q.ip === undefined);
      x.ip = x.ip ?? '192.168.1.61';
      x.port = x.port || 5060;
      x.username = x.username ?? x.name;
      if (sip) {
        x.status = 'unknown';
        h.emit(sipPeerStatus(p, x, 'Registered'));
        await pause(200, speed);
        x.status = 'ok';
        x.latencyMs = 15;
        h.emit(sipPeerStatus(p, x, 'Reachable', 15));
      } else {
        h.emit(contactStatus(x, 'Created'));
        await pause(200, speed);
        x.status = 'ok';
        x.latencyMs = 15;
        h.emit(contactStatus(x, 'Reachable'));
        h.emit(pjsipPeerStatus(x, 'Reachable'));
      }
      return;
    }
    case 'peer-unregister': {
      const x = pick(h, opts, (q) => q.ip !== undefined);
      const before = { ...x };
      x.ip = undefined;
      x.port = 0;
      x.status = 'unknown';
      // Registration expiry and an explicit unregister both say `Cause: Expired` (§5.6).
      if (sip) h.emit(sipPeerStatus(p, x, 'Unregistered'));
      else {
        h.emit(contactStatus(before, 'Removed'));
        x.status = 'unreachable';
        h.emit(pjsipPeerStatus(x, 'Unreachable'));
      }
      return;
    }
    case 'peer-unreachable': {
      const x = pick(h, opts, (q) => q.ip !== undefined && q.status === 'ok');
      x.status = 'unreachable';
      if (sip) h.emit(sipPeerStatus(p, x, 'Unreachable'));
      else {
        h.emit(contactStatus(x, 'Unreachable'));
        h.emit(pjsipPeerStatus(x, 'Unreachable'));
      }
      return;
    }
    case 'peer-lagged': {
      const x = pick(h, opts, (q) => q.ip !== undefined && q.status === 'ok');
      x.latencyMs = 2500;
      if (sip) {
        x.status = 'lagged';
        h.emit(sipPeerStatus(p, x, 'Lagged', 2500));
      } else {
        // PJSIP has no Lagged state: only the contact's round trip changes (§16).
        x.status = 'ok';
        h.emit(contactStatus(x, 'Reachable'));
      }
      return;
    }
  }
}
