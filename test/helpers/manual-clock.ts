import type { Clock } from '../../src/domain/clock.js';
import type { TimerHost } from '../../src/scheduling/due-loop.js';

interface Sleeper {
  id: number;
  at: number;
  fire: () => void;
}

/** Lets promise chains and `setImmediate` callbacks started by a fired timer run to their end. */
async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Time that moves only when a test says so: `now()` for the code under test, and timers
 * (`setTimeout` of a {@link TimerHost}) that fire when {@link ManualClock.advance} passes them, in
 * due order, each with the clock set to its own due time.
 */
export class ManualClock implements Clock, TimerHost {
  private sleepers: Sleeper[] = [];
  private nextId = 1;

  constructor(private time = Date.UTC(2030, 0, 7, 6, 0)) {}

  now(): number {
    return this.time;
  }

  setTimeout(fire: () => void, ms: number): unknown {
    const sleeper = { id: this.nextId++, at: this.time + Math.max(0, ms), fire };
    this.sleepers.push(sleeper);
    return sleeper.id;
  }

  clearTimeout(handle: unknown): void {
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.id !== handle);
  }

  /** Timers waiting, soonest first (their due times), for assertions about what sleeps. */
  sleeping(): number[] {
    return this.sleepers.map((sleeper) => sleeper.at).sort((a, b) => a - b);
  }

  /** Fires what is due now (0 ms timers included) and lets the work it starts settle. */
  async flush(): Promise<void> {
    await this.advance(0);
  }

  /** Moves time forward by `ms`, firing every timer due on the way and letting its work settle. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      const due = this.sleepers
        .filter((sleeper) => sleeper.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter((sleeper) => sleeper !== due);
      this.time = Math.max(this.time, due.at);
      due.fire();
      await settle();
    }
    this.time = target;
  }
}
