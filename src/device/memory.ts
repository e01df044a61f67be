// A swap device over one ArrayBuffer, for tests and simulation.
//
// When the bytes move (the device's two well-defined points):
// 1. write() copies the page into the device during the call, before it returns its promise,
//    which resolves on a later microtask, never synchronously. The caller may reuse its buffer
//    as soon as write() returns (a FileDevice caller must wait for the promise to settle).
// 2. read() awaits one microtask, then copies the slot into `into` and resolves. A caller that
//    looks at `into` before awaiting sees its old bytes, as it would with a real device.
// So a write issued after a read of the same slot, before that read's microtask, is seen by the
// read: like real hardware, the device does not order concurrent I/O on one slot (the swap
// layer's swap cache does).

import { PAGE_SIZE } from "../constants.ts";
import { optionsKnownCheck, ZswapOptionError } from "../errors.ts";
import type { SwapOffset } from "../types.ts";
import { slotsCheck } from "./check.ts";
import { PageDevice } from "./page-device.ts";

export interface MemoryDeviceOptions {
  /** Slots of PAGE_SIZE bytes; the device holds slots * PAGE_SIZE bytes of memory. */
  slots: number;
}

const MEMORY_DEVICE_OPTIONS: ReadonlySet<string> = new Set(["slots"]);

export class MemoryDevice extends PageDevice {
  readonly slots: number;
  readonly describe: string;
  private bytes: Uint8Array;

  constructor(options: MemoryDeviceOptions) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new ZswapOptionError("MemoryDevice needs an options object");
    }
    optionsKnownCheck(options, MEMORY_DEVICE_OPTIONS);
    slotsCheck(options.slots);
    this.slots = options.slots;
    try {
      this.bytes = new Uint8Array(this.slots * PAGE_SIZE);
    } catch (error) {
      throw new ZswapOptionError(
        `cannot allocate ${this.slots} slots of memory: ${(error as Error).message}`,
      );
    }
    this.describe = `memory (${this.slots} slots, ${this.slots * PAGE_SIZE} bytes)`;
  }

  protected async pageRead(slot: SwapOffset, into: Uint8Array): Promise<void> {
    await Promise.resolve();
    into.set(this.bytes.subarray(slot * PAGE_SIZE, (slot + 1) * PAGE_SIZE));
  }

  protected pageWrite(slot: SwapOffset, page: Uint8Array): Promise<void> {
    this.bytes.set(page, slot * PAGE_SIZE);
    return Promise.resolve();
  }

  protected async shutdown(): Promise<void> {
    this.bytes = new Uint8Array(0);
  }
}
