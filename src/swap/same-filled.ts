// Same-filled pages (zram's same_pages; zswap's same_filled_pages before zero pages moved to the
// swap layer): a page that is one 8-byte value repeated is kept as that value, and takes no
// storage. Zero pages stay a bit in the slot map; this side table holds the other values.
//
// The table is per slot, in chunks of SAME_CHUNK_SLOTS values made on a chunk's first such page
// and dropped with its last: 8 bytes a slot of a chunk in use, so at most 8 bytes a slot of the
// space, and nothing where there are no such pages.

import { PAGE_SIZE } from "../constants.ts";

/** Bytes of the repeated value (zram's unsigned long). */
const SAME_VALUE_BYTES = 8;
const SAME_CHUNK_SHIFT = 9;
/** Slots per chunk of the side table (4 KiB of values). */
const SAME_CHUNK_SLOTS = 1 << SAME_CHUNK_SHIFT;
const SAME_CHUNK_MASK = SAME_CHUNK_SLOTS - 1;

/** True when the page is one 8-byte value repeated (zero included): one memcmp, overlapping. */
export function isSameFilled(page: Uint8Array): boolean {
  const b = Buffer.from(page.buffer, page.byteOffset, PAGE_SIZE);
  return b.compare(b, SAME_VALUE_BYTES, PAGE_SIZE, 0, PAGE_SIZE - SAME_VALUE_BYTES) === 0;
}

/** True when a same-filled page's value is zero (its first 8 bytes are). */
export function isZeroValue(page: Uint8Array): boolean {
  for (let i = 0; i < SAME_VALUE_BYTES; i++) if (page[i] !== 0) return false;
  return true;
}

/** Fills `into` with `value` (8 bytes) repeated, by doubling copies. */
function pageFill(into: Uint8Array, value: Uint8Array): void {
  into.set(value);
  for (let n = SAME_VALUE_BYTES; n < PAGE_SIZE; n *= 2) into.copyWithin(n, 0, n);
}

/** Slot -> the value of its same-filled (non-zero) page. */
export class SameFilled {
  private readonly chunks: (Uint8Array | undefined)[];
  private readonly live: Uint16Array;
  private readonly has: Uint32Array;
  /** Slots holding a same-filled non-zero page. */
  count = 0;

  constructor(slots: number) {
    const n = Math.ceil(slots / SAME_CHUNK_SLOTS);
    this.chunks = new Array(n).fill(undefined);
    this.live = new Uint16Array(n);
    this.has = new Uint32Array(Math.ceil(slots / 32));
  }

  isSame(slot: number): boolean {
    return (this.has[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }

  /** Keeps the page's value (its first 8 bytes) for `slot`, which holds no such value yet. */
  set(slot: number, page: Uint8Array): void {
    const ci = slot >>> SAME_CHUNK_SHIFT;
    let c = this.chunks[ci];
    if (c === undefined) {
      c = new Uint8Array(SAME_CHUNK_SLOTS * SAME_VALUE_BYTES);
      this.chunks[ci] = c;
    }
    c.set(page.subarray(0, SAME_VALUE_BYTES), (slot & SAME_CHUNK_MASK) * SAME_VALUE_BYTES);
    this.has[slot >>> 5]! |= 1 << (slot & 31);
    this.live[ci]!++;
    this.count++;
  }

  /** Fills `into` with the page kept for `slot`, which holds one. */
  read(slot: number, into: Uint8Array): void {
    const at = (slot & SAME_CHUNK_MASK) * SAME_VALUE_BYTES;
    pageFill(into, this.chunks[slot >>> SAME_CHUNK_SHIFT]!.subarray(at, at + SAME_VALUE_BYTES));
  }

  /** Forgets `slot`'s value, if it has one. */
  clear(slot: number): void {
    if (!this.isSame(slot)) return;
    this.has[slot >>> 5]! &= ~(1 << (slot & 31));
    this.count--;
    const ci = slot >>> SAME_CHUNK_SHIFT;
    if (--this.live[ci]! === 0) this.chunks[ci] = undefined;
  }

  /** Bytes of memory the table holds. */
  get bytes(): number {
    let n = this.has.byteLength + this.live.byteLength + this.chunks.length * 8;
    for (const c of this.chunks) if (c !== undefined) n += c.byteLength;
    return n;
  }
}
