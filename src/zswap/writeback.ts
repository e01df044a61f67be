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
//
// Compressed writeback (packed-writeback.ts), for an area with a packed region: step 1 copies
// e's compressed bytes into the block being filled instead of decompressing them; the block goes
// to the device when the next object does not fit, or when no write is in flight (a write in
// flight ends with a kick, which may add to the block), or at the end of writebackNow's pass;
// step 3 then runs for each of its entries, and on success maps their slots to the block.
// The filling block has a buffer of its own, outside the in-flight bound; a block in flight
// counts as one writeback. A page stored raw, or with the region full, goes plain.
//
// Progress (mm/zswap.c's shrink_worker runs until the pool is under its accept threshold): while
// reclaim is wanted, a kick that spent its scan without starting anything goes on in a later turn
// of the event loop, until writebacks start or nothing on the LRU can be written back. Then, with
// no writeback in flight whose end could change that, the stores waiting for room are told at once.

import { assert } from "../assert.ts";
import { Backoff } from "../backoff.ts";
import type { Clock } from "../clock.ts";
import {
  PACKED_BLOCK_OBJECTS_MAX,
  PAGE_SIZE,
  ROOM_WAITERS_MAX,
  WRITEBACK_FAILURES_MAX,
  WRITEBACK_SCAN_MAX,
} from "../constants.ts";
import type { SwapDevice } from "../device/device.ts";
import type { EntryIndex, SwapOffset } from "../types.ts";
import {
  CODEC_ID_MASK,
  CORRUPT,
  type EntryTable,
  ORPHANED,
  RAW,
  REFERENCED,
  WRITEBACK,
} from "./entries.ts";
import { PACKED_BLOCK_BYTES, type PackedArea, packedPlace } from "./packed-writeback.ts";

/**
 * What writeback needs of zswap: the entry table it walks (its LRU and rows), and the decisions
 * and effects only zswap owns. Zswap implements it; writeback knows nothing else of zswap.
 */
export interface WritebackHost {
  readonly entries: EntryTable;
  readonly clock: Clock;
  /** The device area `type`'s entries are written back to, if any. */
  deviceOf(type: number): SwapDevice | undefined;
  /**
   * Decompresses entry e into `into` and returns the bytes it takes in the pool; throws
   * ZswapDataError (counted) when it cannot.
   */
  entryRead(e: EntryIndex, into: Uint8Array): number;
  /**
   * Starts decompressing entry e into `into` off the caller's thread (its area's
   * OffThreadDecompress) and returns the bytes e takes in the pool, or -1, having started
   * nothing, when e is read inline instead (entryRead). `read` is called back on the caller's
   * thread: true once `into` holds the page, false when e's bytes did not decompress to one
   * (counted, as entryRead's throw); an entry ORPHANED meanwhile is not read (true).
   */
  entryReadOff(e: EntryIndex, into: Uint8Array, read: (ok: boolean) => void): number;
  /**
   * Copies e's compressed bytes into `into` at `at` and returns their length (e not stored raw).
   */
  entryCopy(e: EntryIndex, into: Uint8Array, at: number): number;
  /** The bytes e takes in the pool. */
  entryLength(e: EntryIndex): number;
  /**
   * The device holds e's page now: erase e (index, pool, row) and count the writeback; `packed`
   * when in a packed block (whose write blockWritten counts), else in its own slot.
   */
  entryWrittenBack(e: EntryIndex, packed: boolean): void;
  /** The packed region of area `type`, when compressed writeback is on for it. */
  packedOf(type: number): PackedArea | undefined;
  /** A packed block reached the device: `pages` device pages of it. */
  blockWritten(pages: number): void;
  /** A writeback's device write failed (counted). */
  writebackFailed(): void;
  /** Stores so far (zswpout): a store during a scan can make an entry writable. */
  stores(): number;
  /** The pool, less `inFlightBytes` on their way out, is above the accept threshold. */
  reclaimWanted(inFlightBytes: number): boolean;
  /** The proactive shrinker wants the pool, less `inFlightBytes`, smaller. */
  shrinkWanted(inFlightBytes: number): boolean;
  /** A store now would pass the pool's limit check. */
  poolAccepts(): boolean;
  /** Some area has a device to write back to. */
  writebackPossible(): boolean;
  /** Compacts the pool when writebacks (this many more ended) left it fragmented (amortized). */
  compactIfFragmented(writebacks: number): void;
  /**
   * The oldest entry on the LRU writeback takes from now (a group's, or the global one); 0 for
   * none. With `groupsOnly`, only from a group over its own bound.
   */
  lruOldest(groupsOnly: boolean): EntryIndex;
  /** Gives e, which lruOldest just gave, its second chance on that LRU. */
  lruRotate(e: EntryIndex): void;
  /** A group over its own bound asked for writebacks of its entries. */
  groupWanted(): boolean;
  /** e's writeback started. */
  writebackStarted(e: EntryIndex): void;
}

