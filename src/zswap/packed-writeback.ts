// Compressed writeback (proposed for zram, never merged): writeback writes an entry's compressed
// bytes, several to a device block, instead of decompressing it into a page of its own. The
// device stays page-granular: its slots after the area's (the packed region) are taken
// PACKED_BLOCK_PAGES at a time as blocks, each holding the compressed objects of several slots,
// which may cross the page boundaries inside it (a zspage's layout), and a swap-in reads the one
// or two pages its object lies on. One PackedArea per swap area keeps:
//   - a map from swap slot to its object's place: block, offset, length and codec id (a codec by
//     name or a zstd dictionary, whose id codec-slots.ts keeps while any object uses it);
//   - per block, its state, its live objects and the reads in flight on it.
//
// Block lifetime:
//   1. FREE -> FILLING: writeback takes a free block for the objects it gathers (blockTake);
//   2. FILLING -> WRITING: the block's buffer goes to the device; a block being written is
//      neither free nor readable (no slot maps to it yet), so it cannot be reused;
//   3. WRITING -> WRITTEN when the write succeeded and some of its objects are still wanted
//      (blockWritten maps their slots), else FREE at once: a failed write maps nothing, and
//      every object stays in the pool (writeback.ts);
//   4. WRITTEN -> FREE when its last object dies (a store to its slot, an invalidate).
// Space comes back only when all of a block's objects die, not by compaction: compaction would
// write live objects again (device writes are what this tool saves) and, with reads in flight
// on the old block, need a second copy of its map. A region that fills up (FREE none) is not a
// failure: writeback then writes plain pages to the slots themselves, as without this tool.
//
// A read of a packed slot pins its block across the await (a dropped lock), so that the block
// is not freed, refilled and rewritten under it: a block whose last object died while pinned
// goes FREE at its last unpin.

import { assert } from "../assert.ts";
import {
  PACKED_BLOCK_PAGES,
  PACKED_BLOCKS_MAX,
  PACKED_REGION_PERCENT,
  PAGE_SIZE,
} from "../constants.ts";
import type { SwapDevice } from "../device/device.ts";
import type { SwapOffset } from "../types.ts";

const FREE = 0;
const FILLING = 1;
const WRITING = 2;
const WRITTEN = 3;

/** Bytes of one block. */
export const PACKED_BLOCK_BYTES = PACKED_BLOCK_PAGES * PAGE_SIZE;

/**
 * A place packs block * 2^33 + codec * 2^26 + offset * 2^12 + (length - 1), an exact double
 * (blocks < 2^20, codec ids < 2^7, offsets < 2^14, lengths <= 2^12): one number a slot.
 */
const PLACE_BLOCK = 2 ** 33;
const PLACE_CODEC = 2 ** 26;
const PLACE_OFFSET = 2 ** 12;

/**
 * Device slots a packed region gets after an area of `slots` slots (PACKED_REGION_PERCENT of
 * them, in whole blocks): a device for compressed writeback holds slots + packedRegionSlots(slots).
 */
export function packedRegionSlots(slots: number): number {
  const pages = Math.ceil((slots * PACKED_REGION_PERCENT) / 100);
  return Math.ceil(pages / PACKED_BLOCK_PAGES) * PACKED_BLOCK_PAGES;
}

/** Where a packed object lives, as its parts. */
export interface PackedPlace {
  block: number;
  codec: number;
  offset: number;
  length: number;
}

export function packedPlace(p: PackedPlace): number {
  assert(p.offset + p.length <= PACKED_BLOCK_BYTES, "a packed object fits its block");
  assert(p.length > 0 && p.length <= PAGE_SIZE, "a packed object is at most a page");
  return p.block * PLACE_BLOCK + p.codec * PLACE_CODEC + p.offset * PLACE_OFFSET + p.length - 1;
}

function placeParts(place: number): PackedPlace {
  const low = place % PLACE_BLOCK;
  return {
    block: Math.floor(place / PLACE_BLOCK),
    codec: Math.floor(low / PLACE_CODEC),
    offset: Math.floor(low / PLACE_OFFSET) % (PLACE_CODEC / PLACE_OFFSET),
    length: (low % PLACE_OFFSET) + 1,
  };
}

/** Decompresses `bytes[from, to)` with codec `codec` into a page; returns the bytes produced. */
export type PackedDecompress = (
  codec: number,
  bytes: Uint8Array,
  from: number,
  to: number,
  into: Uint8Array,
) => number;

/**
 * Waits for every I/O of a block, then rejects with the first failure: none may still be in
 * flight once the block can be given back (or a read's pin dropped).
 */
async function allSettled(io: readonly Promise<void>[]): Promise<void> {
  const settled = await Promise.allSettled(io);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}

export class PackedArea {
  /** slot -> place: one per live object, so at most blocks * (PAGE_SIZE / smallest object). */
  readonly #places = new Map<number, number>();
  readonly #state: Uint8Array;
  readonly #live: Uint16Array;
  readonly #pins: Uint16Array;
  readonly #free: Int32Array;
  #freeCount: number;
  /** Blocks holding live objects now (WRITTEN). */
  blocksHeld = 0;

