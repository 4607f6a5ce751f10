/**
 * Call scenarios: each emits the event sequence the dialect emits (§5.2–§5.5, §16), keeping the channel
 * model consistent, and ends with the Cdr event when cdr_manager is on. The chan_sip state sequence
 * (inbound Down→Ring, outbound Down→Ringing→Up) is derived from code, not captured (§5.2, §13).
 */
import { agentEvent, attendedTransfer, queueJoin, queueLeave } from './queue-events';
import { dial, ext, extCall, type Run, target, trunkName } from './scenario-dial';
import {
  extensions,
  pause,
  type ScenarioHost,
  type ScenarioOptions,
  type ScenarioResult,
} from './scenario-host';
import { type PeerScenario, runPeerScenario } from './scenarios-peer';

export type { ScenarioOptions, ScenarioResult } from './scenario-host';

/** Scenario names. */
export type ScenarioName =
  | PeerScenario
  | 'inbound-queue'
  | 'outbound-trunk'
  | 'attended-transfer'
  | 'no-answer'
  | 'busy'
  | 'cancel'
  | 'internal'
  | 'concurrent';

/** Every scenario name (the `--loop` CLI and tests iterate it). */
export const SCENARIOS: readonly ScenarioName[] = [
  'peer-register',
  'peer-unregister',
  'peer-unreachable',
  'peer-lagged',
  'inbound-queue',
  'outbound-trunk',
  'attended-transfer',
  'no-answer',
  'busy',
  'cancel',
  'internal',
  'concurrent',
];

async function inboundQueue(r: Run, opts: ScenarioOptions): Promise<void> {
  const k = r.h.kit;
  const p = r.h.state.profile;
  const start = r.h.state.now();
  const t = k.newChannel({
    peer: trunkName(r),
    callerNum: opts.number ?? '5559876543',
    callerName: 'ACME CORP',
    context: 'from-trunk',
    exten: '5550100',
  });
  r.made.push(t);
  k.setState(t, 4);
  k.exec(t, 'from-trunk', '5550100', 1, 'Set', '__FROM_DID=5550100');
  k.setVar(t, '__FROM_DID', '5550100');
  k.exec(t, 'ext-queues', '400', 1, 'Answer', '');
  k.setState(t, 6);
  const answer = r.h.state.now();
  k.exec(t, 'ext-queues', '400', 7, 'Queue', '400,t,,,300');
  r.h.emit(queueJoin(p, t, '400', 1));
  await pause(500, r.speed);
  const agent = ext(r, opts.callee ?? opts.caller, 0);
  const a = k.newChannel({
    peer: agent.name,
    callerNum: agent.num,
    callerName: agent.cid,
    context: 'from-queue',
    exten: '400',
    linkedTo: t,
  });
  r.made.push(a);
  k.connect(t, a);
  // app_queue publishes dials on 12+ (DialBegin/DialEnd); on 1.8/11 only the agent events (UNCONFIRMED).
  if (p.channelEvents === 'stasis') k.dialBegin(t, a, `Local/${agent.num}@from-queue`);
  r.h.emit(agentEvent(p, 'AgentCalled', t, a, '400'));
  k.ringing(t, a);
  await pause(1500, r.speed);
  k.setState(a, 6);
  if (p.channelEvents === 'stasis') k.dialEnd(t, a, 'ANSWER');
  r.h.emit(queueLeave(p, t, '400'));
  r.h.emit(
    agentEvent(p, 'AgentConnect', t, a, '400', [
      ['Holdtime', '2'],
      ['Ringtime', '2'],
    ]),
  );
  const br = k.bridge(t, a);
  await pause(5000, r.speed);
  r.h.emit(
    agentEvent(p, 'AgentComplete', t, a, '400', [
      ['TalkTime', '5'],
      ['Reason', 'agent'],
    ]),
  );
  k.unbridge(br);
  k.hangup(a, 16);
  k.hangup(t, 16);
  k.cdr({
    src: t,
    dst: a,
    destination: '400',
    lastApp: 'Queue',
    lastData: '400,t,,,300',
    start,
    answer,
    end: r.h.state.now(),
    disposition: 'ANSWERED',
  });
}

