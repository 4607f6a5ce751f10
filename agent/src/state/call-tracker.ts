import type { AmiMessage } from '../pbx/ami/types';
import {
  type CallDirection,
  type CallEnd,
  type CallState,
  type CallView,
  CHANNEL_STATES,
  type ChannelView,
  channelPeer,
  cid,
  dialNumber,
  endOf,
  localBase,
  looksInbound,
  looksOutbound,
  parseHms,
} from './call-model';

type Headers = Readonly<Record<string, string>>;

/** What the tracker announces; the calls module turns these into MQTT events. */
export type CallChange =
  | { type: 'call.started'; call: CallView }
  | { type: 'call.updated'; call: CallView; change: string }
  | { type: 'call.ended'; call: CallView; end: CallEnd };

interface Chan {
  view: ChannelView;
  callId: string | undefined;
  createdAt: number;
  everUp: boolean;
}

interface Call {
  id: string;
  channels: Set<string>;
  originUid: string;
  startedAt: number;
  answeredAt: number | null;
  pbxAnswered: boolean;
  direction: CallDirection;
  fromNum: string | null;
  fromName: string | null;
  toNum: string | null;
  toName: string | null;
  onHold: Set<string>;
  transferred: boolean;
  dialStatus: string | null;
  firstHangup: { uid: string; cause: number | null; text: string | null } | null;
  originCause: { cause: number | null; text: string | null } | null;
  /** call.started was sent. Calls made only of Local halves (1.8/11) wait for a real channel. */
  announced: boolean;
}

/**
 * Correlates AMI channel events into calls, for every dialect: Linkedid on 12+ (13.5+ prints it),
 * the Dial/Bridge/Local-pair/AgentCalled relations on 1.8/11, which have no Linkedid (reference §5).
 * On 1.8/11 a new channel stays unassigned until it rings, is dialled or is bridged, so a dialled
 * leg never shows up as a call of its own.
 */
export class CallTracker {
  private readonly chans = new Map<string, Chan>();
  private readonly byName = new Map<string, string>();
  private readonly calls = new Map<string, Call>();
  private readonly bridges = new Map<string, Set<string>>();
  /** Set while resync regroups channels: announcements are decided once at its end. */
  private quiet = false;

  constructor(
    private readonly isTrunk: (peer: string) => boolean,
    private readonly now: () => number,
    private readonly emit: (c: CallChange) => void,
  ) {}

  /** Live calls, oldest first. */
  list(): CallView[] {
    return [...this.calls.values()].sort((a, b) => a.startedAt - b.startedAt).map((c) => this.view(c));
  }

  get size(): number {
    return this.calls.size;
  }

  /** The AMI events this tracker needs (the client may skip the others cheaply). */
  static readonly EVENTS = [
    'Newchannel',
    'Newstate',
    'Hangup',
    'Dial',
    'DialBegin',
    'DialEnd',
    'Bridge',
    'BridgeEnter',
    'BridgeLeave',
    'BridgeDestroy',
    'Hold',
    'Unhold',
    'AttendedTransfer',
    'BlindTransfer',
    'Transfer',
    'Rename',
    'NewCallerid',
    'NewConnectedLine',
    'AgentCalled',
    'AgentConnect',
  ] as const;

  /** Applies one AMI event. */
  apply(m: AmiMessage): void {
    this.handlers[m.name]?.(m.headers);
  }

