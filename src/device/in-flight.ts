// Bookkeeping of I/O in flight: the depth bound (FIFO waiters) and the drain that close() awaits.

/**
 * Hands out up to `depthMax` tokens 0..depthMax-1; a caller beyond that waits, and waiters are
 * served first come, first served. A token names the bounce page the I/O may use.
 *
 * FIFO holds because: 1. put() gives a freed token straight to the oldest waiter, never back to
 * the free stack while anyone waits; 2. get() takes from the free stack only when it is not
 * empty, and the stack is empty whenever there are waiters (by 1), so no newcomer overtakes.
 */
export class IoDepth {
  private readonly free: number[] = [];
  private readonly waiters: ((token: number) => void)[] = [];
  private waitersHead = 0;

  constructor(readonly depthMax: number) {
    for (let token = depthMax - 1; token >= 0; token--) this.free.push(token);
  }

  /** A token, at once if one is free, else after every earlier waiter got one. */
  get(): Promise<number> {
    const token = this.free.pop();
    if (token !== undefined) return Promise.resolve(token);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Returns a token taken by get(). */
  put(token: number): void {
    if (this.waitersHead < this.waiters.length) {
      const waiter = this.waiters[this.waitersHead]!;
      this.waiters[this.waitersHead] = undefined as never;
      this.waitersHead++;
      if (this.waitersHead === this.waiters.length) {
        this.waiters.length = 0;
        this.waitersHead = 0;
      } else if (this.waitersHead >= 1024 && this.waitersHead * 2 >= this.waiters.length) {
        this.waiters.splice(0, this.waitersHead);
        this.waitersHead = 0;
      }
      waiter(token);
      return;
    }
    this.free.push(token);
  }
}

/** Counts calls accepted and not yet settled, so close() can wait for them. */
export class InFlight {
  private count = 0;
  private drainWaiters: (() => void)[] = [];

  /** Calls accepted and not yet settled. */
  get size(): number {
    return this.count;
  }

  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count > 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Resolves once nothing is in flight (at once if nothing is). */
  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Runs `io` counted as in flight until it settles. */
  async track<T>(io: () => Promise<T>): Promise<T> {
    this.begin();
    try {
      return await io();
    } finally {
      this.end();
    }
  }
}
