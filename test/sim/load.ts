/** Load driver: starts scenarios at a chosen rate for a duration (benchmarks, soak tests). */
import type { ScenarioHost } from './scenario-host';
import { runScenario, type ScenarioName } from './scenarios';

/** Options of runLoad. */
export interface LoadOptions {
  /** One scenario, or a mix picked round-robin. */
  scenario: ScenarioName | readonly ScenarioName[];
  /** Scenario starts per second. */
  ratePerSec: number;
  durationMs: number;
  /** Time factor inside each scenario (default 0: calls complete as fast as the event loop allows). */
  speed?: number;
}

/** What a load run did. */
export interface LoadResult {
  started: number;
  completed: number;
  failed: number;
  elapsedMs: number;
}

/** Starts `ratePerSec` scenarios per second for `durationMs`, then waits for all of them to finish. */
export async function runLoad(h: ScenarioHost, o: LoadOptions): Promise<LoadResult> {
  if (!(o.ratePerSec > 0) || !(o.durationMs >= 0))
    throw new Error('runLoad needs ratePerSec > 0 and durationMs >= 0');
  const mix: readonly ScenarioName[] = typeof o.scenario === 'string' ? [o.scenario] : o.scenario;
  if (mix.length === 0 || mix.includes('concurrent'))
    throw new Error('runLoad needs call scenarios (not concurrent)');
  const t0 = performance.now();
  const running = new Set<Promise<void>>();
  let started = 0;
  let completed = 0;
  let failed = 0;
  const speed = o.speed ?? 0;
  // Start on a fixed schedule (catching up after timer lateness) so the offered rate holds.
  while (performance.now() - t0 < o.durationMs) {
    const due = Math.floor(((performance.now() - t0) / 1000) * o.ratePerSec) + 1;
    while (started < due) {
      const name = mix[started % mix.length]!;
      started++;
      const p: Promise<void> = runScenario(h, name, { speed })
        .then(
          () => {
            completed++;
          },
          () => {
            failed++;
          },
        )
        .finally(() => running.delete(p));
      running.add(p);
    }
    const next = (started / o.ratePerSec) * 1000 - (performance.now() - t0);
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(next, 50))));
  }
  await Promise.all(running);
  return { started, completed, failed, elapsedMs: performance.now() - t0 };
}