  /** One handler per AMI event name; field names differ by dialect only in case (headers are lower-cased). */
  private readonly handlers: Record<string, (h: Headers) => void> = {
    Newchannel: (h) => this.onNewchannel(h),
    Newstate: (h) => this.onNewstate(h),
    Hangup: (h) => this.onHangup(h),
    // 1.8/11: `Dial` with SubEvent Begin/End (reference §5.3).
    Dial: (h) => {
      const sub = (h.subevent ?? '').toLowerCase();
      if (sub === 'begin') this.onDialBegin(h.uniqueid, h.destuniqueid, h.destination, h.dialstring);
      else if (sub === 'end') this.onDialEnd(h.uniqueid, h.dialstatus);
    },
    DialBegin: (h) => this.onDialBegin(h.uniqueid, h.destuniqueid, h.destchannel, h.dialstring),
    DialEnd: (h) => this.onDialEnd(h.uniqueid ?? h.destuniqueid, h.dialstatus, h.destuniqueid),
    Bridge: (h) => this.onBridge1x(h),
    BridgeEnter: (h) => this.onBridgeEnter(h),
    BridgeLeave: (h) => this.onBridgeLeave(h),
    BridgeDestroy: (h) => {
      if (h.bridgeuniqueid) this.bridges.delete(h.bridgeuniqueid);
    },
    // 12+: Hold/Unhold events; 1.8/11 chan_sip: `Hold` with `Status: On|Off`.
    Hold: (h) => this.onHold(h.uniqueid, (h.status ?? 'On').toLowerCase() !== 'off'),
    Unhold: (h) => this.onHold(h.uniqueid, false),
    AttendedTransfer: (h) => this.onTransfer(h),
    BlindTransfer: (h) => this.onTransfer(h),
    Transfer: (h) => this.onTransfer(h),
    Rename: (h) => this.onRename(h),
    NewCallerid: (h) => this.onCallerId(h),
    NewConnectedLine: (h) => this.onCallerId(h),
    // 1.8/11 app_queue: Uniqueid of the caller, DestinationChannel of the agent leg.
    AgentCalled: (h) => this.attachByName(h.uniqueid, h.destinationchannel),
    Newexten: (h) => this.onNewexten(h),
  };

  /** Rebuilds every call from a CoreShowChannels listing (after an AMI reconnect). Calls that are
   * gone end (reason `unknown` unless answered), new ones start, surviving ones keep their identity. */
  resync(items: readonly AmiMessage[]): void {
    const previous = new Map(this.calls);
    const previousChans = new Map(this.chans);
    this.calls.clear();
    this.chans.clear();
    this.byName.clear();
    this.bridges.clear();
    this.quiet = true;
    const now = this.now();
    for (const it of items) {
      const h = it.headers;
      const uid = h.uniqueid;
      if (!uid || !h.channel) continue;
      const dur = parseHms(h.duration);
      const chan = this.newChan(h, dur !== null ? now - dur * 1000 : now);
      chan.view.application = nz(h.application);
      chan.view.application_data = nz(h.applicationdata);
      chan.view.duration_s = dur;
      chan.view.bridged_channel = nz(h.bridgedchannel);
      chan.view.bridge_id = nz(h.bridgeid);
      chan.everUp = chan.view.state_code === 6;
      this.chans.set(uid, chan);
      this.byName.set(chan.view.channel, uid);
    }
    // Group: Linkedid (13.5+), else bridged pairs and Local halves (1.8/11).
    const sorted = [...this.chans.values()].sort((a, b) => a.createdAt - b.createdAt);
    for (const c of sorted) {
      const h = c.view;
      let target: string | undefined;
      if (h.linkedid && h.linkedid !== h.uniqueid && this.chans.get(h.linkedid)?.callId)
        target = this.chans.get(h.linkedid)!.callId;
      const bridgedUid = h.bridged_channel ? this.byName.get(h.bridged_channel) : undefined;
      if (!target && bridgedUid) target = this.chans.get(bridgedUid)?.callId;
      const base = localBase(h.channel);
      if (!target && base) {
        const other = this.byName.get(`${base};${h.channel.endsWith(';1') ? '2' : '1'}`);
        if (other) target = this.chans.get(other)?.callId;
      }
      if (!target && h.bridge_id) {
        for (const o of this.chans.values())
          if (o !== c && o.view.bridge_id === h.bridge_id && o.callId) target = o.callId;
      }
      if (target) this.join(this.calls.get(target)!, h.uniqueid);
      else {
        const prevCall = [...previous.values()].find((p) => p.channels.has(h.uniqueid));
        const call = this.createCall(h.uniqueid, h.linkedid ?? prevCall?.id ?? h.uniqueid, false);
        if (prevCall)
          Object.assign(call, {
            startedAt: prevCall.startedAt,
            answeredAt: prevCall.answeredAt,
            direction: prevCall.direction,
          });
      }
      if (h.bridge_id) {
        let set = this.bridges.get(h.bridge_id);
        if (!set) {
          set = new Set();
          this.bridges.set(h.bridge_id, set);
        }
        set.add(h.uniqueid);
      }
    }
    this.quiet = false;
    for (const call of this.calls.values()) {
      const members = [...call.channels].map((u) => this.chans.get(u)!);
      if (
        call.answeredAt === null &&
        members.length > 1 &&
        members.some((m) => m.view.bridged_channel || m.view.bridge_id)
      )
        call.answeredAt = now;
      if (previous.get(call.id)?.announced) call.announced = true;
      else this.announce(call);
    }
    for (const [id, old] of previous) {
      if (this.calls.has(id)) continue;
      old.channels.clear();
      this.emit({
        type: 'call.ended',
        call: this.view(old, previousChans, true),
        end: {
          reason: old.answeredAt !== null ? 'completed' : 'unknown',
          q850_code: null,
          q850_text: null,
          dial_status: old.dialStatus,
          hangup_by: null,
        },
      });
    }
  }

