// Writeback policies: which entry writeback takes first (the option writebackPolicy).
//
// lru, the kernel's: a new entry joins the LRU's newest end, referenced (one more trip round,
// zswap_lru_add), and writeback takes from the oldest end. Right when pages come back in the
// order of recency; wrong when they come back in the order they left: on a loop over more pages
// than RAM and the pool hold, writeback sends to the device exactly the pages about to be read
// again, and nothing is ever a hit.
//
// dip: the Dynamic Insertion Policy (Qureshi, Jaleel, Patt, Steely, Emer, "Adaptive Insertion
// Policies for High Performance Caching", ISCA 2007) in its global form, with two auxiliary tag
// directories: shadow pools that hold slot keys and no data. One places every new entry as LRU
// does; the other as BIP does: at the oldest end, so that writeback takes it first, except one in
// BIP_THROTTLE that goes to the newest end. Under BIP what the pool holds stays, turning over
// slowly, and a loop's pages are served from it each time round, as without writeback. Each
// swap-in asks both shadows whether they hold its slot: a miss in one moves a saturating counter
// (PSEL) toward the other, and the pool places new entries as the counter says. A swap-in that
// misses the pool and would have hit the other shadow is the refault that says writeback took the
// page too early. Two departures from the paper: PSEL switches placement past a band around its
// middle, not at the middle; and until the first swap-in, placement is BIP's, since nothing has
// shown yet that recency matters.
//
// An exclusive load frees the entry, and the page comes back later under another slot, so no
// page is known twice: the shadows compare the two placements on what they can see, store to
// load of one slot. They sample slots by hash (1 in `sampleEvery`, as SHARDS does for miss-ratio
// curves) so that a large pool's shadows stay within SHADOW_ENTRIES_MAX keys.

import {
  AREA_SLOTS_MAX,
  BIP_THROTTLE,
  PSEL_BAND,
  PSEL_MAX,
  SHADOW_ENTRIES_MAX,
  SHADOW_ENTRIES_PER_POOL_PAGE,
} from "../constants.ts";

export type WritebackPolicyName = "lru" | "dip";
export const WRITEBACK_POLICY_NAMES: readonly WritebackPolicyName[] = ["lru", "dip"];

/** A swap slot as one number, exact in a double: type * AREA_SLOTS_MAX + offset. */
export function slotKey(type: number, offset: number): number {
  return type * AREA_SLOTS_MAX + offset;
}

