// What every device does around its I/O: refuse bad calls and calls after close (a rejected
// promise, nothing touched), count I/O in flight, and let close() wait for it.

import type { SwapOffset } from "../types.ts";
import { closedError, ioArgumentsCheck } from "./check.ts";
import type { SwapDevice } from "./device.ts";
import { InFlight } from "./in-flight.ts";

export abstract class PageDevice implements SwapDevice {
  abstract readonly slots: number;
  abstract readonly describe: string;
  private closing: Promise<void> | undefined;
  private readonly inFlight = new InFlight();

  read(slot: SwapOffset, into: Uint8Array): Promise<void> {
    return this.call(slot, into, () => this.pageRead(slot, into));
  }

  write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    return this.call(slot, page, () => this.pageWrite(slot, page));
  }

  /** Refuses new I/O, waits for I/O in flight, then releases the device. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.inFlight.drained().then(() => this.shutdown());
    return this.closing;
  }

  /** Runs `io` counted as in flight; its synchronous part runs during the caller's call. */
  private call(slot: number, page: Uint8Array, io: () => Promise<void>): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(closedError(this.describe));
    const refusal = ioArgumentsCheck(this.slots, slot, page);
    if (refusal !== undefined) return Promise.reject(refusal);
    return this.inFlight.track(io);
  }

  protected abstract pageRead(slot: SwapOffset, into: Uint8Array): Promise<void>;
  protected abstract pageWrite(slot: SwapOffset, page: Uint8Array): Promise<void>;
  /** Releases what the device holds; runs once, after the last I/O settled. */
  protected abstract shutdown(): Promise<void>;
}