  /** Refreshes application, data and bridge of known channels from a CoreShowChannels listing
   * without regrouping (calls.list wants the seed's application/data, which live events omit:
   * Newexten is dialplan noise the agent does not subscribe to). */
  refreshDetails(items: readonly AmiMessage[]): void {
    for (const it of items) {
      const chan = this.chans.get(it.headers.uniqueid ?? '');
      if (!chan) continue;
      const h = it.headers;
      chan.view.application = nz(h.application);
      chan.view.application_data = nz(h.applicationdata);
      if (h.context) chan.view.context = h.context;
      if (h.exten ?? h.extension) chan.view.exten = (h.exten ?? h.extension)!;
      if (h.priority) chan.view.priority = Number(h.priority);
      if (h.bridgedchannel !== undefined) chan.view.bridged_channel = nz(h.bridgedchannel);
    }
  }

  // ---- events -------------------------------------------------------------------------------

  private onNewchannel(h: Headers): void {
    const uid = h.uniqueid;
    if (!uid || !h.channel || this.chans.has(uid)) return;
    const chan = this.newChan(h, this.now());
    this.chans.set(uid, chan);
    this.byName.set(chan.view.channel, uid);
    const linked = chan.view.linkedid;
    if (linked && linked !== uid) {
      const call = this.calls.get(linked) ?? this.createCall(uid, linked, true);
      this.join(call, uid);
      return;
    }
    if (linked === uid) {
      this.createCall(uid, uid, true);
      return;
    }
    // 1.8/11: the second half of a Local pair belongs with the first (reference §4.3 names).
    const base = localBase(chan.view.channel);
    if (base && chan.view.channel.endsWith(';2')) {
      const first = this.chans.get(this.byName.get(`${base};1`) ?? '');
      if (first?.callId) {
        this.join(this.calls.get(first.callId)!, uid);
        return;
      }
    }
    // A channel that already rings (inbound SIP often starts in Ring) is a call; others wait.
    if ((chan.view.state_code ?? 0) >= 4 && !base) this.createCall(uid, uid, true);
  }

  private onNewstate(h: Headers): void {
    const chan = this.chans.get(h.uniqueid ?? '');
    if (!chan) {
      this.onNewchannel(h);
      return;
    }
    this.updateChannelBlock(chan, h);
    if (!chan.callId) {
      const base = localBase(chan.view.channel);
      const partner = base
        ? this.chans.get(this.byName.get(`${base};${chan.view.channel.endsWith(';1') ? '2' : '1'}`) ?? '')
        : undefined;
      if (partner?.callId) this.join(this.calls.get(partner.callId)!, chan.view.uniqueid);
      else this.createCall(chan.view.uniqueid, chan.view.uniqueid, true);
      return;
    }
    const call = this.calls.get(chan.callId);
    if (!call || chan.view.state_code !== 6) return;
    chan.everUp = true;
    if (chan.view.uniqueid === call.originUid) call.pbxAnswered = true;
    else if (call.answeredAt === null && !localBase(chan.view.channel)) this.markAnswered(call);
  }

