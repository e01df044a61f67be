// The entry table: one row per stored page, struct-of-arrays, no object per page, 8 bytes a row.
//
// A row holds what only zswap knows of a page: where it lives in swap (type, offset), the codec
// that compressed it, and its flags. The rest is kept once, elsewhere: the area's index maps the
// slot to the page's pool handle, and the pool object's header holds its length and, as its tag,
// this row. Idle tracking adds an access time, a byte (idle.ts). Rows are allocated from a free list (linked through `offset`), so a row index names
// one entry from entryAlloc to rowRelease. Writeback (an await) may hold a row while the row's
// entry is invalidated; such a row is ORPHANED instead of freed, and the writeback frees it on
// completion, so that a row index never names two entries during one writeback.
//
// The LRU is a CLOCK over the rows (zswap's second-chance list_lru, without its two links a row):
// a row is on it while its LRU bit is set; the hand sweeps the rows in order, and a REFERENCED
// entry it reaches is rotated (its bit cleared, the hand moved past it), so it comes up again
// only after every other entry has. lruOldest is the first row on the LRU at or after the hand.
// Entries placed at the oldest end (dip following BIP) wait on a stack above the ring instead,
// 4 bytes a place, kept only while that placement is in use.

import { assert } from "../assert.ts";
import { ENTRY_ROWS_MAX, ENTRY_TABLE_STEP } from "../constants.ts";
import { growable, growTo } from "../typed-arrays.ts";
import type { ByteCount, EntryIndex, SwapOffset, SwapType } from "../types.ts";

/** Flag bits of a row. */
export const REFERENCED = 1; // used since it entered the LRU: skipped once by writeback
export const WRITEBACK = 2; // a writeback is in flight on it and holds the row
export const ORPHANED = 4; // invalidated during writeback: the writeback frees the row
export const CORRUPT = 8; // failed to decompress for writeback: writeback passes it by
export const RAW = 16; // stored uncompressed (incompressible: "store-raw"); length is PAGE_SIZE
export const LRU = 32; // on the LRU (the CLOCK's ring): a live entry not under writeback
const OLDEST = 64; // on the LRU, placed oldest (lruAddOldest): on the oldest stack
const SEEN = 128; // only while the oldest stack is compacted: a place of this row was kept

/**
 * zram's ZRAM_INCOMPRESSIBLE, in the codec byte's top bit (codec ids are below it; `flags` has
 * no bit left): no recompressor saved the page a size class.
 */
export const INCOMPRESSIBLE = 0x80;
/** The codec byte's id bits. */
export const CODEC_ID_MASK = 0x7f;
/** An access time that is not one: marked idle (zram's ZRAM_IDLE), not accessed since. */
export const ATIME_IDLE = 0xff;

/** Bytes of one row: offset 4, type, codec, flags and access time 1 each. */
const ROW_BYTES = 8;
/** Ends the free list; row 0 is never an entry. */
const ROW_NONE = 0;

export class EntryTable {
  // The arrays grow in place and are replaced by longer views of the same memory when they do.
  /** Where the page lives in swap; a free row's next free row. */
  offset = growable(Uint32Array, ENTRY_ROWS_MAX);
  type = growable(Uint8Array, ENTRY_ROWS_MAX);
  /** Codec id that compressed it (a name or a zstd dictionary: codec-slots.ts), and INCOMPRESSIBLE. */
  codec = growable(Uint8Array, ENTRY_ROWS_MAX);
  flags = growable(Uint8Array, ENTRY_ROWS_MAX);
  /** Last store or load, in IDLE_TICK_MS ticks modulo 255, or ATIME_IDLE (see idle.ts). */
  atime = growable(Uint8Array, ENTRY_ROWS_MAX);

