// Writeback: moving the oldest compressed pages out to their swap slots on the device, so that
// new pages keep their place in the pool ("zswap: add swap page writeback support").
//
// One writeback, on entry e of slot (type, offset):
//   1. take e off the LRU (second chance first: a REFERENCED entry is rotated once instead),
//      mark it WRITEBACK, decompress it into a writeback buffer;
//   2. await device.write(offset, buffer)  <- an await is a dropped lock: anything may happen
//   3. if e was invalidated meanwhile (ORPHANED), only release its row: the pool object was
//      freed by the invalidation, and the slot's device copy is the owner's concern now;
//      on success, erase e (index, pool, row): the device holds the page;
//      on failure, put e back on the LRU: the pool still holds the page, nothing is lost.
//
// This is safe because:
//   1. the entry keeps its pool object until the write succeeded, so a load during the write
//      is served from the pool, and a failed write loses nothing;
//   2. a row under WRITEBACK is never reused (entryFree orphans it), so step 3 cannot touch
//      another entry that took the same row;
//   3. two writes to one slot are never in flight at once (slotsBusy), so an older write cannot
//      land after a newer one; the swap layer above keeps its own writes off busy slots too.

import { Backoff } from "../backoff.ts";
import {
  PAGE_SIZE,
  ROOM_WAITERS_MAX,
  WRITEBACK_FAILURES_MAX,
  WRITEBACK_SCAN_MAX,
} from "../constants.ts";
import type { EntryIndex, SwapOffset } from "../types.ts";
import { CORRUPT, ORPHANED, REFERENCED, WRITEBACK } from "./entries.ts";
import type { Zswap } from "./zswap.ts";

/** Why a writeback pass is running: the 2013 writeback patch's pool-full reclaim, or the proactive shrinker. */
type Want = "none" | "reclaim" | "shrink";

export class Writeback {
  /** Writebacks whose device write is in flight now (the 2013 writeback patch's outstanding_writebacks). */
  inFlight = 0;
  /** Compressed bytes of the entries being written back: room that is on its way. */
  inFlightBytes = 0;
  private readonly buffers: Uint8Array[] = [];
  private readonly slotsBusy = new Set<number>();
  private readonly waiters: (() => void)[] = [];
  private failures = 0;
  private readonly backoff = new Backoff(() => this.kick());

  constructor(
    private readonly z: Zswap,
    readonly inFlightMax: number,
  ) {
    const arena = new ArrayBuffer(inFlightMax * PAGE_SIZE);
    for (let i = 0; i < inFlightMax; i++) {
      this.buffers.push(new Uint8Array(arena, i * PAGE_SIZE, PAGE_SIZE));
    }
  }

  /** Stores waiting for room now (the reviewer's waitqueue). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Starts writebacks while they are wanted and the in-flight bound allows. */
  kick(): void {
    if (this.backoff.pausing || !this.z.writebackPossible()) return;
    while (this.inFlight < this.inFlightMax && this.want() !== "none") {
      if (!this.startOne()) break;
    }
  }

  /**
   * Waits until the pool accepts stores again, for at most `ms`. Resolves true when there is
   * room, false when the wait timed out, there is no writeback to make room, or too many wait.
   */
  waitForRoom(ms: number): Promise<boolean> {
    if (this.z.poolAccepts()) {
      // Room came from a load or an invalidate, not from a writeback that would wake the
      // stores already waiting: wake them now, so they go first and do not wait for nothing.
      this.wake(this.waiters.splice(0));
      return Promise.resolve(true);
    }
    if (this.waiters.length >= ROOM_WAITERS_MAX || !this.z.writebackPossible()) {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(wake);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(wake);
      this.kick();
    });
  }

  /** Stops retrying after failures (for close). */
  stop(): void {
    this.backoff.stop();
    this.wake(this.waiters.splice(0));
  }

  private want(): Want {
    const z = this.z;
    if (z.poolAboveAccept(this.inFlightBytes) || this.waiters.length > 0) return "reclaim";
    if (z.shrinkerWants(this.inFlightBytes)) return "shrink";
    return "none";
  }

  private wake(list: (() => void)[]): void {
    for (const fn of list) fn();
  }

  /** Finds the oldest entry that may go and starts its writeback; false if none was found. */
  private startOne(): boolean {
    const t = this.z.entries;
    for (let scanned = 0; scanned < WRITEBACK_SCAN_MAX; scanned++) {
      const e = t.lruOldest();
      if (e === 0) return false;
      if (t.flags[e] & REFERENCED) {
        t.flags[e] &= ~REFERENCED; // second chance
        t.lruRotate(e);
        continue;
      }
      const key = t.type[e] * 2 ** 32 + t.offset[e];
      const device = this.z.areaDevice(t.type[e]);
      if (device === undefined || this.slotsBusy.has(key) || t.flags[e] & CORRUPT) {
        t.lruRotate(e);
        continue;
      }
      if (this.start(e, key)) return true;
    }
    return false;
  }

  /** Starts e's writeback; false when e cannot be read (it stays, for load to report). */
  private start(e: EntryIndex, key: number): boolean {
    const z = this.z;
    const t = z.entries;
    const buffer = this.buffers.pop()!;
    t.lruDel(e);
    t.flags[e] |= WRITEBACK;
    try {
      z.entryRead(e, buffer);
    } catch {
      // Corrupt data cannot be written back; it stays for load to report (decompress_fail),
      // marked so that later scans pass it by instead of decompressing it again.
      t.flags[e] = (t.flags[e] & ~WRITEBACK) | CORRUPT;
      t.lruAdd(e);
      this.buffers.push(buffer);
      return false;
    }
    const type = t.type[e];
    const offset = t.offset[e] as SwapOffset;
    const device = z.areaDevice(type)!;
    const length = t.length[e];
    this.inFlight++;
    this.inFlightBytes += length;
    this.slotsBusy.add(key);
    device.write(offset, buffer).then(
      () => this.done(e, key, length, buffer, true),
      () => this.done(e, key, length, buffer, false),
    );
    return true;
  }

  private done(e: EntryIndex, key: number, length: number, buffer: Uint8Array, ok: boolean): void {
    const z = this.z;
    const t = z.entries;
    this.inFlight--;
    this.inFlightBytes -= length;
    this.slotsBusy.delete(key);
    this.buffers.push(buffer);
    if (t.flags[e] & ORPHANED) {
      t.rowRelease(e);
    } else if (ok) {
      // Erased while still marked WRITEBACK, because start() took e off the LRU: without the
      // mark, entryDrop would unlink e a second time through its stale links, splicing freed
      // rows into the LRU. With it, entryFree orphans the row, so the row is released here.
      z.entryWrittenBack(e);
      t.rowRelease(e);
    } else {
      t.flags[e] &= ~WRITEBACK;
      t.lruAdd(e);
      z.counters.writeback_fail++;
    }
    this.failures = ok ? 0 : this.failures + 1;
    if (ok) this.backoff.reset();
    else if (this.failures >= WRITEBACK_FAILURES_MAX) {
      // After repeated failures, pause writeback, doubling the pause while failures go on.
      this.failures = 0;
      this.backoff.pause();
    }
    if (ok && this.want() === "reclaim") z.compactIfFragmented();
    if (z.poolAccepts()) this.wake(this.waiters.splice(0));
    this.kick();
  }
}