  private onHangup(h: Headers): void {
    const uid = h.uniqueid ?? '';
    const chan = this.chans.get(uid);
    if (!chan) return;
    this.chans.delete(uid);
    if (this.byName.get(chan.view.channel) === uid) this.byName.delete(chan.view.channel);
    if (chan.view.bridge_id) this.bridges.get(chan.view.bridge_id)?.delete(uid);
    const call = chan.callId ? this.calls.get(chan.callId) : undefined;
    if (!call) return;
    const cause = h.cause !== undefined && h.cause !== '' ? Number(h.cause) : null;
    const text = h['cause-txt'] ?? null;
    if (!call.firstHangup) call.firstHangup = { uid, cause, text };
    if (uid === call.originUid) call.originCause = { cause, text };
    call.channels.delete(uid);
    call.onHold.delete(uid);
    if (call.channels.size > 0) return;
    this.calls.delete(call.id);
    const pick = call.originCause ?? call.firstHangup;
    const end = endOf({
      answered: call.answeredAt !== null,
      pbxAnswered: call.pbxAnswered,
      dialStatus: call.dialStatus,
      cause: pick?.cause ?? null,
      causeText: pick?.text ?? null,
      hangupBy: call.firstHangup ? (call.firstHangup.uid === call.originUid ? 'caller' : 'callee') : null,
    });
    if (!call.announced) return;
    const view = this.view(call, new Map([[uid, chan]]), true);
    this.emit({ type: 'call.ended', call: view, end });
  }

  private onDialBegin(
    callerUid: string | undefined,
    destUid: string | undefined,
    destName: string | undefined,
    dialString: string | undefined,
  ): void {
    let call: Call | undefined;
    const caller = callerUid ? this.chans.get(callerUid) : undefined;
    if (caller) {
      if (!caller.callId)
        this.createCall(caller.view.uniqueid, caller.view.linkedid ?? caller.view.uniqueid, true);
      call = this.calls.get(caller.callId!);
    }
    const dest = destUid
      ? this.chans.get(destUid)
      : destName
        ? this.chans.get(this.byName.get(destName) ?? '')
        : undefined;
    if (!call && dest?.callId) call = this.calls.get(dest.callId);
    if (!call) return;
    if (dest && dest.callId !== call.id) {
      if (dest.callId) this.merge(call, this.calls.get(dest.callId)!, false);
      else this.join(call, dest.view.uniqueid);
    }
    const ds = dialString && dialString !== 'unknown' ? dialString : null;
    let changed = false;
    if (call.direction === 'unknown' || call.direction === 'internal') {
      const outbound = looksOutbound(dest?.view.channel ?? destName ?? null, ds, this.isTrunk);
      const dir: CallDirection = outbound
        ? 'outbound'
        : dest && !localBase(dest.view.channel)
          ? 'internal'
          : call.direction;
      if (dir !== call.direction) {
        call.direction = dir;
        changed = true;
      }
    }
    if (call.toNum === null) {
      call.toNum = dialNumber(ds);
      changed ||= call.toNum !== null;
    }
    if (changed) this.update(call, 'dial');
  }

  private onDialEnd(callerUid: string | undefined, status: string | undefined, destUid?: string): void {
    const chan = this.chans.get(callerUid ?? '') ?? this.chans.get(destUid ?? '');
    const call = chan?.callId ? this.calls.get(chan.callId) : undefined;
    if (!call || !status) return;
    // With several legs (ring groups, queues) a later ANSWER must win over earlier CANCELs.
    if (call.dialStatus !== 'ANSWER') call.dialStatus = status.toUpperCase();
    if (status.toUpperCase() === 'ANSWER' && call.answeredAt === null) this.markAnswered(call);
  }

  private onBridge1x(h: Headers): void {
    const a = this.chans.get(h.uniqueid1 ?? '');
    const b = this.chans.get(h.uniqueid2 ?? '');
    if (!a || !b) return;
    if ((h.bridgestate ?? '').toLowerCase() === 'unlink') {
      a.view.bridged_channel = null;
      b.view.bridged_channel = null;
      return;
    }
    a.view.bridged_channel = b.view.channel;
    b.view.bridged_channel = a.view.channel;
    const call = this.link(a, b);
    if (call && call.answeredAt === null) this.markAnswered(call);
  }

