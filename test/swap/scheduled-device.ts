// A memory device whose every read and write completes when fast-check's scheduler says so,
// so that tests explore the orders in which I/O and API calls interleave. Data moves at
// completion time, like a real device; a write may be told to fail (EIO, slot left as it was).

import type fc from "fast-check";
import { PAGE_SIZE } from "../../src/constants.ts";
import type { SwapDevice } from "../../src/device/index.ts";
import { ZswapIOError } from "../../src/errors.ts";
import type { SwapOffset } from "../../src/types.ts";

export class ScheduledDevice implements SwapDevice {
  readonly bytes: Uint8Array;
  readonly describe = "scheduled memory device";
  /** Decides, per write in call order, whether it fails. */
  failWrite: (n: number) => boolean = () => false;
  writes = 0;
  inFlight = 0;
  /** Slots with a write in flight, in the order the writes were issued. */
  readonly writing: number[] = [];

  constructor(
    private readonly s: fc.Scheduler,
    readonly slots: number,
  ) {
    this.bytes = new Uint8Array(slots * PAGE_SIZE);
  }

  page(slot: number): Uint8Array {
    return this.bytes.subarray(slot * PAGE_SIZE, (slot + 1) * PAGE_SIZE);
  }

  private async complete<T>(label: string, then: () => T): Promise<T> {
    this.inFlight++;
    try {
      await this.s.schedule(Promise.resolve(), label);
      return then();
    } finally {
      this.inFlight--;
    }
  }

  read(slot: SwapOffset, into: Uint8Array): Promise<void> {
    return this.complete(`read ${slot}`, () => {
      into.set(this.page(slot));
    });
  }

  write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    const n = this.writes++;
    const fail = this.failWrite(n);
    // The page is read at completion, as a real device DMAs from the buffer: a caller that
    // reused its buffer before the write settled would be caught writing the wrong bytes.
    this.writing.push(slot);
    return this.complete(`write ${slot}${fail ? " (fails)" : ""}`, () => {
      this.writing.splice(this.writing.indexOf(slot), 1);
      if (fail) throw new ZswapIOError(`injected write failure at slot ${slot}`, "EIO");
      this.bytes.set(page, slot * PAGE_SIZE);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
