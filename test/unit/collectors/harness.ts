import pino from 'pino';
import { Bus } from '../../../agent/src/core/bus';
import type { Clock } from '../../../agent/src/core/clock';
import { systemClock } from '../../../agent/src/core/clock';
import type { AgentEvents, ModuleContext, Publisher, StateName } from '../../../agent/src/core/module';
import { Scheduler } from '../../../agent/src/core/scheduler';
import type { AmiClient } from '../../../agent/src/pbx/ami/types';

/** A Publisher that records what modules hand over (the link itself is tested elsewhere). */
export class RecordingPublisher implements Publisher {
  readonly states: { name: StateName; data: unknown }[] = [];
  readonly events: { type: string; data: unknown }[] = [];
  publishState(name: StateName, data: unknown): void {
    this.states.push({ name, data: structuredClone(data) });
  }
  publishEvent(type: string, data: unknown): void {
    this.events.push({ type, data: structuredClone(data) });
  }
  /** Data of every `state/<name>` publication so far. */
  of(name: StateName): unknown[] {
    return this.states.filter((s) => s.name === name).map((s) => s.data);
  }
}

/** The system clock with a settable wall time (timers stay real). */
export class TestClock implements Clock {
  constructor(public t = Date.UTC(2026, 10, 29, 5, 0, 0)) {}
  now = () => this.t;
  monotonic = () => this.t;
  setTimeout = systemClock.setTimeout;
  clearTimeout = systemClock.clearTimeout;
  setInterval = systemClock.setInterval;
  clearInterval = systemClock.clearInterval;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A module context from real parts: scheduler (cron timers), bus, silent logger; the recording publisher. */
export function makeContext(clock: Clock = new TestClock(), log: pino.Logger = pino({ level: 'silent' })) {
  const publisher = new RecordingPublisher();
  const bus = new Bus<AgentEvents>();
  const scheduler = new Scheduler(log);
  // The collectors never touch AMI; the health collector gets Asterisk facts through its asteriskInfo option.
  const ctx: ModuleContext = {
    log,
    clock,
    scheduler,
    bus,
    publisher,
    ami: undefined as unknown as AmiClient,
  };
  return { ctx, publisher, bus, scheduler, clock };
}

/** A logger whose JSON lines the test reads back (STYLE.md: tests parse the log output). */
export function captureLog(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const log = pino({ level: 'debug', base: undefined }, { write: (s: string) => void out.push(s) });
  return { log, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Waits until `cond()` holds (polling every 10 ms) or fails after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