  private onBridgeEnter(h: Headers): void {
    const chan = this.chans.get(h.uniqueid ?? '');
    const id = h.bridgeuniqueid;
    if (!chan || !id) return;
    let members = this.bridges.get(id);
    if (!members) {
      members = new Set();
      this.bridges.set(id, members);
    }
    members.add(chan.view.uniqueid);
    chan.view.bridge_id = id;
    const others = [...members]
      .filter((u) => u !== chan.view.uniqueid)
      .map((u) => this.chans.get(u))
      .filter((c): c is Chan => !!c);
    if (others.length === 0) return;
    if (others.length === 1) {
      chan.view.bridged_channel = others[0]!.view.channel;
      others[0]!.view.bridged_channel = chan.view.channel;
    }
    let call: Call | undefined;
    for (const o of others) call = this.link(o, chan) ?? call;
    if (call && call.answeredAt === null) this.markAnswered(call);
  }

  private onBridgeLeave(h: Headers): void {
    const chan = this.chans.get(h.uniqueid ?? '');
    if (!chan) return;
    const id = h.bridgeuniqueid ?? chan.view.bridge_id ?? '';
    this.bridges.get(id)?.delete(chan.view.uniqueid);
    for (const u of this.bridges.get(id) ?? []) {
      const o = this.chans.get(u);
      if (o?.view.bridged_channel === chan.view.channel) o.view.bridged_channel = null;
    }
    chan.view.bridge_id = null;
    chan.view.bridged_channel = null;
  }

  private onHold(uid: string | undefined, on: boolean): void {
    const chan = this.chans.get(uid ?? '');
    const call = chan?.callId ? this.calls.get(chan.callId) : undefined;
    if (!call) return;
    const before = call.onHold.size > 0;
    if (on) call.onHold.add(chan!.view.uniqueid);
    else call.onHold.delete(chan!.view.uniqueid);
    if (before !== call.onHold.size > 0) this.update(call, on ? 'hold' : 'unhold');
  }

  private onTransfer(h: Headers): void {
    const touched = new Set<Call>();
    for (const [k, v] of Object.entries(h)) {
      if (!k.endsWith('uniqueid') || !v) continue;
      const chan = this.chans.get(v);
      const call = chan?.callId ? this.calls.get(chan.callId) : undefined;
      if (call) touched.add(call);
    }
    for (const call of touched) {
      if (call.transferred) continue;
      call.transferred = true;
      this.update(call, 'transferred');
    }
  }

  private onRename(h: Headers): void {
    const chan = this.chans.get(h.uniqueid ?? '');
    if (!chan || !h.newname) return;
    this.byName.delete(chan.view.channel);
    chan.view.channel = h.newname;
    this.byName.set(h.newname, chan.view.uniqueid);
  }

  private onCallerId(h: Headers): void {
    const chan = this.chans.get(h.uniqueid ?? '');
    if (chan) this.updateChannelBlock(chan, h);
  }

  /** Joins the channel named `name` to the call of channel `uid` (queue agent legs on 1.8/11). */
  private attachByName(uid: string | undefined, name: string | undefined): void {
    const caller = this.chans.get(uid ?? '');
    const leg = this.chans.get(this.byName.get(name ?? '') ?? '');
    if (!caller || !leg || leg === caller) return;
    if (!caller.callId)
      this.createCall(caller.view.uniqueid, caller.view.linkedid ?? caller.view.uniqueid, true);
    const call = this.calls.get(caller.callId!)!;
    if (leg.callId && leg.callId !== call.id) this.merge(call, this.calls.get(leg.callId)!, false);
    else if (!leg.callId) this.join(call, leg.view.uniqueid);
    // The other half of a Local pair follows.
    const base = localBase(leg.view.channel);
    const partner = base ? this.chans.get(this.byName.get(`${base};2`) ?? '') : undefined;
    if (partner?.callId && partner.callId !== call.id)
      this.merge(call, this.calls.get(partner.callId)!, false);
    else if (partner && !partner.callId) this.join(call, partner.view.uniqueid);
  }

