// A backing swap device: positioned, asynchronous I/O of one page at a slot.

import type { SwapOffset } from "../types.ts";

export interface SwapDevice {
  /** Slots the device holds; slot offsets are 0..slots-1. */
  readonly slots: number;
  /** Short description for reports, e.g. "file /tmp/x.swap (page cache bypassed)". */
  readonly describe: string;
  /**
   * Reads the page at `slot` into `into` (PAGE_SIZE bytes). Rejects with ZswapIOError on
   * failure; `into` is then unspecified. A slot never written reads as zeros.
   */
  read(slot: SwapOffset, into: Uint8Array): Promise<void>;
  /**
   * Writes `page` (PAGE_SIZE bytes) to `slot`. Rejects with ZswapIOError on failure; the slot
   * then holds unspecified bytes (a torn write), so its previous contents are gone too.
   * The caller must not modify `page` until the promise settles.
   */
  write(slot: SwapOffset, page: Uint8Array): Promise<void>;
  /** Waits for I/O in flight, then releases the device (a file device removes a file it made). */
  close(): Promise<void>;
}
