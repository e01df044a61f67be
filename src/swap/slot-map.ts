// The swap map: which slots are in use and which hold a zero-filled page, one bit each.
// Allocation is next-fit from a cursor, skipping whole full words, so it is O(1) amortized
// while the map has room, and skips slots that still have I/O in flight.

const WORD_BITS = 32;

export class SlotMap {
  private readonly used: Uint32Array;
  private readonly zero: Uint32Array;
  private cursor = 0;
  /** Slots in use. */
  count = 0;
  /** Slots in use that hold a zero-filled page. */
  zeroCount = 0;

  constructor(readonly slots: number) {
    const words = Math.ceil(slots / WORD_BITS);
    this.used = new Uint32Array(words);
    this.zero = new Uint32Array(words);
  }

  /** Takes a free slot that `busy` does not veto; -1 when there is none. */
  alloc(busy: (slot: number) => boolean): number {
    if (this.count === this.slots) return -1;
    const words = this.used.length;
    for (let n = 0; n <= words; n++) {
      const w = (this.cursor + n) % words;
      const bits = this.used[w];
      if (bits === 0xffffffff) continue;
      for (let b = 0; b < WORD_BITS; b++) {
        const slot = w * WORD_BITS + b;
        if (slot >= this.slots) break;
        if (bits & (1 << b) || busy(slot)) continue;
        this.used[w] |= 1 << b;
        this.count++;
        this.cursor = w;
        return slot;
      }
    }
    return -1;
  }

  /**
   * Takes `n` free slots that `busy` does not veto, at a multiple of `n` (a power of two), as the
   * kernel's swap entries of a large folio are; returns the first, or -1 when no such run is free.
   */
  allocRun(n: number, busy: (slot: number) => boolean): number {
    if (this.slots - this.count < n) return -1;
    const runs = Math.floor(this.slots / n);
    const from = Math.floor((this.cursor * WORD_BITS) / n);
    for (let k = 0; k < runs; k++) {
      const start = ((from + k) % runs) * n;
      if (!this.runFree(start, n, busy)) continue;
      for (let s = start; s < start + n; s++) this.used[s >>> 5] |= 1 << (s & 31);
      this.count += n;
      this.cursor = start >>> 5;
      return start;
    }
    return -1;
  }

  /** True when slots start..start+n-1 are free and none is busy; a word's bits at a time. */
  private runFree(start: number, n: number, busy: (slot: number) => boolean): boolean {
    for (let s = start; s < start + n; ) {
      const bit = s & 31;
      const len = Math.min(WORD_BITS - bit, start + n - s);
      const mask = len === WORD_BITS ? 0xffffffff : ((1 << len) - 1) << bit;
      if ((this.used[s >>> 5] & mask) !== 0) return false;
      s += len;
    }
    for (let s = start; s < start + n; s++) if (busy(s)) return false;
    return true;
  }

  release(slot: number): void {
    this.zeroSet(slot, false);
    this.used[slot >>> 5] &= ~(1 << (slot & 31));
    this.count--;
  }

  isUsed(slot: number): boolean {
    return (this.used[slot >>> 5] & (1 << (slot & 31))) !== 0;
  }

  isZero(slot: number): boolean {
    return (this.zero[slot >>> 5] & (1 << (slot & 31))) !== 0;
  }

  zeroSet(slot: number, on: boolean): void {
    if (this.isZero(slot) === on) return;
    this.zero[slot >>> 5] ^= 1 << (slot & 31);
    this.zeroCount += on ? 1 : -1;
  }
}
