// Per-slot counts of device I/O in flight, which every swap touches: a bit per slot for the
// common 0 or 1, and a Map for the rare slot with more (a deduplicated page that several
// swap-outs read at once). An area has up to AREA_SLOTS_MAX slots, too many for a Map entry or
// even a byte each; a Map entry set and deleted per swap cost a swap-in 64 in flight about
// 1 µs of the main thread's time a page (threads bench).

export class BusySlots {
  private readonly bits: Uint32Array;
  /** Counts over 1, less one. */
  private readonly more = new Map<number, number>();

  constructor(slots: number) {
    this.bits = new Uint32Array(Math.ceil(slots / 32));
  }

  has(slot: number): boolean {
    return (this.bits[slot >>> 5] & (1 << (slot & 31))) !== 0;
  }

  add(slot: number): void {
    if (this.has(slot)) this.more.set(slot, (this.more.get(slot) ?? 0) + 1);
    else this.bits[slot >>> 5] |= 1 << (slot & 31);
  }

  /** Takes one away from a busy slot; true when it is no longer busy. */
  drop(slot: number): boolean {
    const more = this.more.get(slot);
    if (more === undefined) {
      this.bits[slot >>> 5] &= ~(1 << (slot & 31));
      return true;
    }
    if (more === 1) this.more.delete(slot);
    else this.more.set(slot, more - 1);
    return false;
  }
}