  private freeHead = ROW_NONE;
  private used = 1; // rows handed out so far, row 0 included
  /** The CLOCK's hand: the row the next lruOldest looks at first. */
  private hand = 1;
  /** Rows on the LRU. */
  private lruCount = 0;
  /** Entries placed oldest, the next pick on top, with stale places among them (see lruDel). */
  private oldest = growable(Uint32Array, ENTRY_ROWS_MAX);
  private oldestCount = 0;
  /** Live entries (not free, not orphaned). */
  count = 0;
  /** Live entries stored raw. */
  countRaw = 0;

  get capacity(): number {
    return this.flags.length;
  }

  /** Bytes of the rows the table has committed: its share of the metadata. */
  get bytes(): ByteCount {
    return (this.capacity * ROW_BYTES + this.oldest.byteLength) as ByteCount;
  }

  /** The row the next entryAlloc fills; stable until a row is allocated or freed. */
  rowPeek(): EntryIndex {
    if (this.freeHead !== ROW_NONE) return this.freeHead as EntryIndex;
    if (this.used >= this.capacity) this.grow();
    return this.used as EntryIndex;
  }

  /** Rows handed out so far (row 0 included): every entry's row is below it. */
  get rowsUsed(): number {
    return this.used;
  }

  /** True for the row of a stored entry (under writeback or not), false for a free or orphaned one. */
  isLive(e: EntryIndex): boolean {
    const f = this.flags[e];
    return f !== 0 && (f & ORPHANED) === 0;
  }

  /** Fills row e, which rowPeek just returned; `tick` is the store's access time. */
  entryAlloc(
    e: EntryIndex,
    type: SwapType,
    offset: SwapOffset,
    codec: number,
    raw: boolean,
    tick: number,
  ): void {
    assert(e === this.freeHead || e === this.used, "an entry takes the row rowPeek gave");
    assert(this.flags[e] === 0, "a row under writeback is never reused");
    assert((codec & ~CODEC_ID_MASK) === 0, "a codec id leaves the INCOMPRESSIBLE bit free");
    if (e === this.freeHead) this.freeHead = this.offset[e];
    else this.used++;
    this.offset[e] = offset;
    this.type[e] = type;
    this.codec[e] = codec;
    // A new entry gets one trip around the LRU (zswap_lru_add).
    this.flags[e] = REFERENCED | (raw ? RAW : 0);
    this.atime[e] = tick;
    this.count++;
    if (raw) this.countRaw++;
  }

  /** Retires a live entry's row: freed now, or orphaned while a writeback holds it. */
  entryFree(e: EntryIndex): void {
    this.count--;
    if (this.flags[e] & RAW) this.countRaw--;
    if (this.flags[e] & WRITEBACK) {
      this.flags[e] = WRITEBACK | ORPHANED;
      return;
    }
    this.rowRelease(e);
  }

  /** Returns a row to the free list; for a writeback ending on an orphaned row. */
  rowRelease(e: EntryIndex): void {
    assert((this.flags[e] & LRU) === 0, "a row leaves the LRU before it is freed");
    this.flags[e] = 0;
    this.offset[e] = this.freeHead;
    this.freeHead = e;
  }

  /**
   * Puts e on the LRU (zswap_lru_add). A row stays where it is in the ring, so e comes up when
   * the hand next reaches it; e at the hand (an entry writeback put back, a row it freed and a
   * store took) is passed at once, so that it comes up last.
   */
  lruAdd(e: EntryIndex): void {
    assert((this.flags[e] & LRU) === 0, "an entry is on the LRU once");
    this.flags[e] |= LRU;
    this.lruCount++;
    if (e === this.hand) this.hand = e + 1;
  }

  /**
   * Puts e on the LRU as its oldest entry, unreferenced: writeback's next pick (BIP's placement).
   * Such entries wait on a stack above the ring, the last placed on top, and go before any other.
   */
  lruAddOldest(e: EntryIndex): void {
    assert((this.flags[e] & LRU) === 0, "an entry is on the LRU once");
    this.flags[e] = (this.flags[e] & ~REFERENCED) | LRU | OLDEST;
    this.lruCount++;
    if (this.oldestCount === this.oldest.length) this.oldestCompact();
    if (this.oldestCount === this.oldest.length) {
      this.oldest = growTo(
        this.oldest,
        Math.min(this.oldest.length + ENTRY_TABLE_STEP, ENTRY_ROWS_MAX),
      );
    }
    this.oldest[this.oldestCount++] = e;
  }

