// Checks every device makes before it does any I/O, and the mapping of system errors.
// A call that fails a check returns a rejected promise and touches nothing.

import { AREA_SLOTS_MAX } from "../constants.ts";
import {
  pageSizeError,
  ZswapClosedError,
  type ZswapError,
  ZswapOffsetError,
  ZswapOptionError,
  type ZswapStateError,
} from "../errors.ts";
import type { SwapDevice } from "./device.ts";

/** The error for a call on a slot or page that the device cannot take, or undefined if valid. */
export function ioArgumentsCheck(
  slots: number,
  slot: number,
  page: Uint8Array,
): ZswapError | undefined {
  if (!Number.isInteger(slot) || slot < 0 || slot >= slots) {
    return new ZswapOffsetError(`slot ${slot} is outside 0..${slots - 1}`);
  }
  return pageSizeError(page);
}

/** The error for I/O on a device that is closed or closing. */
export function closedError(describe: string): ZswapStateError {
  return new ZswapClosedError(`device is closed: ${describe}`);
}

/** Throws unless `slots` is a slot count a device can hold. */
export function slotsCheck(slots: unknown): asserts slots is number {
  if (typeof slots !== "number" || !Number.isInteger(slots) || slots < 1) {
    throw new ZswapOptionError(`slots must be an integer >= 1, got ${slots}`);
  }
  if (slots > AREA_SLOTS_MAX) {
    throw new ZswapOptionError(
      `slots must be at most ${AREA_SLOTS_MAX} (1 TiB of swap), got ${slots}`,
    );
  }
}

/** Throws unless `device` has what a swap device needs: read, write, close and its slots. */
export function deviceCheck(device: unknown): asserts device is SwapDevice {
  const d = device as Partial<Record<keyof SwapDevice, unknown>> | null;
  const methods = ["read", "write", "close"] as const;
  if (typeof d !== "object" || d === null || methods.some((m) => typeof d[m] !== "function")) {
    throw new ZswapOptionError(
      `device must be an object with read(slot, into), write(slot, page), close() and slots, got ${d === null ? "null" : typeof d}`,
    );
  }
  slotsCheck(d.slots);
}
