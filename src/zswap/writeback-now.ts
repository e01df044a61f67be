// On-demand writeback (zram's `writeback` file): the entries of a type (idle, huge, huge_idle,
// incompressible) go to the device now, in row order, within a budget of pages when the budget
// is on (zram's writeback_limit and writeback_limit_enable). Writeback of the pool limit and the
// shrinker goes on as before, outside the budget: a store it would refuse goes to the device as
// well, so bounding it would not save a device write.
//
// One pass, over rows 1..rowsUsed:
//   1. a row of the type, live, not under writeback and readable, is a candidate;
//   2. at the in-flight bound, await a writeback's end   <- a dropped lock: the row is looked at
//      again after it, since its entry may have gone and another taken the row;
//   3. take a page of the budget, start the writeback (writeback.ts does the rest, and keeps
//      the page in the pool until the device holds it); a write that fails gives the page back.
// The pass resolves once every writeback it started has ended, with the pages written.

import type { EntryIndex } from "../types.ts";
import type { EntryTable } from "./entries.ts";
import { entryAvailable, entryIsType, type WritebackType } from "./idle.ts";
import type { Writeback } from "./writeback.ts";

/** The writeback budget (zram's writeback_limit), kept by zswap. */
export interface WritebackBudget {
  /** Takes a page of the budget: false when it is on and spent. */
  take(): boolean;
  /** Gives back a page taken for a write that failed. */
  refund(): void;
}

export async function writebackNowRun(
  w: Writeback,
  t: EntryTable,
  type: WritebackType,
  pagesMax: number,
  budget: WritebackBudget,
): Promise<number> {
  let started = 0;
  let written = 0;
  let pending = 0;
  let allEnded: (() => void) | undefined;
  const ended = (ok: boolean) => {
    if (ok) written++;
    else budget.refund();
    if (--pending === 0) allEnded?.();
  };
  const wanted = (e: EntryIndex) => entryAvailable(t, e) && entryIsType(t, e, type);
  for (let e = 1 as EntryIndex; e < t.rowsUsed && started < pagesMax; e++) {
    if (!wanted(e)) continue;
    while (w.inFlight >= w.inFlightMax) await w.bufferWait();
    if (!wanted(e)) continue;
    if (!budget.take()) break;
    const end = w.startNow(e);
    if (end === undefined) {
      budget.refund();
      continue;
    }
    started++;
    pending++;
    void end.then(ended);
  }
  w.flush(); // a packed block still being filled goes now
  if (pending > 0) {
    await new Promise<void>((resolve) => {
      allEnded = resolve;
    });
  }
  return written;
}