  /** Takes e off the LRU; harmless when it is not on it (list_del_init). */
  lruDel(e: EntryIndex): void {
    if ((this.flags[e] & LRU) === 0) return;
    // Its place on the oldest stack, if it has one, is dropped when it comes to the top.
    this.flags[e] &= ~(LRU | OLDEST);
    this.lruCount--;
  }

  /**
   * The oldest entry on the LRU: the top of the oldest stack, else the first row at or after the
   * hand; 0 when the LRU is empty.
   */
  lruOldest(): EntryIndex {
    if (this.lruCount === 0) return 0 as EntryIndex;
    const flags = this.flags;
    while (this.oldestCount > 0) {
      const top = this.oldest[this.oldestCount - 1]!;
      if (flags[top] & OLDEST) return top as EntryIndex;
      this.oldestCount--;
    }
    let e = this.hand;
    for (;;) {
      if (e >= this.used) e = 1;
      if (flags[e] & LRU) break;
      e++;
    }
    this.hand = e;
    return e as EntryIndex;
  }

  /**
   * A group's CLOCK (groups.ts): the first row on the LRU at or after `from` whose area is in
   * `typeMask` (bit `type` set), within one lap of the rows; 0 when there is none. Entries
   * placed oldest are met where their rows are: the oldest stack is the global CLOCK's.
   */
  lruOldestIn(from: number, typeMask: number): EntryIndex {
    if (this.lruCount === 0) return 0 as EntryIndex;
    const { flags, type, used } = this;
    let e = from >= 1 && from < used ? from : 1;
    for (let n = used - 1; n > 0; n--) {
      if (flags[e]! & LRU && (typeMask >>> type[e]!) & 1) return e as EntryIndex;
      if (++e >= used) e = 1;
    }
    return 0 as EntryIndex;
  }

  /** Moves the hand past e, the oldest entry, which becomes the newest (its second chance). */
  lruRotate(e: EntryIndex): void {
    if (this.flags[e] & OLDEST) {
      // Used since it was placed oldest: it joins the ring where its row is.
      assert(
        this.oldest[this.oldestCount - 1] === e,
        "the entry rotated is the one lruOldest gave",
      );
      this.flags[e] &= ~OLDEST;
      this.oldestCount--;
      return;
    }
    assert(e === this.hand, "the entry rotated is the one lruOldest gave");
    this.hand = e + 1;
  }

  /**
   * Drops the oldest stack's stale places (entries that left the LRU, and all but the topmost
   * place of a row placed twice), keeping the order, so the stack never outgrows the table.
   */
  private oldestCompact(): void {
    const { flags, oldest } = this;
    for (let i = this.oldestCount - 1; i >= 0; i--) {
      const e = oldest[i]!;
      if ((flags[e] & (OLDEST | SEEN)) === OLDEST) flags[e] |= SEEN;
      else oldest[i] = ROW_NONE;
    }
    let n = 0;
    for (let i = 0; i < this.oldestCount; i++) {
      const e = oldest[i]!;
      if (e === ROW_NONE) continue;
      flags[e] &= ~SEEN;
      oldest[n++] = e;
    }
    this.oldestCount = n;
  }

  private grow(): void {
    const length = Math.min(this.capacity + ENTRY_TABLE_STEP, ENTRY_ROWS_MAX);
    assert(length > this.capacity, "a row for every pool object (ENTRY_ROWS_MAX)");
    this.offset = growTo(this.offset, length);
    this.type = growTo(this.type, length);
    this.codec = growTo(this.codec, length);
    this.flags = growTo(this.flags, length);
    this.atime = growTo(this.atime, length);
  }
}
