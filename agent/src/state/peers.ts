import type { AmiMessage } from '../pbx/ami/types';
import { LiveState, type LiveStateOptions } from './live-state';
import {
  applyPeerStatus,
  comparePeerNames,
  defaultIsTrunk,
  type Peer,
  type PeerStatusChange,
  peerFromEndpointList,
  peerFromPeerEntry,
  peerNameOf,
} from './peer-model';

export interface PeerStateOptions extends LiveStateOptions {
  /** Which peers are trunks (default: non-numeric names). */
  isTrunk?: (name: string) => boolean;
}

/**
 * Live SIP/PJSIP peers: loaded with SIPpeers and/or PJSIPShowEndpoints after every AMI (re)login
 * (detect, don't assume — reference §16), kept current by PeerStatus events, published as the
 * retained state/peers snapshot and as peer.status events the moment they happen.
 */
export class PeerState extends LiveState<Peer> {
  readonly name = 'peers';
  private readonly peers = new Map<string, Peer>();
  private readonly isTrunk: (name: string) => boolean;
  private loaded = false;
  private generation = 0;

  constructor(opts: PeerStateOptions = {}) {
    super('peers', 'peers', opts);
    this.isTrunk = opts.isTrunk ?? defaultIsTrunk;
  }

  protected subscriptions(): Record<string, (m: AmiMessage) => void> {
    return { PeerStatus: (m) => this.onPeerStatus(m) };
  }

  /** Current peers, sorted by name. */
  list(): Peer[] {
    return [...this.peers.values()].sort((a, b) => comparePeerNames(a.name, b.name));
  }

  /** Reads every peer again and replaces the table; differences with the previous table are
   * announced as peer.status changes (transitions missed while AMI was away). */
  async reload(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    const gen = ++this.generation;
    const dialect = ctx.ami.dialect;
    const fresh = new Map<string, Peer>();
    try {
      if (!dialect || dialect.chanSip) {
        const r = await ctx.ami.list('SIPpeers');
        if (r.response.name === 'Success') {
          for (const e of r.events)
            if (e.name === 'PeerEntry') this.put(fresh, peerFromPeerEntry(e, this.isTrunk));
        }
      }
      if (dialect?.pjsip) {
        const r = await ctx.ami.list('PJSIPShowEndpoints');
        if (r.response.name === 'Success') {
          for (const e of r.events)
            if (e.name === 'EndpointList') this.put(fresh, peerFromEndpointList(e, this.isTrunk));
        }
      }
    } catch (err) {
      this.log?.warn({ err }, 'peer list failed; keeping the previous table');
      return;
    }
    if (gen !== this.generation) return;
    const firstLoad = !this.loaded;
    this.loaded = true;
    for (const [key, peer] of fresh) {
      const prev = this.peers.get(key);
      if (!firstLoad && (!prev || prev.status !== peer.status)) {
        this.announce({
          name: peer.name,
          channel_type: peer.channel_type,
          status: peer.status,
          previous_status: prev?.status ?? null,
          latency_ms: peer.latency_ms,
          address: peer.ip_address,
          cause: null,
          raw_status: 'Resynced',
        });
      }
    }
    this.peers.clear();
    for (const [k, v] of fresh) this.peers.set(k, v);
    this.log?.info({ peers: this.peers.size }, 'peers loaded');
    this.publishNow();
  }

  private put(map: Map<string, Peer>, p: Peer): void {
    map.set(`${p.channel_type}/${p.name}`, p);
  }

  private onPeerStatus(m: AmiMessage): void {
    const { tech, name } = peerNameOf(m.headers.peer ?? '');
    const key = `${tech}/${name}`;
    const r = applyPeerStatus(this.peers.get(key), m, this.isTrunk);
    if (!r) return;
    this.peers.set(key, r.peer);
    this.announce(r.change);
    this.changed();
  }

  private announce(change: PeerStatusChange): void {
    this.ctx?.publisher.publishEvent('peer.status', change);
  }
}
