// The entry table: one row per stored page, struct-of-arrays, no object per page.
//
// Row 0 is the LRU's sentinel: its prev is the newest entry, its next the oldest. A free row's
// `next` links the free list. Writeback (an await) may hold a row while the row's entry is
// invalidated; such a row is ORPHANED instead of freed, and the writeback frees it on completion,
// so that a row index never names two entries during one writeback.

import { assert } from "../assert.ts";
import { ENTRY_TABLE_INITIAL } from "../constants.ts";
import { grown } from "../typed-arrays.ts";
import type { ByteCount, EntryIndex, Handle, SwapOffset, SwapType } from "../types.ts";

/** Flag bits of a row. */
export const REFERENCED = 1; // used since it entered the LRU: skipped once by writeback
export const WRITEBACK = 2; // a writeback is in flight on it and holds the row
export const ORPHANED = 4; // invalidated during writeback: the writeback frees the row
export const CORRUPT = 8; // failed to decompress for writeback: writeback passes it by
export const RAW = 16; // stored uncompressed (incompressible: "store-raw"); length is PAGE_SIZE

const LRU = 0 as EntryIndex;

export class EntryTable {
  /** Pool object holding the compressed page. */
  handle = new Uint32Array(ENTRY_TABLE_INITIAL);
  /** Stored length in bytes (PAGE_SIZE for a RAW entry). */
  length = new Uint16Array(ENTRY_TABLE_INITIAL);
  /** Where the page lives in swap. */
  offset = new Uint32Array(ENTRY_TABLE_INITIAL);
  type = new Uint8Array(ENTRY_TABLE_INITIAL);
  /** Codec id (position in COMPRESSOR_NAMES) that compressed it. */
  codec = new Uint8Array(ENTRY_TABLE_INITIAL);
  flags = new Uint8Array(ENTRY_TABLE_INITIAL);
  prev = new Uint32Array(ENTRY_TABLE_INITIAL);
  next = new Uint32Array(ENTRY_TABLE_INITIAL);

  private freeHead = 0;
  private used = 1; // rows handed out so far, the sentinel included
  /** Live entries (not free, not orphaned). */
  count = 0;
  /** Live entries stored raw. */
  countRaw = 0;

  constructor() {
    this.prev[LRU] = LRU;
    this.next[LRU] = LRU;
  }

  get capacity(): number {
    return this.handle.length;
  }

  /** Bytes of typed arrays the table holds: its share of the metadata. */
  get bytes(): ByteCount {
    return (this.capacity * 21) as ByteCount;
  }

  /** The row the next entryAlloc fills; stable until a row is allocated or freed. */
  rowPeek(): EntryIndex {
    if (this.freeHead !== 0) return this.freeHead as EntryIndex;
    if (this.used === this.capacity) this.grow();
    return this.used as EntryIndex;
  }

  /** Fills row e, which rowPeek just returned. */
  entryAlloc(
    e: EntryIndex,
    type: SwapType,
    offset: SwapOffset,
    handle: Handle,
    length: number,
    codec: number,
    raw: boolean,
  ): void {
    assert(e === this.freeHead || e === this.used, "an entry takes the row rowPeek gave");
    assert(this.flags[e] === 0, "a row under writeback is never reused");
    if (e === this.freeHead) this.freeHead = this.next[e];
    else this.used++;
    this.handle[e] = handle;
    this.length[e] = length;
    this.offset[e] = offset;
    this.type[e] = type;
    this.codec[e] = codec;
    // A new entry gets one trip around the LRU (zswap_lru_add).
    this.flags[e] = REFERENCED | (raw ? RAW : 0);
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
    this.flags[e] = 0;
    this.handle[e] = 0;
    this.next[e] = this.freeHead;
    this.freeHead = e;
  }

  /** Adds e as the newest entry. */
  lruAdd(e: EntryIndex): void {
    const newest = this.prev[LRU];
    this.prev[e] = newest;
    this.next[e] = LRU;
    this.next[newest] = e;
    this.prev[LRU] = e;
  }

  /** Adds e as the oldest entry, unreferenced: writeback's next pick (BIP's placement). */
  lruAddOldest(e: EntryIndex): void {
    this.flags[e] &= ~REFERENCED;
    const oldest = this.next[LRU];
    this.prev[e] = LRU;
    this.next[e] = oldest;
    this.prev[oldest] = e;
    this.next[LRU] = e;
  }

  /** Unlinks e and links it to itself (list_del_init), so unlinking it again is harmless. */
  lruDel(e: EntryIndex): void {
    const p = this.prev[e];
    const n = this.next[e];
    this.next[p] = n;
    this.prev[n] = p;
    this.prev[e] = e;
    this.next[e] = e;
  }

  /** The oldest entry on the LRU, or 0 when it is empty. */
  lruOldest(): EntryIndex {
    return this.next[LRU] as EntryIndex;
  }

  /** Moves e to the newest end (its second chance). */
  lruRotate(e: EntryIndex): void {
    this.lruDel(e);
    this.lruAdd(e);
  }

  private grow(): void {
    const n = this.capacity * 2;
    this.handle = grown(this.handle, n);
    this.length = grown(this.length, n);
    this.offset = grown(this.offset, n);
    this.type = grown(this.type, n);
    this.codec = grown(this.codec, n);
    this.flags = grown(this.flags, n);
    this.prev = grown(this.prev, n);
    this.next = grown(this.next, n);
  }
}
