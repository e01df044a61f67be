// Idle tracking, as zram keeps it: every entry has an access time (its store, or a
// non-exclusive load) in ticks of IDLE_TICK_MS, and an idle mark that markIdle sets (on every
// entry, or on those not accessed for a given time) and an access clears. On-demand writeback and
// recompression choose their pages by this mark, zram's incompressible mark, and the entry's RAW
// flag (zram's "huge").
//
// One byte an entry holds both: a tick modulo 255, or ATIME_IDLE once marked idle. The mark
// stays until an access, which writes a tick again, so an idle entry's age is never needed.
// Ages are read modulo 255 ticks, at most IDLE_AGE_TICKS_MAX, which is also the most markIdle
// asks for: a walk marks every entry at least that old idle, so with a walk at least every 128
// ticks (25.6 h) no access time is ever read after it wrapped.

import type { Clock } from "../clock.ts";
import { IDLE_AGE_TICKS_MAX, IDLE_TICK_MS } from "../constants.ts";
import { optionBad } from "../errors.ts";
import type { EntryIndex } from "../types.ts";
import { ATIME_IDLE, CORRUPT, type EntryTable, INCOMPRESSIBLE, RAW, WRITEBACK } from "./entries.ts";

/** Ticks an access time tells apart: ATIME_IDLE is not one. */
const TICKS = ATIME_IDLE;

/** Which entries on-demand writeback takes (zram's `writeback` types). */
export type WritebackType = "idle" | "huge" | "huge_idle" | "incompressible";
export const WRITEBACK_TYPES: readonly WritebackType[] = [
  "idle",
  "huge",
  "huge_idle",
  "incompressible",
];

/** Which entries recompression looks at (zram's `recompress` types; "all" when none is given). */
export type RecompressType = "all" | "idle" | "huge" | "huge_idle";
export const RECOMPRESS_TYPES: readonly RecompressType[] = ["all", "idle", "huge", "huge_idle"];

/** The clock's time in ticks, modulo 255: what an entry's access time holds. */
export function tickNow(clock: Clock): number {
  return Math.floor(clock.now() / IDLE_TICK_MS) % TICKS;
}

/** Ticks since the access at `atime`, at most IDLE_AGE_TICKS_MAX. */
function ageTicks(atime: number, now: number): number {
  return Math.min((now - atime + TICKS) % TICKS, IDLE_AGE_TICKS_MAX);
}

/** Entry e was accessed now: its access time moves, its idle mark goes (zram_accessed). */
export function entryAccessed(t: EntryTable, e: EntryIndex, now: number): void {
  t.atime[e] = now;
}

/**
 * Marks idle every live entry, or those not accessed for at least `olderThanMs` (resolved to
 * whole ticks); returns how many entries are marked idle now.
 */
export function idleMark(t: EntryTable, now: number, olderThanMs: number | undefined): number {
  let olderThan = 0;
  if (olderThanMs !== undefined) {
    const msMax = IDLE_AGE_TICKS_MAX * IDLE_TICK_MS;
    if (typeof olderThanMs !== "number" || !(olderThanMs >= 0 && olderThanMs <= msMax)) {
      optionBad(`olderThanMs must be a number in 0..${msMax}, got ${String(olderThanMs)}`);
    }
    olderThan = Math.ceil(olderThanMs / IDLE_TICK_MS);
  }
  let idle = 0;
  for (let e = 1 as EntryIndex; e < t.rowsUsed; e++) {
    if (!t.isLive(e)) continue;
    if (t.atime[e] !== ATIME_IDLE && ageTicks(t.atime[e], now) >= olderThan) {
      t.atime[e] = ATIME_IDLE;
    }
    if (t.atime[e] === ATIME_IDLE) idle++;
  }
  return idle;
}

/** True when live entry e is of `type` (zram's scan_slots_for_writeback / _recompress). */
export function entryIsType(
  t: EntryTable,
  e: EntryIndex,
  type: WritebackType | RecompressType,
): boolean {
  const idle = t.atime[e] === ATIME_IDLE;
  const raw = (t.flags[e] & RAW) !== 0;
  switch (type) {
    case "all":
      return true;
    case "idle":
      return idle;
    case "huge":
      return raw;
    case "huge_idle":
      return raw && idle;
    case "incompressible":
      return (t.codec[e] & INCOMPRESSIBLE) !== 0;
  }
}

/** True when entry e is live, not being written back and readable: what the tools may take. */
export function entryAvailable(t: EntryTable, e: EntryIndex): boolean {
  return t.isLive(e) && (t.flags[e] & (WRITEBACK | CORRUPT)) === 0;
}

/** A count of pages: undefined for no bound, else a whole number >= 0. */
export function pagesBound(name: string, v: unknown): number {
  if (v === undefined) return Number.POSITIVE_INFINITY;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    optionBad(`${name} must be a whole number of pages >= 0, got ${String(v)}`);
  }
  return v;
}
