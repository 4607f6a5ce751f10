/**
 * Call primitives over the channel model: each mutates the model first, then emits the dialect's events,
 * so CoreShowChannels and `core show channels` agree with the event stream at every moment.
 */

import type { SimBridge, SimEvent } from './events';
import * as ev from './events';
import type { SimChannel } from './model';
import type { SimState } from './sim-state';

/** What the kit needs from the simulator. */
export interface CallHost {
  readonly state: SimState;
  emit(e: SimEvent): void;
  /** Next value of the global channel counter (`%08x` suffix, §4.3). */
  nextChannelSeq(): number;
  /** Next uniqueid `<epoch>.<counter>` (§4.3). */
  nextUniqueid(): string;
  /** Whether cdr_manager is enabled (§5.5). */
  readonly cdrManager: boolean;
}

/** Caller/exten details of a new channel. */
export interface NewChannelSpec {
  peer: string;
  callerNum: string;
  callerName: string;
  context: string;
  exten: string;
  /** Linked to this channel's call (13.5+ Linkedid); omitted = starts a new call. */
  linkedTo?: SimChannel;
  accountCode?: string;
}

/** Call-building helpers shared by all scenarios. */
export class CallKit {
  private readonly h: CallHost;
  private bridgeSeq = 0;
  private readonly requested = new WeakSet<SimChannel>();

  constructor(host: CallHost) {
    this.h = host;
  }

  private get p() {
    return this.h.state.profile;
  }

  /** Channel tech: chan_sip `SIP/` on 1.8/11/13, `PJSIP/` on the PJSIP-only dialect (§4.3, §16). */
  tech(): string {
    return this.p.chanSip ? 'SIP' : 'PJSIP';
  }

  /** Creates a channel in state Down and emits Newchannel (§5.2). */
  newChannel(spec: NewChannelSpec): SimChannel {
    const seq = this.h.nextChannelSeq().toString(16).padStart(8, '0');
    const uniqueid = this.h.nextUniqueid();
    const ch: SimChannel = {
      name: `${this.tech()}/${spec.peer}-${seq}`,
      uniqueid,
      linkedid: spec.linkedTo?.linkedid ?? uniqueid,
      state: 0,
      callerNum: spec.callerNum,
      callerName: spec.callerName,
      connectedNum: '',
      connectedName: '',
      accountCode: spec.accountCode ?? '',
      language: 'en',
      context: spec.context,
      exten: spec.exten,
      priority: 1,
      app: '',
      appData: '',
      createdAt: this.h.state.now(),
      bridgeId: '',
      peer: spec.peer,
    };
    this.h.state.channels.push(ch);
    if (!spec.linkedTo) this.h.state.counters.activeCalls++;
    this.h.emit(ev.newchannel(this.p, ch));
    return ch;
  }

  /** Changes state and emits Newstate (§5.2). */
  setState(ch: SimChannel, state: number): void {
    if (ch.state === state) return;
    ch.state = state;
    if (state === 6) ch.answeredAt = this.h.state.now();
    this.h.emit(ev.newstate(this.p, ch));
  }

  /** Moves the channel to a dialplan step and emits the Newexten noise. */
  exec(ch: SimChannel, context: string, exten: string, priority: number, app: string, appData: string): void {
    Object.assign(ch, { context, exten, priority, app, appData });
    this.h.emit(ev.newexten(this.p, ch));
  }

  /** VarSet noise. */
  setVar(ch: SimChannel, name: string, value: string): void {
    this.h.emit(ev.varSet(this.p, ch, name, value));
  }

  /** Connected-line update (no event of its own here; shows in later events and lists). */
  connect(a: SimChannel, b: SimChannel): void {
    a.connectedNum = b.callerNum;
    a.connectedName = b.callerName;
    b.connectedNum = a.callerNum;
    b.connectedName = a.callerName;
  }

  dialBegin(caller: SimChannel, callee: SimChannel, target: string): void {
    this.h.emit(ev.dialBegin(this.p, caller, callee, target));
  }

  /** Ringing: Newstate 5 on the callee, plus DialState RINGING on 14+ (§5.3, §16). */
  ringing(caller: SimChannel, callee: SimChannel): void {
    this.setState(callee, 5);
    if (this.p.dialState) this.h.emit(ev.dialState(this.p, caller, callee, 'RINGING'));
  }

  dialEnd(caller: SimChannel, callee: SimChannel, status: string): void {
    this.h.emit(ev.dialEnd(this.p, caller, callee, status));
  }