  /**
   * Blocks are the device's slots from firstSlot on, PACKED_BLOCK_PAGES a block (at most
   * PACKED_BLOCKS_MAX); `device` is the one writeback writes to, which reads of packed slots go
   * through too.
   */
  constructor(
    readonly device: SwapDevice,
    readonly firstSlot: number,
  ) {
    const blocks = Math.min(
      PACKED_BLOCKS_MAX,
      Math.floor((device.slots - firstSlot) / PACKED_BLOCK_PAGES),
    );
    assert(blocks > 0, "a packed region has a block");
    this.#state = new Uint8Array(blocks);
    this.#live = new Uint16Array(blocks);
    this.#pins = new Uint16Array(blocks);
    this.#free = new Int32Array(blocks);
    for (let b = 0; b < blocks; b++) this.#free[b] = blocks - 1 - b; // block 0 comes out first
    this.#freeCount = blocks;
  }

  /** The device slot of page `page` of block `block`. */
  blockSlot(block: number, page = 0): SwapOffset {
    return (this.firstSlot + block * PACKED_BLOCK_PAGES + page) as SwapOffset;
  }

  /**
   * Writes the first `bytes` bytes of block `block` from `buffer` (a block's bytes): the pages
   * they touch, all at once; rejects when any write failed. Resolves with the pages written.
   */
  async blockWrite(block: number, buffer: Uint8Array, bytes: number): Promise<number> {
    const pages = Math.ceil(bytes / PAGE_SIZE);
    const writes = [];
    for (let i = 0; i < pages; i++) {
      const page = buffer.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      writes.push(this.device.write(this.blockSlot(block, i), page));
    }
    await allSettled(writes);
    return pages;
  }

  /** A free block, now FILLING; -1 when the region has none. */
  blockTake(): number {
    if (this.#freeCount === 0) return -1;
    const b = this.#free[--this.#freeCount];
    this.#state[b] = FILLING;
    return b;
  }

  /** The block's buffer went to the device. */
  blockWriting(block: number): void {
    assert(this.#state[block] === FILLING, "a block is written once, after it was filled");
    this.#state[block] = WRITING;
  }

  /**
   * The block's write ended: on success `places` (slot, place) are its objects still wanted, now
   * mapped; a block with none, or whose write failed, is free again.
   */
  blockWritten(block: number, places: readonly [SwapOffset, number][]): void {
    assert(this.#state[block] === WRITING, "a block's write ends once");
    for (const [slot, place] of places) {
      assert(!this.#places.has(slot), "a slot under writeback has no packed object");
      this.#places.set(slot, place);
    }
    this.#live[block] = places.length;
    this.#state[block] = WRITTEN;
    this.blocksHeld++;
    if (places.length === 0) this.#blockRelease(block);
  }

  /** The block's write failed: nothing maps to it, it is free again. */
  blockFailed(block: number): void {
    assert(this.#state[block] === WRITING, "a block's write ends once");
    this.#state[block] = FREE;
    this.#free[this.#freeCount++] = block;
  }

  /** The place of slot's packed object, or -1 when it has none. */
  placeOf(slot: SwapOffset): number {
    return this.#places.get(slot) ?? -1;
  }

  /** Packed objects mapped now: pages the region holds. */
  get pages(): number {
    return this.#places.size;
  }

  /** Drops slot's packed object, if any (its page was stored again, or freed). */
  drop(slot: SwapOffset): void {
    const place = this.#places.get(slot);
    if (place === undefined) return;
    this.#places.delete(slot);
    const b = Math.floor(place / PLACE_BLOCK);
    if (--this.#live[b] === 0) this.#blockRelease(b);
  }

  /** A WRITTEN block without live objects goes FREE, once no read has it pinned. */
  #blockRelease(b: number): void {
    if (this.#live[b] !== 0 || this.#pins[b] !== 0 || this.#state[b] !== WRITTEN) return;
    this.#state[b] = FREE;
    this.blocksHeld--;
    this.#free[this.#freeCount++] = b;
  }

  /** Codec ids of the packed objects, added to `ids` (a dictionary's id stays while one is here). */
  codecsAdd(ids: Set<number>): void {
    for (const place of this.#places.values()) ids.add(placeParts(place).codec);
  }

  /**
   * Reads slot's page from its block into `into`; false when slot has no packed object. Rejects
   * with the device's ZswapIOError, or with what `decompress` failing to make a page throws.
   */
  async read(
    slot: SwapOffset,
    into: Uint8Array,
    decompress: PackedDecompress,
    bad: (produced: number) => Error,
  ): Promise<boolean> {
    const place = this.placeOf(slot);
    if (place < 0) return false;
    const p = placeParts(place);
    // The one or two pages the object lies on.
    const first = Math.floor(p.offset / PAGE_SIZE);
    const last = Math.floor((p.offset + p.length - 1) / PAGE_SIZE);
    const pages = new Uint8Array((last - first + 1) * PAGE_SIZE);
    this.#pins[p.block]++;
    try {
      const reads = [];
      for (let i = first; i <= last; i++) {
        const page = pages.subarray((i - first) * PAGE_SIZE, (i - first + 1) * PAGE_SIZE);
        reads.push(this.device.read(this.blockSlot(p.block, i), page));
      }
      await allSettled(reads);
    } finally {
      this.#pins[p.block]--;
      this.#blockRelease(p.block);
    }
    const from = p.offset - first * PAGE_SIZE;
    const produced = decompress(p.codec, pages, from, from + p.length, into);
    if (produced !== PAGE_SIZE) throw bad(produced);
    return true;
  }

  /** Bytes of memory it holds: 9 a block, and the map's (about 40 bytes a packed page in V8). */
  get bytes(): number {
    return this.#state.length * 9 + this.#places.size * 40;
  }
}
