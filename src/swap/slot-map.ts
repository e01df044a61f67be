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
