import type { Logger } from '../core/log';
import type { Module, ModuleContext } from '../core/module';
import type { AmiMessage } from '../pbx/ami/types';
import { fitToBudget } from './fit';
import {
  applyPeerStatus,
  defaultIsTrunk,
  type Peer,
  type PeerStatusChange,
  peerFromEndpointList,
  peerFromPeerEntry,
} from './peer-model';
import { SnapshotThrottle } from './snapshot-throttle';

export interface PeerStateOptions {
  /** Which peers are trunks (default: non-numeric names). */
  isTrunk?: (name: string) => boolean;
  /** Minimum interval between two state/peers snapshots. */
  snapshotIntervalMs?: number;
  /** Byte budget of the snapshot's data (the message limit minus the envelope). */
  snapshotBudgetBytes?: number;
}

/**
 * Live SIP/PJSIP peers: loaded with SIPpeers and/or PJSIPShowEndpoints after every AMI (re)login
 * (detect, don't assume — reference §16), kept current by PeerStatus events, published as the
 * retained state/peers snapshot and as peer.status events the moment they happen.
 */
export class PeerState implements Module {
  readonly name = 'peers';
  private readonly peers = new Map<string, Peer>();
  private readonly isTrunk: (name: string) => boolean;
  private readonly intervalMs: number;
  private readonly budget: number;
  private ctx: ModuleContext | undefined;
  private log: Logger | undefined;
  private throttle: SnapshotThrottle | undefined;
  private unsubscribe: Array<() => void> = [];
  private loaded = false;
  private generation = 0;

  constructor(opts: PeerStateOptions = {}) {
    this.isTrunk = opts.isTrunk ?? defaultIsTrunk;
    this.intervalMs = opts.snapshotIntervalMs ?? 1000;
    this.budget = opts.snapshotBudgetBytes ?? 90_000;
  }

  start(ctx: ModuleContext): void {
    this.ctx = ctx;
    this.log = ctx.log;
    this.throttle = new SnapshotThrottle(ctx.clock, this.intervalMs, () => this.publishSnapshot());
    this.unsubscribe.push(
      ctx.ami.onEvent(['PeerStatus'], (m) => this.onPeerStatus(m)),
      ctx.ami.onStatus((s) => {
        if (s.resynced) void this.reload();
      }),
    );
    ctx.bus.on(this.name, 'refresh.request', () => this.throttle?.flush());
    if (ctx.ami.state === 'connected' && ctx.ami.dialect) void this.reload();
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.ctx?.bus.removeOwner(this.name);
    this.throttle?.stop();
  }

  /** Current peers, sorted by name. */
  list(): Peer[] {
    return [...this.peers.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
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
    this.throttle?.flush();
  }

  private put(map: Map<string, Peer>, p: Peer): void {
    map.set(`${p.channel_type}/${p.name}`, p);
  }

  private onPeerStatus(m: AmiMessage): void {
    const tech = (m.headers.channeltype ?? '').toUpperCase() === 'PJSIP' ? 'PJSIP' : 'SIP';
    const name = (m.headers.peer ?? '').replace(/^[^/]*\//, '');
    const key = `${tech}/${name}`;
    const r = applyPeerStatus(this.peers.get(key), m, this.isTrunk);
    if (!r) return;
    this.peers.set(key, r.peer);
    this.announce(r.change);
    this.throttle?.touch();
  }

  private announce(change: PeerStatusChange): void {
    this.ctx?.publisher.publishEvent('peer.status', change);
  }

  private publishSnapshot(): void {
    const all = this.list();
    const fit = fitToBudget(all, this.budget);
    this.ctx?.publisher.publishState('peers', {
      peers: fit.items,
      count: all.length,
      truncated: fit.truncated,
    });
  }
}
