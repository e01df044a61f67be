// Per swap area: which slots hold a page that writeback put on the device (zram's ZRAM_WB), for
// bd_count and bd_reads. A bit a slot, in chunks of BACKED_CHUNK_SLOTS made on first set and
// dropped when their last bit clears, so an area costs memory only where writeback wrote.

import type { SwapOffset } from "../types.ts";

/** Slots per chunk: 128 bytes of bits. */
const BACKED_CHUNK_SHIFT = 10;
const BACKED_CHUNK_SLOTS = 1 << BACKED_CHUNK_SHIFT;

export class BackedSlots {
  private readonly chunks: (Uint32Array | undefined)[];
  private readonly live: Uint16Array;
  /** Slots whose bit is set. */
  count = 0;

  constructor(slots: number) {
    const n = Math.ceil(slots / BACKED_CHUNK_SLOTS);
    this.chunks = new Array(n).fill(undefined);
    this.live = new Uint16Array(n);
  }

  has(off: SwapOffset): boolean {
    const c = this.chunks[off >>> BACKED_CHUNK_SHIFT];
    return c !== undefined && (c[(off >>> 5) & 31] & (1 << (off & 31))) !== 0;
  }

  set(off: SwapOffset): void {
    const ci = off >>> BACKED_CHUNK_SHIFT;
    let c = this.chunks[ci];
    if (c === undefined) {
      c = new Uint32Array(BACKED_CHUNK_SLOTS / 32);
      this.chunks[ci] = c;
    }
    const bit = 1 << (off & 31);
    const w = (off >>> 5) & 31;
    if (c[w] & bit) return;
    c[w] |= bit;
    this.live[ci]++;
    this.count++;
  }

  clear(off: SwapOffset): void {
    const ci = off >>> BACKED_CHUNK_SHIFT;
    const c = this.chunks[ci];
    const bit = 1 << (off & 31);
    const w = (off >>> 5) & 31;
    if (c === undefined || (c[w] & bit) === 0) return;
    c[w] &= ~bit;
    this.count--;
    if (--this.live[ci] === 0) this.chunks[ci] = undefined;
  }

  /** Bytes of memory it holds. */
  get bytes(): number {
    let n = this.chunks.length * 8 + this.live.byteLength;
    for (const c of this.chunks) if (c !== undefined) n += c.byteLength;
    return n;
  }
}