  private onNewexten(h: Headers): void {
    const chan = this.chans.get(h.uniqueid ?? '');
    if (!chan) return;
    if (h.application !== undefined) chan.view.application = nz(h.application);
    if (h.appdata !== undefined || h.applicationdata !== undefined)
      chan.view.application_data = nz(h.appdata ?? h.applicationdata);
    if (h.context) chan.view.context = h.context;
    if (h.extension ?? h.exten) chan.view.exten = (h.extension ?? h.exten)!;
  }

  // ---- helpers ------------------------------------------------------------------------------

  private newChan(h: Headers, createdAt: number): Chan {
    const code = h.channelstate !== undefined && h.channelstate !== '' ? Number(h.channelstate) : null;
    return {
      callId: undefined,
      createdAt,
      everUp: code === 6,
      view: {
        channel: h.channel!,
        uniqueid: h.uniqueid!,
        linkedid: nz(h.linkedid),
        state:
          h.channelstatedesc ?? (code !== null ? (CHANNEL_STATES[code] ?? `Unknown (${code})`) : 'Unknown'),
        state_code: code,
        application: null,
        application_data: null,
        caller_id_num: cid(h.calleridnum),
        caller_id_name: cid(h.calleridname),
        connected_line_num: cid(h.connectedlinenum),
        connected_line_name: cid(h.connectedlinename),
        context: nz(h.context),
        // CoreShowChannel on 1.8/11 says `Extension`, 12+ says `Exten` (reference §14 trap 2).
        exten: nz(h.exten ?? h.extension),
        priority: h.priority ? Number(h.priority) : null,
        account_code: nz(h.accountcode),
        duration_s: null,
        bridged_channel: null,
        bridge_id: null,
      },
    };
  }

  private updateChannelBlock(chan: Chan, h: Headers): void {
    const v = chan.view;
    if (h.channelstate !== undefined && h.channelstate !== '') {
      v.state_code = Number(h.channelstate);
      v.state = h.channelstatedesc ?? CHANNEL_STATES[v.state_code] ?? `Unknown (${v.state_code})`;
    }
    if (h.calleridnum !== undefined) v.caller_id_num = cid(h.calleridnum);
    if (h.calleridname !== undefined) v.caller_id_name = cid(h.calleridname);
    if (h.connectedlinenum !== undefined) v.connected_line_num = cid(h.connectedlinenum);
    if (h.connectedlinename !== undefined) v.connected_line_name = cid(h.connectedlinename);
    if (h.linkedid) v.linkedid = h.linkedid;
    const call = chan.callId ? this.calls.get(chan.callId) : undefined;
    if (
      call &&
      call.originUid !== v.uniqueid &&
      call.toName === null &&
      v.caller_id_name &&
      !localBase(v.channel)
    )
      call.toName = v.caller_id_name;
  }

  private createCall(originUid: string, id: string, announce: boolean): Call {
    const origin = this.chans.get(originUid)!;
    const v = origin.view;
    const exten = v.exten && v.exten !== 's' ? v.exten : null;
    const call: Call = {
      id,
      channels: new Set(),
      originUid,
      startedAt: origin.createdAt,
      answeredAt: null,
      pbxAnswered: origin.everUp,
      direction: looksInbound(v.channel, v.context, this.isTrunk) ? 'inbound' : 'unknown',
      fromNum: v.caller_id_num,
      fromName: v.caller_id_name,
      toNum: exten,
      toName: null,
      onHold: new Set(),
      transferred: false,
      dialStatus: null,
      firstHangup: null,
      originCause: null,
      announced: false,
    };
    this.calls.set(id, call);
    this.join(call, originUid);
    if (announce && !localBase(v.channel)) this.announce(call);
    return call;
  }