/**
 * Why a writeback pass is running: the 2013 writeback patch's pool-full reclaim, the proactive
 * shrinker, or a group over its own bound.
 */
type Want = "none" | "reclaim" | "shrink" | "group";

/** What a scan of the LRU ended with: a writeback started, the kick's scan spent, or nothing writable. */
type Scan = "started" | "spent" | "stuck";

/** An entry of a packed block: its slot's key, its object's offset and length, who waits for it. */
interface Member {
  e: EntryIndex;
  key: number;
  at: number;
  length: number;
  codec: number;
  end: ((ok: boolean) => void) | undefined;
}

/** The block being filled, of one area's packed region. */
interface Fill {
  packed: PackedArea;
  block: number;
  buffer: Uint8Array;
  used: number;
  members: Member[];
}

export class Writeback {
  /** Writebacks whose device write is in flight now (the 2013 writeback patch's outstanding_writebacks). */
  inFlight = 0;
  /** Compressed bytes of the entries being written back: room that is on its way. */
  inFlightBytes = 0;
  private readonly buffers: Uint8Array[] = [];
  private readonly slotsBusy = new Set<number>();
  private readonly waiters: ((room: boolean) => void)[] = [];
  private failures = 0;
  private readonly backoff: Backoff;
  /** The next kick, when the last one spent its scan while reclaim was still wanted. */
  private rescan: NodeJS.Immediate | undefined;
  /** Entries the current kick may still look at. */
  private scanLeft = 0;
  /** Unwritable entries passed by in a row, the run that goes round the LRU (passedAround). */
  private passed = 0;
  private passedAll = 0;
  /** Stores counted (zswpout) when the run began. */
  private passedStores = 0;
  /** Callers of bufferWait, woken when a writeback ends. */
  private bufferWaiters: (() => void)[] = [];
  /** The packed block being filled, if any. */
  private fill: Fill | undefined;
  /** Buffers of packed blocks not in use, made as needed: one a block in flight, one filling. */
  private readonly blockBuffers: Uint8Array[] = [];

  constructor(
    private readonly z: WritebackHost,
    readonly inFlightMax: number,
  ) {
    this.backoff = new Backoff(() => this.kick(), z.clock);
    const arena = new ArrayBuffer(inFlightMax * PAGE_SIZE);
    for (let i = 0; i < inFlightMax; i++) {
      this.buffers.push(new Uint8Array(arena, i * PAGE_SIZE, PAGE_SIZE));
    }
  }

  /** Stores waiting for room now (the reviewer's waitqueue). */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Starts writebacks while they are wanted and the in-flight bound allows, looking at most at
   * WRITEBACK_SCAN_MAX entries; while reclaim is wanted, goes on in a later turn, or tells the
   * waiters at once that nothing can make room.
   */
  kick(): void {
    if (this.backoff.pausing || !this.z.writebackPossible()) {
      this.flushIdle();
      return;
    }
    this.scanLeft = WRITEBACK_SCAN_MAX;
    let scan: Scan = "started";
    while (scan === "started" && this.inFlight < this.inFlightMax) {
      const want = this.want();
      if (want === "none") break;
      scan = this.startOne(want === "group");
    }
    this.flushIdle();
    if (this.want() !== "reclaim") return;
    if (scan === "spent") {
      this.rescan ??= setImmediate(() => {
        this.rescan = undefined;
        this.kick();
      });
    } else if (scan === "stuck" && this.inFlight === 0) {
      this.wake(this.waiters.splice(0), this.z.poolAccepts());
    }
  }