/** A calls B, B consults C on a second line and completes an attended transfer: A ends up with C. */
async function attended(r: Run, opts: ScenarioOptions): Promise<void> {
  const k = r.h.kit;
  const list = extensions(r.h.state);
  const A = ext(r, opts.caller, 0);
  const B = ext(r, opts.callee, 1);
  const C = list[2]
    ? { name: list[2].name, num: list[2].callerid?.num ?? list[2].name, cid: list[2].callerid?.name ?? '' }
    : A;
  const start = r.h.state.now();
  const a = k.newChannel({
    peer: A.name,
    callerNum: A.num,
    callerName: A.cid,
    context: 'from-internal',
    exten: B.num,
  });
  r.made.push(a);
  k.setState(a, 4);
  const first = await dial(r, a, B.name, B, 'answer');
  const br1 = k.bridge(a, first.b);
  await pause(1000, r.speed);
  // B's second line consults C.
  const b2 = k.newChannel({
    peer: B.name,
    callerNum: B.num,
    callerName: B.cid,
    context: 'from-internal',
    exten: C.num,
  });
  r.made.push(b2);
  k.setState(b2, 4);
  const second = await dial(r, b2, C.name, C, 'answer');
  const br2 = k.bridge(b2, second.b);
  await pause(1000, r.speed);
  r.h.emit(attendedTransfer(r.h.state.profile, first.b, b2, second.b, br1.id));
  k.unbridge(br2);
  k.unbridge(br1);
  k.hangup(b2, 16);
  k.hangup(first.b, 16);
  const br3 = k.bridge(a, second.b);
  await pause(3000, r.speed);
  k.unbridge(br3);
  k.hangup(second.b, 16);
  k.hangup(a, 16);
  k.cdr({
    src: a,
    dst: first.b,
    destination: B.num,
    lastApp: 'Dial',
    lastData: `${target(r, B.name)},300`,
    start,
    answer: first.answeredAt,
    end: r.h.state.now(),
    disposition: 'ANSWERED',
  });
}

/** Runs one scenario by name. */
export async function runScenario(
  h: ScenarioHost,
  name: ScenarioName,
  opts: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const r: Run = { h, speed: opts.speed ?? h.speed, made: [] };
  switch (name) {
    case 'peer-register':
    case 'peer-unregister':
    case 'peer-unreachable':
    case 'peer-lagged':
      await runPeerScenario(h, name, opts);
      break;
    case 'internal':
      await extCall(r, opts, 'answer', false);
      break;
    case 'outbound-trunk':
      await extCall(r, opts, 'answer', true);
      break;
    case 'no-answer':
      await extCall(r, opts, 'noanswer', false);
      break;
    case 'busy':
      await extCall(r, opts, 'busy', false);
      break;
    case 'cancel':
      await extCall(r, opts, 'cancel', false);
      break;
    case 'inbound-queue':
      await inboundQueue(r, opts);
      break;
    case 'attended-transfer':
      await attended(r, opts);
      break;
    case 'concurrent': {
      const n = opts.count ?? 10;
      const kinds: ScenarioName[] = ['internal', 'outbound-trunk', 'inbound-queue'];
      const results = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          await pause(50 * i, r.speed);
          return runScenario(h, kinds[i % kinds.length]!, { ...opts, speed: r.speed });
        }),
      );
      const uniqueids = results.flatMap((x) => x.uniqueids);
      return {
        uniqueids,
        linkedid: results[0]?.linkedid ?? '',
        channels: results.flatMap((x) => x.channels),
      };
    }
    default:
      throw new Error(`unknown scenario "${String(name)}"`);
  }
  return {
    uniqueids: r.made.map((c) => c.uniqueid),
    linkedid: r.made[0]?.linkedid ?? '',
    channels: r.made.map((c) => c.name),
  };
}
