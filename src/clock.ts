import { setImmediate as immediate, setTimeout as realPause } from "node:timers/promises";
import { assert } from "./assert.ts";
import { SIM_TURNS_MAX } from "./constants.ts";
import { ZswapOptionError } from "./errors.ts";

// Time, injected. The `wait` policy's deadlines, writeback's backoff and modelled device latency
// read the clock they are given, so that a simulation runs them on virtual time and a seed fixes
// a whole run. Real time by default.

/** A timer set on a clock; pass it to the same clock's clearTimeout. */
export interface ClockTimer {
  readonly clock: unknown;
}

export interface Clock {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  /** Calls `fn` once `ms` have passed. A `background` timer does not keep the process alive. */
  setTimeout(fn: () => void, ms: number, background?: boolean): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
}

/** Throws ZSWAP_E_OPTION unless `clock` has a Clock's three methods. */
export function clockCheck(clock: unknown): asserts clock is Clock {
  const c = clock as Partial<Record<keyof Clock, unknown>> | null;
  const methods = ["now", "setTimeout", "clearTimeout"] as const;
  if (typeof c !== "object" || c === null || methods.some((m) => typeof c[m] !== "function")) {
    throw new ZswapOptionError(
      "clock must be an object with now(), setTimeout() and clearTimeout()",
    );
  }
}

interface RealTimer extends ClockTimer {
  readonly timeout: NodeJS.Timeout;
}

/** The process's own time: performance.now() and the event loop's timers. */
export const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms, background = false) {
    const timeout = setTimeout(fn, ms);
    if (background) timeout.unref();
    return { clock: REAL_CLOCK, timeout } as RealTimer;
  },
  clearTimeout(timer) {
    if (timer !== undefined) clearTimeout((timer as RealTimer).timeout);
  },
};

interface SimTimer extends ClockTimer {
  readonly at: number;
  readonly fn: () => void;
}

/**
 * Virtual time: it stands still until `advance()` moves it to the next timer and fires that.
 * Timers due at the same time fire in the order they were set, so a run is repeatable.
 */
export class SimClock implements Clock {
  #now = 0;
  /** Pending timers, earliest first (a sorted array: runs hold few at a time). */
  #timers: SimTimer[] = [];

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer: SimTimer = { clock: this, at: this.#now + Math.max(0, ms), fn };
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1].at > timer.at) i--;
    this.#timers.splice(i, 0, timer);
    return timer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer === undefined) return;
    const i = this.#timers.indexOf(timer as SimTimer);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time to the earliest timer and fires it; false when no timer is set. */
  advance(): boolean {
    const timer = this.#timers.shift();
    if (timer === undefined) return false;
    this.#now = Math.max(this.#now, timer.at);
    timer.fn();
    return true;
  }

  /**
   * Awaits `work`, moving time to the next timer after each turn of the event loop in which it
   * did not settle. Only microtasks, immediates and this clock's timers may drive `work` (no real
   * I/O, no real timers), so the same inputs run the same way every time. While `elsewhere()`
   * is true, work is in flight outside the simulation (pages on codec threads): time stands
   * still and the turns spent waiting for it are not counted as idle.
   */
  async run<T>(work: Promise<T>, elsewhere: () => boolean = () => false): Promise<T> {
    let done = false;
    const settled = work.finally(() => {
      done = true;
    });
    // Work that has settled already (an access to a resident page) takes no turn of the event
    // loop, as in real time, where nothing yields to it either: `done` is set one microtask on.
    await Promise.resolve();
    for (let idle = 0; !done; ) {
      await immediate();
      if (done) break;
      if (elsewhere()) {
        await realPause(); // leaves the cores to that work rather than spin on immediates
        continue;
      }
      idle = this.advance() ? 0 : idle + 1;
      assert(idle <= SIM_TURNS_MAX, "simulated work ends, or waits on a timer");
    }
    return settled;
  }
}