  /**
   * Waits until the pool accepts stores again, for at most `ms`. Resolves true when there is
   * room, false when the wait timed out, nothing in the pool can be written back, or too many wait.
   */
  waitForRoom(ms: number): Promise<boolean> {
    if (this.z.poolAccepts()) {
      // Room came from a load or an invalidate, not from a writeback that would wake the
      // stores already waiting: wake them now, so they go first and do not wait for nothing.
      this.wake(this.waiters.splice(0), true);
      return Promise.resolve(true);
    }
    if (this.waiters.length >= ROOM_WAITERS_MAX || !this.z.writebackPossible()) {
      return Promise.resolve(false);
    }
    const clock = this.z.clock;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => {
        const i = this.waiters.indexOf(wake);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, ms);
      const wake = (room: boolean) => {
        clock.clearTimeout(timer);
        resolve(room);
      };
      this.waiters.push(wake);
      this.kick();
    });
  }

  /** Stops retrying after failures (for close). */
  stop(): void {
    this.backoff.stop();
    clearImmediate(this.rescan);
    this.rescan = undefined;
    this.wake(this.waiters.splice(0), true);
    this.fillCancel();
    this.buffersWake();
  }

  /**
   * Starts entry e's writeback now, out of LRU order (zram's writeback_store), if a buffer is
   * free, e's area has a device, its slot is not busy and its data reads; resolves true once the
   * device holds its page, false when the write failed (e stays, back on the LRU). Undefined
   * when it did not start.
   */
  startNow(e: EntryIndex): Promise<boolean> | undefined {
    const t = this.z.entries;
    const key = t.type[e] * 2 ** 32 + t.offset[e];
    if (this.inFlight >= this.inFlightMax || this.slotsBusy.has(key)) return undefined;
    if (this.z.deviceOf(t.type[e]) === undefined) return undefined;
    let end!: (ok: boolean) => void;
    const ended = new Promise<boolean>((resolve) => {
      end = resolve;
    });
    return this.start(e, key, end) ? ended : undefined;
  }

  /** Resolves when a writeback in flight ends (a buffer is free), or at stop(). */
  bufferWait(): Promise<void> {
    if (this.inFlight < this.inFlightMax) return Promise.resolve();
    return new Promise((resolve) => this.bufferWaiters.push(resolve));
  }

  private buffersWake(): void {
    for (const fn of this.bufferWaiters.splice(0)) fn();
  }

  private want(): Want {
    const z = this.z;
    if (z.reclaimWanted(this.inFlightBytes) || this.waiters.length > 0) return "reclaim";
    if (z.shrinkWanted(this.inFlightBytes)) return "shrink";
    return z.groupWanted() ? "group" : "none";
  }

  private wake(list: ((room: boolean) => void)[], room: boolean): void {
    for (const fn of list) fn(room);
  }

  /**
   * Finds the oldest entry that may go and starts its writeback, within the kick's scan. Stuck
   * when the LRU is empty, or when a run of unwritable entries (CORRUPT, no device, slot busy)
   * has gone round it.
   */
  private startOne(groupsOnly: boolean): Scan {
    const t = this.z.entries;
    for (; this.scanLeft > 0; this.scanLeft--) {
      const e = this.z.lruOldest(groupsOnly);
      if (e === 0) return "stuck";
      if (t.flags[e] & REFERENCED) {
        t.flags[e] &= ~REFERENCED; // second chance
        this.z.lruRotate(e);
        this.passed = 0;
        continue;
      }
      const key = t.type[e] * 2 ** 32 + t.offset[e];
      const device = this.z.deviceOf(t.type[e]);
      if (device === undefined || this.slotsBusy.has(key) || t.flags[e] & CORRUPT) {
        this.z.lruRotate(e);
      } else if (this.start(e, key)) {
        this.scanLeft--;
        this.passed = 0;
        return "started";
      }
      if (this.passedAround()) return "stuck";
    }
    return "spent";
  }

  /**
   * Counts an unwritable entry passed by; true when the run of them has gone round the LRU.
   * A run as long as the entries stored when it began (passedAll) does, because:
   *   1. the LRU holds at most that many; entries freed since only shorten it, and each passed
   *      entry goes to the newest end, behind the others;
   *   2. an entry stored during the run (zswpout moved) may sit behind the run's end, so the run
   *      starts over; the entry came in REFERENCED and is writable after its second chance;
   *   3. only a writeback's end makes an unwritable entry writable (a slot no longer busy, an
   *      entry back on the LRU), and done() ends the run, as a second chance or a start does.
   */
  private passedAround(): boolean {
    const stores = this.z.stores();
    if (this.passed === 0 || stores !== this.passedStores) {
      this.passed = 0;
      this.passedAll = this.z.entries.count;
      this.passedStores = stores;
    }
    if (++this.passed < this.passedAll) return false;
    this.passed = 0;
    return true;
  }

  /**
   * Starts e's writeback; false when e cannot be read (it stays, for load to report). `end`
   * hears whether the write succeeded.
   */
  private start(e: EntryIndex, key: number, end?: (ok: boolean) => void): boolean {
    const z = this.z;
    const t = z.entries;
    const packed = t.flags[e] & RAW ? undefined : z.packedOf(t.type[e]);
    if (packed !== undefined && this.pack(e, key, packed, end)) return true;
    const buffer = this.buffers.pop()!;
    t.lruDel(e);
    t.flags[e] |= WRITEBACK;
    const off = z.entryReadOff(e, buffer, (ok) => this.read(e, key, off, buffer, ok, end));
    if (off >= 0) {
      this.begin(e, key, off);
      return true;
    }
    let length: number;
    try {
      length = z.entryRead(e, buffer);
    } catch {
      this.corrupt(e, buffer);
      return false;
    }
    this.begin(e, key, length);
    this.write(e, key, length, buffer, end);
    return true;
  }

  /** Counts e's writeback, of `length` pool bytes, in flight from now. */
  private begin(e: EntryIndex, key: number, length: number): void {
    this.inFlight++;
    this.inFlightBytes += length;
    this.slotsBusy.add(key);
    this.z.writebackStarted(e);
  }

  /**
   * Corrupt data cannot be written back; it stays for load to report (decompress_fail), marked
   * so that later scans pass it by instead of decompressing it again.
   */
  private corrupt(e: EntryIndex, buffer: Uint8Array): void {
    const t = this.z.entries;
    t.flags[e] = (t.flags[e] & ~WRITEBACK) | CORRUPT;
    t.lruAdd(e);
    this.buffers.push(buffer);
  }

  private write(
    e: EntryIndex,
    key: number,
    length: number,
    buffer: Uint8Array,
    end: ((ok: boolean) => void) | undefined,
  ): void {
    const t = this.z.entries;
    const device = this.z.deviceOf(t.type[e])!;
    device.write(t.offset[e] as SwapOffset, buffer).then(
      () => this.done(e, key, length, buffer, true, end),
      () => this.done(e, key, length, buffer, false, end),
    );
  }

  /**
   * e's page was decompressed off-thread (ok), or its bytes were corrupt. An entry invalidated
   * meanwhile is not written: its slot may hold another page by now, which the write would
   * overwrite. Its row is released as a write's end releases it.
   */
  private read(
    e: EntryIndex,
    key: number,
    length: number,
    buffer: Uint8Array,
    ok: boolean,
    end: ((ok: boolean) => void) | undefined,
  ): void {
    const t = this.z.entries;
    if (t.flags[e] & ORPHANED) {
      this.done(e, key, length, buffer, true, end);
    } else if (ok) {
      this.write(e, key, length, buffer, end);
    } else {
      // As the inline read's failure, after its start was counted: uncounted again.
      this.inFlight--;
      this.inFlightBytes -= length;
      this.slotsBusy.delete(key);
      this.corrupt(e, buffer);
      end?.(false);
      this.buffersWake();
      this.kick();
    }
  }

  private done(
    e: EntryIndex,
    key: number,
    length: number,
    buffer: Uint8Array,
    ok: boolean,
    end: ((ok: boolean) => void) | undefined,
  ): void {
    this.inFlight--;
    this.buffers.push(buffer);
    this.entryEnd(e, key, length, ok, false);
    this.ended(ok, [end]);
  }

  /** Ends e's writeback; true when the device holds its page now (e erased). */
  private entryEnd(e: EntryIndex, key: number, length: number, ok: boolean, packed: boolean) {
    const z = this.z;
    const t = z.entries;
    this.inFlightBytes -= length;
    this.slotsBusy.delete(key);
    if (t.flags[e] & ORPHANED) {
      t.rowRelease(e);
    } else if (ok) {
      // Erased while still marked WRITEBACK, because start() took e off the LRU: without the
      // mark, entryDrop would unlink e a second time through its stale links, splicing freed
      // rows into the LRU. With it, entryFree orphans the row, so the row is released here.
      z.entryWrittenBack(e, packed);
      t.rowRelease(e);
      return true;
    } else {
      t.flags[e] &= ~WRITEBACK;
      t.lruAdd(e);
      z.writebackFailed();
    }
    return false;
  }

  /** After a device write ended: the backoff, compaction, the waiters, then more writebacks. */
  private ended(ok: boolean, ends: readonly (((ok: boolean) => void) | undefined)[]): void {
    const z = this.z;
    this.passed = 0;
    this.failures = ok ? 0 : this.failures + 1;
    if (ok) this.backoff.reset();
    else if (this.failures >= WRITEBACK_FAILURES_MAX) {
      // After repeated failures, pause writeback, doubling the pause while failures go on.
      this.failures = 0;
      this.backoff.pause();
    }
    if (ok && this.want() === "reclaim") z.compactIfFragmented(ends.length);
    if (z.poolAccepts()) this.wake(this.waiters.splice(0), true);
    for (const end of ends) end?.(ok);
    this.buffersWake();
    this.kick();
  }

  // --- compressed writeback ---

  /**
   * Adds e's compressed bytes to the block being filled of its area's packed region, sending that
   * block first when they do not fit; false when the region has no free block (e goes plain).
   */
  private pack(
    e: EntryIndex,
    key: number,
    packed: PackedArea,
    end: ((ok: boolean) => void) | undefined,
  ): boolean {
    const z = this.z;
    const t = z.entries;
    const length = z.entryLength(e);
    const old = this.fill;
    const fits =
      old !== undefined &&
      old.packed === packed &&
      old.used + length <= PACKED_BLOCK_BYTES &&
      old.members.length < PACKED_BLOCK_OBJECTS_MAX;
    if (!fits) {
      // The new block first: with none free, e goes plain, and the old block must not have
      // taken the in-flight place that e's write needs.
      const block = packed.blockTake();
      if (block < 0) return false;
      this.flush();
      assert(this.fill === undefined, "a writeback starts only below the in-flight bound");
      const buffer = this.blockBuffers.pop() ?? new Uint8Array(PACKED_BLOCK_BYTES);
      this.fill = { packed, block, buffer, used: 0, members: [] };
    }
    const f = this.fill!;
    t.lruDel(e);
    t.flags[e] |= WRITEBACK;
    const at = f.used;
    f.used += z.entryCopy(e, f.buffer, at);
    f.members.push({ e, key, at, length, codec: t.codec[e] & CODEC_ID_MASK, end });
    this.inFlightBytes += length;
    this.slotsBusy.add(key);
    z.writebackStarted(e);
    return true;
  }

  /**
   * Sends the block being filled to the device; at the in-flight bound it waits, and the next
   * write to end sends it (its kick).
   */
  flush(): void {
    const f = this.fill;
    if (f === undefined || this.inFlight >= this.inFlightMax) return;
    this.fill = undefined;
    this.inFlight++;
    f.buffer.fill(0, f.used);
    f.packed.blockWriting(f.block);
    f.packed.blockWrite(f.block, f.buffer, f.used).then(
      (pages) => this.blockDone(f, pages),
      () => this.blockDone(f, 0),
    );
  }

  /**
   * Sends the block being filled once no write is in flight: while one is, its end kicks again
   * and may add to the block, so blocks go out fuller than one kick's share would fill them.
   */
  private flushIdle(): void {
    if (this.inFlight === 0) this.flush();
  }

  /**
   * A block's write ended, `pages` of it written (0: it failed): each entry's writeback ends,
   * and its live objects are mapped.
   */
  private blockDone(f: Fill, pages: number): void {
    const t = this.z.entries;
    const ok = pages > 0;
    this.inFlight--;
    this.blockBuffers.push(f.buffer);
    const places: [SwapOffset, number][] = [];
    for (const m of f.members) {
      const slot = t.offset[m.e] as SwapOffset;
      if (this.entryEnd(m.e, m.key, m.length, ok, true)) {
        places.push([slot, packedPlace({ block: f.block, ...m, offset: m.at })]);
      }
    }
    if (ok) {
      f.packed.blockWritten(f.block, places);
      this.z.blockWritten(pages);
    } else f.packed.blockFailed(f.block);
    this.ended(
      ok,
      f.members.map((m) => m.end),
    );
  }

  /** At stop: the block being filled is not written (its entries count as failed writebacks, and stay). */
  private fillCancel(): void {
    const f = this.fill;
    if (f === undefined) return;
    this.fill = undefined;
    this.blockBuffers.push(f.buffer);
    f.packed.blockWriting(f.block);
    f.packed.blockFailed(f.block);
    for (const m of f.members) {
      this.entryEnd(m.e, m.key, m.length, false, true);
      m.end?.(false);
    }
  }
}