  private join(call: Call, uid: string): void {
    const chan = this.chans.get(uid);
    if (!chan) return;
    chan.callId = call.id;
    call.channels.add(uid);
    if (!this.quiet && !call.announced && call.channels.size > 1 && !localBase(chan.view.channel))
      this.announce(call);
  }

  private announce(call: Call): void {
    call.announced = true;
    this.emit({ type: 'call.started', call: this.view(call) });
  }

  /** call.updated, only for calls the consumer knows of. */
  private update(call: Call, change: string): void {
    if (call.announced) this.emit({ type: 'call.updated', call: this.view(call), change });
  }

  /** Puts two channels in one call; returns it. Merges two calls when they differ. */
  private link(a: Chan, b: Chan): Call | undefined {
    if (!a.callId && !b.callId) this.createCall(a.view.uniqueid, a.view.linkedid ?? a.view.uniqueid, true);
    if (!a.callId) this.join(this.calls.get(b.callId!)!, a.view.uniqueid);
    if (!b.callId) this.join(this.calls.get(a.callId!)!, b.view.uniqueid);
    const ca = this.calls.get(a.callId!)!;
    const cb = this.calls.get(b.callId!)!;
    if (ca === cb) return ca;
    const [keep, drop] = ca.startedAt <= cb.startedAt ? [ca, cb] : [cb, ca];
    this.merge(keep, drop, true);
    return keep;
  }

  /** Absorbs `drop` into `keep`. Two live calls joined by a bridge means a transfer (12+ attended
   * transfer keeps two Linkedids; 1.8/11 queues join Local legs): the absorbed call ends as
   * `transferred` so a consumer never keeps a ghost. */
  private merge(keep: Call, drop: Call, transfer: boolean): void {
    const dropView = drop.announced ? this.view(drop, undefined, true) : undefined;
    this.calls.delete(drop.id);
    for (const u of drop.channels) this.join(keep, u);
    for (const u of drop.onHold) keep.onHold.add(u);
    if (!dropView) return;
    const isTransfer = transfer && drop.answeredAt !== null && keep.answeredAt !== null;
    dropView.channels = [];
    this.emit({
      type: 'call.ended',
      call: dropView,
      end: {
        reason: isTransfer ? 'transferred' : 'unknown',
        q850_code: null,
        q850_text: null,
        dial_status: drop.dialStatus,
        hangup_by: null,
      },
    });
    if (!keep.announced) this.announce(keep);
    else if (isTransfer && !keep.transferred) {
      keep.transferred = true;
      this.update(keep, 'transferred');
    }
  }

  private markAnswered(call: Call): void {
    call.answeredAt = this.now();
    if (!call.announced) this.announce(call);
    else this.update(call, 'answered');
  }

  private view(call: Call, extraChans?: Map<string, Chan>, ended = false): CallView {
    const now = this.now();
    const chans = [...call.channels]
      .map((u) => this.chans.get(u) ?? extraChans?.get(u))
      .filter((c): c is Chan => !!c);
    const state: CallState = ended
      ? 'ended'
      : call.onHold.size > 0
        ? 'on_hold'
        : call.transferred && call.answeredAt !== null
          ? 'transferred'
          : call.answeredAt !== null
            ? 'answered'
            : 'ringing';
    const ringEnd = call.answeredAt ?? now;
    return {
      call_id: call.id,
      direction: call.direction,
      state,
      from: { number: call.fromNum, name: call.fromName },
      to: { number: call.toNum, name: call.toName },
      started_at: new Date(call.startedAt).toISOString(),
      answered_at: call.answeredAt !== null ? new Date(call.answeredAt).toISOString() : null,
      ring_s: secs(ringEnd - call.startedAt),
      talk_s: call.answeredAt !== null ? secs(now - call.answeredAt) : 0,
      channels: chans.map((c) => ({
        ...c.view,
        duration_s: Math.floor(Math.max(0, now - c.createdAt) / 1000),
      })),
    };
  }
}

function nz(v: string | undefined | null): string | null {
  return v === undefined || v === null || v === '' ? null : v;
}

function secs(ms: number): number {
  return Math.max(0, Math.round(ms / 100) / 10);
}

/** Re-exported for callers that need to name a channel's peer. */
export { channelPeer };