  /** Bridges two channels: 1.8/11 `Bridge Link`; 12+ BridgeCreate + BridgeEnter×2 (§5.4). */
  bridge(a: SimChannel, b: SimChannel): SimBridge {
    const br: SimBridge = { id: this.bridgeId(), type: 'basic', technology: 'simple_bridge', members: [] };
    if (this.p.channelEvents === 'legacy') {
      a.bridgedTo = b;
      b.bridgedTo = a;
      this.h.emit(ev.legacyBridge('Link', a, b));
      br.members.push(a, b);
      return br;
    }
    this.h.emit(ev.bridgeEvent(this.p, 'BridgeCreate', br));
    for (const ch of [a, b]) {
      br.members.push(ch);
      ch.bridgeId = br.id;
      this.h.emit(ev.bridgeEvent(this.p, 'BridgeEnter', br, ch));
    }
    return br;
  }

  /** Ends a bridge: `Bridge Unlink` or BridgeLeave×n + BridgeDestroy (§5.4). */
  unbridge(br: SimBridge): void {
    const [a, b] = br.members;
    if (this.p.channelEvents === 'legacy') {
      if (a && b) this.h.emit(ev.legacyBridge('Unlink', a, b));
      for (const ch of br.members) ch.bridgedTo = undefined;
      br.members = [];
      return;
    }
    while (br.members.length > 0) {
      const ch = br.members.shift()!;
      ch.bridgeId = '';
      this.h.emit(ev.bridgeEvent(this.p, 'BridgeLeave', br, ch));
    }
    this.h.emit(ev.bridgeEvent(this.p, 'BridgeDestroy', br));
  }

  /** The far end hung up (12+: HangupRequest now; the Hangup follows once the dialplan unwinds). */
  requestHangup(ch: SimChannel, cause: number): void {
    if (!this.p.hangupRequest || this.requested.has(ch)) return;
    this.requested.add(ch);
    this.h.emit(ev.hangupRequest(this.p, ch, cause));
  }

  /** Hangs up: HangupRequest (12+, once), Hangup with cause (§5.2); removes the channel from the model first. */
  hangup(ch: SimChannel, cause: number): void {
    this.requestHangup(ch, cause);
    const list = this.h.state.channels;
    const i = list.indexOf(ch);
    if (i >= 0) list.splice(i, 1);
    if (ch.linkedid === ch.uniqueid) {
      this.h.state.counters.activeCalls = Math.max(0, this.h.state.counters.activeCalls - 1);
      this.h.state.counters.processed++;
    }
    this.h.emit(ev.hangup(this.p, ch, cause));
  }

  /** The Cdr event (§5.5), only when cdr_manager is enabled. */
  cdr(c: {
    src: SimChannel;
    dst?: SimChannel;
    destination: string;
    lastApp: string;
    lastData: string;
    start: number;
    answer?: number;
    end: number;
    disposition: string;
  }): void {
    if (!this.h.cdrManager) return;
    const fmt = (t: number) => {
      const d = new Date(t);
      const z = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())} ${z(d.getHours())}:${z(d.getMinutes())}:${z(d.getSeconds())}`;
    };
    const dur = Math.floor((c.end - c.start) / 1000);
    const bill = c.answer === undefined ? 0 : Math.floor((c.end - c.answer) / 1000);
    this.h.emit({
      name: 'Cdr',
      cls: 'cdr',
      body: [
        ['AccountCode', c.src.accountCode],
        ['Source', c.src.callerNum],
        ['Destination', c.destination],
        ['DestinationContext', c.src.context],
        ['CallerID', `"${c.src.callerName}" <${c.src.callerNum}>`],
        ['Channel', c.src.name],
        ['DestinationChannel', c.dst?.name ?? ''],
        ['LastApplication', c.lastApp],
        ['LastData', c.lastData],
        ['StartTime', fmt(c.start)],
        ['AnswerTime', c.answer === undefined ? '' : fmt(c.answer)],
        ['EndTime', fmt(c.end)],
        ['Duration', String(dur)],
        ['BillableSeconds', String(bill)],
        ['Disposition', c.disposition],
        ['AMAFlags', 'DOCUMENTATION'],
        ['UniqueID', c.src.uniqueid],
        ['UserField', ''],
      ],
    });
  }

  /** 12+ bridge ids are UUIDs. */
  private bridgeId(): string {
    const n = (++this.bridgeSeq).toString(16).padStart(12, '0');
    return `5f3e2a1c-7b9d-4e21-9c0a-${n}`;
  }
}
