/**
 * Dial building blocks of the call scenarios (§5.2–§5.5): pick extensions, dial with an outcome, and the
 * extension-originated call (internal or via the trunk) ending with its Cdr.
 */
import type { SimChannel } from './model';
import { extensions, pause, peerNamed, type ScenarioHost, type ScenarioOptions } from './scenario-host';

/** How a dial ends. */
export type Outcome = 'answer' | 'noanswer' | 'busy' | 'cancel';

/** One scenario run. */
export interface Run {
  h: ScenarioHost;
  speed: number;
  made: SimChannel[];
}

/** An extension by name, or the index-th registered one (scenario default). */
export function ext(
  r: Run,
  name: string | undefined,
  index: number,
): { name: string; num: string; cid: string } {
  const p = name
    ? peerNamed(r.h.state, name)
    : extensions(r.h.state).filter((x) => x.status !== 'lagged')[index];
  if (!p) throw new Error('simulator needs at least two registered extensions for call scenarios');
  return { name: p.name, num: p.callerid?.num ?? p.name, cid: p.callerid?.name ?? '' };
}

/** The first trunk peer's name. */
export function trunkName(r: Run): string {
  return r.h.state.peers.find((p) => p.trunk)?.name ?? 'trunk';
}

/** Dial target as the dialplan writes it (SIP/x, SIP/trunk/number, PJSIP/x). */
export function target(r: Run, peer: string, number?: string): string {
  const tech = r.h.kit.tech();
  return number ? `${tech}/${peer}/${number}` : `${tech}/${peer}`;
}

/**
 * Caller `a` dials `peer`; returns the callee channel (already hung up unless answered) and the answer time.
 */
export async function dial(
  r: Run,
  a: SimChannel,
  peer: string,
  callee: { num: string; cid: string },
  outcome: Outcome,
  number?: string,
): Promise<{ b: SimChannel; answeredAt?: number }> {
  const k = r.h.kit;
  const tgt = target(r, peer, number);
  const macro = number ? 'macro-dialout-trunk' : 'macro-dial-one';
  k.exec(a, macro, 's', number ? 20 : 52, 'Dial', `${tgt},300,HhtrIb(func-apply-sipheaders^s^1)`);
  const b = k.newChannel({
    peer,
    callerNum: callee.num,
    callerName: callee.cid,
    context: 'from-internal',
    exten: '',
    linkedTo: a,
  });
  r.made.push(b);
  k.connect(a, b);
  k.dialBegin(a, b, tgt);
  if (outcome === 'busy') {
    await pause(150, r.speed);
    k.hangup(b, 17);
    k.dialEnd(a, b, 'BUSY');
    k.setVar(a, 'DIALSTATUS', 'BUSY');
    return { b };
  }
  await pause(100, r.speed);
  k.ringing(a, b);
  if (outcome === 'noanswer') {
    await pause(3000, r.speed);
    k.dialEnd(a, b, 'NOANSWER');
    k.hangup(b, 16);
    k.setVar(a, 'DIALSTATUS', 'NOANSWER');
    return { b };
  }
  if (outcome === 'cancel') {
    await pause(2000, r.speed);
    // The caller's CANCEL arrives first; app_dial then ends the dial and hangs up the callee (§16).
    k.requestHangup(a, r.h.state.profile.cancelCause);
    k.dialEnd(a, b, 'CANCEL');
    k.hangup(b, 16);
    return { b };
  }
  await pause(1500, r.speed);
  k.setState(b, 6);
  k.dialEnd(a, b, 'ANSWER');
  k.setVar(a, 'DIALSTATUS', 'ANSWER');
  k.setState(a, 6);
  return { b, answeredAt: r.h.state.now() };
}

/** A call from an extension (internal or out via the trunk), with the given outcome. */
export async function extCall(
  r: Run,
  opts: ScenarioOptions,
  outcome: Outcome,
  outbound: boolean,
): Promise<void> {
  const k = r.h.kit;
  const from = ext(r, opts.caller, 0);
  const to = outbound
    ? { name: trunkName(r), num: opts.number ?? '5551234', cid: '' }
    : ext(r, opts.callee, 1);
  const exten = outbound ? (opts.number ?? '5551234') : to.num;
  const start = r.h.state.now();
  const a = k.newChannel({
    peer: from.name,
    callerNum: from.num,
    callerName: from.cid,
    context: 'from-internal',
    exten,
  });
  r.made.push(a);
  k.setState(a, 4);
  k.exec(
    a,
    outbound ? 'outrt-1' : 'from-internal',
    exten,
    1,
    'Macro',
    outbound ? 'dialout-trunk,1' : `exten-vm,novm,${exten}`,
  );
  k.setVar(a, 'AMPUSER', from.num);
  const { b, answeredAt } = await dial(
    r,
    a,
    to.name,
    { num: to.num, cid: to.cid },
    outcome,
    outbound ? exten : undefined,
  );
  const lastData = a.appData;
  if (answeredAt !== undefined) {
    const br = k.bridge(a, b);
    await pause(4000, r.speed);
    k.unbridge(br);
    k.hangup(b, 16);
  } else if (outcome === 'busy') {
    k.exec(a, 'macro-dial-one', 's', 60, 'Busy', '20');
    await pause(500, r.speed);
  }
  k.hangup(a, outcome === 'cancel' ? r.h.state.profile.cancelCause : outcome === 'busy' ? 17 : 16);
  const disp = { answer: 'ANSWERED', noanswer: 'NO ANSWER', busy: 'BUSY', cancel: 'NO ANSWER' }[outcome];
  k.cdr({
    src: a,
    dst: b,
    destination: exten,
    lastApp: 'Dial',
    lastData,
    start,
    answer: answeredAt,
    end: r.h.state.now(),
    disposition: disp,
  });
}

/** Trunk call into queue 400, answered by the first registered extension. */
