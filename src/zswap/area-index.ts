// Per swap area: slot offset -> the pool handle of the page stored there (0 = none; the pool
// object's header names the entry row). Two levels, so a huge sparse area costs memory only
// where it holds entries: a chunk of INDEX_CHUNK_SLOTS handles is made on first store and
// dropped when its last entry goes.

import type { Handle, SwapOffset } from "../types.ts";

/** Slots per index chunk (4 KiB of Uint32 handles). */
const INDEX_CHUNK_SHIFT = 10;
const INDEX_CHUNK_SLOTS = 1 << INDEX_CHUNK_SHIFT;
const INDEX_CHUNK_MASK = INDEX_CHUNK_SLOTS - 1;

export class AreaIndex {
  private readonly chunks: (Uint32Array | undefined)[];
  private readonly live: Uint16Array; // entries in each chunk

  constructor(readonly slots: number) {
    const n = Math.ceil(slots / INDEX_CHUNK_SLOTS);
    this.chunks = new Array(n).fill(undefined);
    this.live = new Uint16Array(n);
  }

  get(offset: SwapOffset): Handle {
    const c = this.chunks[offset >>> INDEX_CHUNK_SHIFT];
    return (c === undefined ? 0 : c[offset & INDEX_CHUNK_MASK]) as Handle;
  }

  /** Sets the slot's handle; returns the handle it replaced (0 if none). */
  set(offset: SwapOffset, h: Handle): Handle {
    const ci = offset >>> INDEX_CHUNK_SHIFT;
    let c = this.chunks[ci];
    if (c === undefined) {
      c = new Uint32Array(INDEX_CHUNK_SLOTS);
      this.chunks[ci] = c;
    }
    const old = c[offset & INDEX_CHUNK_MASK] as Handle;
    c[offset & INDEX_CHUNK_MASK] = h;
    if (old === 0) this.live[ci]++;
    return old;
  }

  /** Clears the slot; returns the handle it held (0 if none). */
  erase(offset: SwapOffset): Handle {
    const ci = offset >>> INDEX_CHUNK_SHIFT;
    const c = this.chunks[ci];
    if (c === undefined) return 0 as Handle;
    const old = c[offset & INDEX_CHUNK_MASK] as Handle;
    if (old === 0) return old;
    c[offset & INDEX_CHUNK_MASK] = 0;
    if (--this.live[ci] === 0) this.chunks[ci] = undefined;
    return old;
  }

  /** Calls fn for every (offset, handle) held, in offset order. */
  forEach(fn: (offset: SwapOffset, h: Handle) => void): void {
    this.chunks.forEach((c, ci) => {
      if (c === undefined) return;
      for (let i = 0; i < INDEX_CHUNK_SLOTS; i++) {
        if (c[i] !== 0) fn(((ci << INDEX_CHUNK_SHIFT) | i) as SwapOffset, c[i] as Handle);
      }
    });
  }

  /** Bytes of memory the index holds. */
  get bytes(): number {
    let n = this.chunks.length * 8 + this.live.byteLength;
    for (const c of this.chunks) if (c !== undefined) n += c.byteLength;
    return n;
  }
}
