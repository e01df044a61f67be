// Per swap area: slot offset -> entry row (0 = none). Two levels, so a huge sparse area costs
// memory only where it holds entries: a chunk of INDEX_CHUNK_SLOTS rows is made on first store
// and dropped when its last entry goes.

import type { EntryIndex, SwapOffset } from "../types.ts";

/** Slots per index chunk (4 KiB of Uint32 rows). */
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

  get(offset: SwapOffset): EntryIndex {
    const c = this.chunks[offset >>> INDEX_CHUNK_SHIFT];
    return (c === undefined ? 0 : c[offset & INDEX_CHUNK_MASK]) as EntryIndex;
  }

  /** Sets the slot's entry; returns the entry it replaced (0 if none). */
  set(offset: SwapOffset, e: EntryIndex): EntryIndex {
    const ci = offset >>> INDEX_CHUNK_SHIFT;
    let c = this.chunks[ci];
    if (c === undefined) {
      c = new Uint32Array(INDEX_CHUNK_SLOTS);
      this.chunks[ci] = c;
    }
    const old = c[offset & INDEX_CHUNK_MASK] as EntryIndex;
    c[offset & INDEX_CHUNK_MASK] = e;
    if (old === 0) this.live[ci]++;
    return old;
  }

  /** Clears the slot; returns the entry it held (0 if none). */
  erase(offset: SwapOffset): EntryIndex {
    const ci = offset >>> INDEX_CHUNK_SHIFT;
    const c = this.chunks[ci];
    if (c === undefined) return 0 as EntryIndex;
    const old = c[offset & INDEX_CHUNK_MASK] as EntryIndex;
    if (old === 0) return old;
    c[offset & INDEX_CHUNK_MASK] = 0;
    if (--this.live[ci] === 0) this.chunks[ci] = undefined;
    return old;
  }

  /** Calls fn for every (offset, entry) held, in offset order. */
  forEach(fn: (offset: SwapOffset, e: EntryIndex) => void): void {
    this.chunks.forEach((c, ci) => {
      if (c === undefined) return;
      for (let i = 0; i < INDEX_CHUNK_SLOTS; i++) {
        if (c[i] !== 0) fn(((ci << INDEX_CHUNK_SHIFT) | i) as SwapOffset, c[i] as EntryIndex);
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
