/**
 * The demo's PBX life: the simulator's scenarios one after another at a human pace, calls first so a short
 * run already shows them, peers restored after each round so every round finds registered extensions.
 */
import { contactStatus, pjsipPeerStatus, sipPeerStatus } from './peer-events';
import type { ScenarioName } from './scenarios';
import type { AmiSimulator } from './server';

/** A step of the round: a simulator scenario, or `restore` (the peer answers its qualify again). */
type Step = { name: ScenarioName | 'restore'; peer?: string; count?: number };

/** The round: calls interleaved with peer changes (101 registers/unregisters, 102 goes lagged/unreachable). */
export const DEMO_ROUND: readonly Step[] = [
  { name: 'internal' },
  { name: 'peer-unreachable', peer: '102' },
  { name: 'inbound-queue' },
  { name: 'restore', peer: '102' },
  { name: 'peer-register', peer: '101' },
  { name: 'outbound-trunk' },
  { name: 'no-answer' },
  { name: 'busy' },
  { name: 'cancel' },
  { name: 'peer-lagged', peer: '102' },
  { name: 'attended-transfer' },
  { name: 'restore', peer: '102' },
  { name: 'concurrent', count: 3 },
  { name: 'peer-unregister', peer: '101' },
];

/** Brings a lagged or unreachable peer back to OK with the events its dialect sends (§5.6, §16). */
function restore(sim: AmiSimulator, name: string): void {
  const x = sim.peers.find((p) => p.name === name);
  if (!x?.ip || x.status === 'ok') return;
  x.status = 'ok';
  x.latencyMs = 12;
  if (sim.profile.chanSip) sim.emit(sipPeerStatus(sim.profile, x, 'Reachable', 12));
  else {
    sim.emit(contactStatus(x, 'Reachable'));
    sim.emit(pjsipPeerStatus(x, 'Reachable'));
  }
}

/** Runs DEMO_ROUND in a loop until `signal` aborts; `speed` 1 is real time. Scenario errors go to `onError`. */
export async function runDemoLoop(
  sim: AmiSimulator,
  o: { speed: number; signal: AbortSignal; onError(name: string, e: Error): void },
): Promise<void> {
  const idle = () =>
    new Promise<void>((r) => {
      const t = setTimeout(done, 1500 * o.speed);
      function done() {
        clearTimeout(t);
        o.signal.removeEventListener('abort', done);
        r();
      }
      o.signal.addEventListener('abort', done, { once: true });
    });
  while (!o.signal.aborted) {
    for (const s of DEMO_ROUND) {
      if (o.signal.aborted) return;
      try {
        if (s.name === 'restore') restore(sim, s.peer ?? '');
        else await sim.runScenario(s.name, { peer: s.peer, count: s.count, speed: o.speed });
      } catch (e) {
        o.onError(s.name, e as Error);
      }
      await idle();
    }
  }
}
