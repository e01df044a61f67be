// A pause after failures that doubles while they go on, from WRITEBACK_BACKOFF_MS_MIN up to
// WRITEBACK_BACKOFF_MS_MAX, and starts short again after a success: zswap's writeback and a
// tiered device's migrations both use it. Its timer, on the clock it is given, never keeps the
// process alive.

import { type Clock, type ClockTimer, REAL_CLOCK } from "./clock.ts";
import { WRITEBACK_BACKOFF_MS_MAX, WRITEBACK_BACKOFF_MS_MIN } from "./constants.ts";

export class Backoff {
  private ms = 0;
  private timer: ClockTimer | undefined;

  /** `resume` runs when a pause ends. */
  constructor(
    private readonly resume: () => void,
    private readonly clock: Clock = REAL_CLOCK,
  ) {}

  /** True while a pause is on. */
  get pausing(): boolean {
    return this.timer !== undefined;
  }

  /** Starts a pause twice as long as the last (within the bounds), unless one is on. */
  pause(): void {
    if (this.timer !== undefined) return;
    this.ms = Math.min(WRITEBACK_BACKOFF_MS_MAX, Math.max(WRITEBACK_BACKOFF_MS_MIN, this.ms * 2));
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.resume();
      },
      this.ms,
      true,
    );
  }

  /** After a success: the next pause is the shortest again. */
  reset(): void {
    this.ms = 0;
  }

  /** Ends a pause without resuming. */
  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
