// Dedup (proposed for zram in 2017, never merged): a swap-out identical to a page stored already
// takes a slot but no storage; its slot refers to the stored page's slot, the canonical one.
// Candidates are found by a 32-bit hash of the page and confirmed byte for byte by the caller
// (a hash collision costs only the dedup, never a page).
//
// Lifetime, the rule that keeps every sharer's page:
//   1. a canonical slot stays allocated, with its storage (zswap entry, device page, swap-cache
//      copy), while any slot refers to it: freed by its owner, it is only held (not a user slot
//      any more, never handed out) until its last sharer goes;
//   2. its zswap entry is never loaded exclusively while it has sharers (the caller asks
//      `shared` first), so its storage only moves (writeback to its own device slot), never goes;
//   3. a sharer never becomes canonical, so references are one level deep.
// Cost: 13 bytes a slot of the space (refs 4, canonical 4, hash 4, flags 1), made only with dedup
// on, and one Map entry per distinct stored page.

import { PAGE_SIZE } from "../constants.ts";

const NONE = -1;
/** Flag bits of a slot. */
const HELD = 1; // freed by its owner, kept for its sharers
const INDEXED = 2; // its page is in the hash map

/** A 32-bit hash of a page (FNV-style over 32-bit words, mixed at the end). */
function pageHash(words: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

export class Dedup {
  /** Sharers of each canonical slot. */
  private readonly refs: Uint32Array;
  /** Each sharer's canonical slot, NONE for others. */
  private readonly canon: Int32Array;
  private readonly hashes: Uint32Array;
  private readonly flags: Uint8Array;
  private readonly byHash = new Map<number, number>();
  /** Words of a page whose bytes are not 4-byte aligned, copied for hashing. */
  private readonly scratch = new Uint32Array(PAGE_SIZE / 4);
  /** Slots that refer to another's page now. */
  sharers = 0;
  /** Slots held for their sharers after their owner freed them. */
  held = 0;

  constructor(slots: number) {
    this.refs = new Uint32Array(slots);
    this.canon = new Int32Array(slots).fill(NONE);
    this.hashes = new Uint32Array(slots);
    this.flags = new Uint8Array(slots);
  }

  hash(page: Uint8Array): number {
    if (page.byteOffset % 4 === 0) {
      return pageHash(new Uint32Array(page.buffer, page.byteOffset, PAGE_SIZE / 4));
    }
    new Uint8Array(this.scratch.buffer).set(page);
    return pageHash(this.scratch);
  }

  /** The canonical slot of a stored page with this hash, or NONE. */
  candidate(hash: number): number {
    return this.byHash.get(hash) ?? NONE;
  }

  /** Makes `slot` (just stored, with its own storage) the page for `hash`, unless one is already. */
  index(slot: number, hash: number): void {
    if (this.byHash.has(hash)) return;
    this.byHash.set(hash, slot);
    this.hashes[slot] = hash;
    this.flags[slot]! |= INDEXED;
  }

  /** `slot`, just allocated, refers to canonical slot `c` for its page. */
  share(slot: number, c: number): void {
    this.canon[slot] = c;
    this.refs[c]!++;
    this.sharers++;
  }

  /** Where `slot`'s page is stored: its canonical slot, or itself. */
  source(slot: number): number {
    const c = this.canon[slot]!;
    return c === NONE ? slot : c;
  }

  /** True when other slots refer to `slot`'s page: it must not be loaded exclusively. */
  shared(slot: number): boolean {
    return this.refs[slot]! > 0;
  }

  /** True for a slot its owner freed, kept for its sharers: no longer the user's. */
  isHeld(slot: number): boolean {
    return (this.flags[slot]! & HELD) !== 0;
  }

  /**
   * The owner frees `slot`. Returns the slots whose storage goes now: none when `slot` is held
   * for its sharers; `slot`; or `slot` and its canonical slot, held, whose last sharer it was.
   */
  free(slot: number): number[] {
    if (this.refs[slot]! > 0) {
      this.flags[slot]! |= HELD;
      this.held++;
      return [];
    }
    this.unindex(slot);
    const c = this.canon[slot]!;
    if (c === NONE) return [slot];
    this.canon[slot] = NONE;
    this.sharers--;
    if (--this.refs[c]! > 0 || !this.isHeld(c)) return [slot];
    this.flags[c]! &= ~HELD;
    this.held--;
    this.unindex(c);
    return [slot, c];
  }

  private unindex(slot: number): void {
    if ((this.flags[slot]! & INDEXED) === 0) return;
    this.flags[slot]! &= ~INDEXED;
    if (this.byHash.get(this.hashes[slot]!) === slot) this.byHash.delete(this.hashes[slot]!);
  }

  /** Bytes of memory dedup holds (a Map entry counted at 40 bytes). */
  get bytes(): number {
    const arrays = this.refs.byteLength + this.canon.byteLength + this.hashes.byteLength;
    return arrays + this.flags.byteLength + this.scratch.byteLength + this.byHash.size * 40;
  }
}