/** 32 well-mixed bits of a slot key (murmur3's finalizer). */
export function keyHash(key: number): number {
  let h = (key >>> 0) ^ Math.imul(Math.floor(key / 2 ** 32), 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A pool simulated on slot keys alone: the keys a placement would hold, oldest first, in a list
 * through typed arrays (node 0 is the sentinel: its next is the oldest, its prev the newest) and
 * an open-addressing hash table of nodes (linear probing, backward-shift deletion).
 */
export class ShadowPool {
  readonly #key: Float64Array;
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  readonly #table: Int32Array;
  readonly #mask: number;
  #freeHead = 0;
  #used = 1;
  #inserts = 0;
  /** Keys held. */
  size = 0;

  /** `nodesMax` keys at most; `bimodal` places new keys as BIP does, else as LRU does. */
  constructor(
    readonly nodesMax: number,
    readonly bimodal: boolean,
  ) {
    this.#key = new Float64Array(nodesMax + 1);
    this.#prev = new Int32Array(nodesMax + 1);
    this.#next = new Int32Array(nodesMax + 1);
    this.#table = new Int32Array(2 ** Math.ceil(Math.log2(2 * nodesMax)));
    this.#mask = this.#table.length - 1;
  }

  /** Bytes of typed arrays it holds. */
  get bytes(): number {
    return this.#key.byteLength + 2 * this.#prev.byteLength + this.#table.byteLength;
  }

  #find(key: number, h: number): number {
    for (let i = h & this.#mask; ; i = (i + 1) & this.#mask) {
      const n = this.#table[i];
      if (n === 0 || this.#key[n] === key) return i;
    }
  }

  has(key: number, h: number): boolean {
    return this.#table[this.#find(key, h)] !== 0;
  }

  /** Drops `key`; false when it was not held. */
  remove(key: number, h: number): boolean {
    let i = this.#find(key, h);
    const n = this.#table[i];
    if (n === 0) return false;
    this.#unlink(n);
    this.#next[n] = this.#freeHead;
    this.#freeHead = n;
    this.size--;
    // Backward shift: move up each later key of the run that may sit at the gap.
    for (let j = (i + 1) & this.#mask; this.#table[j] !== 0; j = (j + 1) & this.#mask) {
      const home = keyHash(this.#key[this.#table[j]]) & this.#mask;
      if (((j - home) & this.#mask) >= ((j - i) & this.#mask)) {
        this.#table[i] = this.#table[j];
        i = j;
      }
    }
    this.#table[i] = 0;
    return true;
  }

  /** Adds `key`, which it does not hold; makes room by dropping the oldest when at nodesMax. */
  insert(key: number, h: number): void {
    if (this.size === this.nodesMax) this.trim(this.nodesMax - 1);
    let n = this.#freeHead;
    if (n !== 0) this.#freeHead = this.#next[n];
    else n = this.#used++;
    this.#key[n] = key;
    this.#table[this.#find(key, h)] = n;
    this.size++;
    const oldest = this.bimodal && ++this.#inserts % BIP_THROTTLE !== 0;
    this.#link(n, oldest);
  }

  /** Moves `key`, if held, to the newest end (a non-exclusive load's hit). */
  promote(key: number, h: number): void {
    const n = this.#table[this.#find(key, h)];
    if (n === 0) return;
    this.#unlink(n);
    this.#link(n, false);
  }

  /** Drops the oldest keys until at most `capacity` are held. */
  trim(capacity: number): void {
    while (this.size > Math.max(0, capacity)) {
      const key = this.#key[this.#next[0]];
      this.remove(key, keyHash(key));
    }
  }

  clear(): void {
    this.trim(0);
  }

  #link(n: number, oldest: boolean): void {
    const p = oldest ? 0 : this.#prev[0];
    const q = this.#next[p];
    this.#prev[n] = p;
    this.#next[n] = q;
    this.#next[p] = n;
    this.#prev[q] = n;
  }

  #unlink(n: number): void {
    this.#next[this.#prev[n]] = this.#next[n];
    this.#prev[this.#next[n]] = this.#prev[n];
  }
}

/**
 * DIP's choice between LRU and BIP placement of new entries, from two shadow pools. Zswap tells
 * it every page offered, loaded or forgotten; it says where the next new entry goes.
 */
export class Dip {
  readonly #lru: ShadowPool;
  readonly #bip: ShadowPool;
  /** Zero, or the hash bits a sampled slot has zero: 1 in sampleEvery slots is simulated. */
  readonly #sampleMask: number;
  /** Keys the real pool holds when full, estimated by zswap (entries per pool page so far). */
  readonly #capacity: () => number;
  /**
   * DIP's PSEL, from 0 to PSEL_MAX. It starts in the middle, placing as LRU does; placement
   * turns to BIP once PSEL is PSEL_BAND above the middle and back once it is PSEL_BAND below
   * (DIP switches at the middle itself: the band keeps a few swap-ins either way from flipping
   * it while the shadows still agree).
   */
  #psel = PSEL_MAX >>> 1;
  #bimodal = false;
  /** Whether any slot was swapped in yet: until then, placement is BIP's (see bimodal). */
  #loadedAny = false;
  #inserts = 0;
  readonly sampleEvery: number;

  constructor(poolPagesMax: number, capacity: () => number) {
    const expected = poolPagesMax * SHADOW_ENTRIES_PER_POOL_PAGE;
    this.sampleEvery = 2 ** Math.max(0, Math.ceil(Math.log2(expected / SHADOW_ENTRIES_MAX)));
    this.#sampleMask = this.sampleEvery - 1;
    const nodes = Math.min(
      SHADOW_ENTRIES_MAX,
      Math.max(64, Math.ceil(expected / this.sampleEvery)),
    );
    this.#lru = new ShadowPool(nodes, false);
    this.#bip = new ShadowPool(nodes, true);
    this.#capacity = capacity;
  }

  /**
   * True while new entries follow BIP: PSEL says so, or nothing was swapped in yet. A pool that
   * fills before any page came back has seen nothing for recency, and LRU would write back
   * first the pages that a loop reads first; a workload that reuses pages soon swaps one in
   * before the pool is full, and PSEL decides from then on.
   */
  get bimodal(): boolean {
    return this.#bimodal || !this.#loadedAny;
  }

  /** Bytes of typed arrays the shadows hold. */
  get bytes(): number {
    return this.#lru.bytes + this.#bip.bytes;
  }

  /** Where the pool's next new entry goes: true for the oldest end, unreferenced. */
  insertOldest(): boolean {
    return this.bimodal && ++this.#inserts % BIP_THROTTLE !== 0;
  }

  /** The sampled slot's hash, or -1 for a slot the shadows do not follow. */
  #sampled(key: number): number {
    const h = keyHash(key);
    return (h >>> 16) & this.#sampleMask ? -1 : h;
  }

  /** A page was offered for the slot and not refused for its content: both shadows take it. */
  offered(key: number): void {
    const h = this.#sampled(key);
    if (h < 0) return;
    const capacity = Math.round(this.#capacity() / this.sampleEvery);
    for (const s of [this.#lru, this.#bip]) {
      s.remove(key, h);
      s.insert(key, h);
      s.trim(capacity);
    }
  }

  /** The slot's page is gone (freed, or replaced by one refused for its content). */
  forgotten(key: number): void {
    const h = this.#sampled(key);
    if (h < 0) return;
    this.#lru.remove(key, h);
    this.#bip.remove(key, h);
  }

  /** The slot was swapped in: a miss in one shadow moves PSEL toward the other. */
  loaded(key: number, exclusive: boolean): void {
    this.#loadedAny = true;
    const h = this.#sampled(key);
    if (h < 0) return;
    const lruHit = exclusive ? this.#lru.remove(key, h) : this.#lru.has(key, h);
    const bipHit = exclusive ? this.#bip.remove(key, h) : this.#bip.has(key, h);
    if (!exclusive) {
      this.#lru.promote(key, h);
      this.#bip.promote(key, h);
    }
    if (!lruHit) this.#psel = Math.min(PSEL_MAX, this.#psel + 1);
    if (!bipHit) this.#psel = Math.max(0, this.#psel - 1);
    if (this.#psel >= (PSEL_MAX >>> 1) + PSEL_BAND) this.#bimodal = true;
    else if (this.#psel <= (PSEL_MAX >>> 1) - PSEL_BAND) this.#bimodal = false;
  }

  /** Forgets every slot (an area went away). */
  clear(): void {
    this.#lru.clear();
    this.#bip.clear();
  }
}
