// Belady's MIN for the pool: the hit ratio an offline optimal writeback would get with the same
// pool capacity, the bound no online policy beats.
//
// What is simulated. The resident set decides what to swap from the accesses alone, so its
// evictions are one sequence of swap-outs and swap-ins, the same in every configuration. MIN
// holds at most `capacity` pages. At a swap-out of a page that zswap would store (not zero-filled,
// compressed to at most maxCompressionRatio of a page) it takes the page; when that makes one too
// many, it drops, among the pages it holds and the new one, the one swapped in furthest in the
// future (a page never swapped in again first). A swap-in of a page it holds is a hit, and frees
// it (an exclusive load). Every stored copy is used at most once, so what MIN keeps is a set of
// intervals (swap-out to swap-in), at most `capacity` at a time: dropping the one that ends
// last is optimal for that (interval scheduling on `capacity` machines), with pages of one size.
//
// Approximations: pages are of one size, the mean compressed size of the corpus pages zswap would
// store (unwritten; a write changes 16 bytes of a page), and `capacity` is the pool bound over that
// mean, with none of the pool's own slack (size classes, partly used zspages) nor its accept
// threshold. A page's class (zero, poorly compressible, stored) is its corpus page's, except
// that a written page is never zero.

import { compressorCreate } from "../compress/index.ts";
import { BELADY_EVENTS_MAX, COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../constants.ts";
import { grown } from "../typed-arrays.ts";

/** A corpus page's fate at a swap-out: a bit in the swap map, declined by zswap, or stored. */
const ZERO = 0;
const POOR = 1;
const STORED = 2;

/** Event kinds, in the low 2 bits of an event (the page is the rest). */
const OUT_POOR = 0;
const OUT_STORED = 1;
const IN = 2;

const NEVER = 0x7fffffff;

/** What MIN needs of the corpus: each page's class, and the mean size of those zswap stores. */
export interface PageClasses {
  /** ZERO, POOR or STORED per corpus page. */
  readonly classes: Uint8Array;
  /** Mean compressed bytes of the STORED pages (PAGE_SIZE when there is none). */
  readonly storedBytesMean: number;
}

/** Compresses every corpus page once, as zswap's store would, and classes it. */
export function pageClasses(
  corpus: readonly Uint8Array[],
  compressor: string,
  maxCompressionRatio: number,
): PageClasses {
  const codec = compressorCreate(compressor);
  const dst = new Uint8Array(COMPRESS_BUFFER_BYTES);
  const limit = Math.floor((PAGE_SIZE * maxCompressionRatio) / 100);
  const classes = new Uint8Array(corpus.length);
  let bytes = 0;
  let stored = 0;
  corpus.forEach((page, i) => {
    if (page.every((b) => b === 0)) return;
    const n = codec.compress(page, dst, limit);
    classes[i] = n === 0 ? POOR : STORED;
    if (n > 0) {
      bytes += n;
      stored++;
    }
  });
  return { classes, storedBytesMean: stored === 0 ? PAGE_SIZE : bytes / stored };
}

/**
 * The swap-outs and swap-ins of one replay, recorded as they happen (a number each), for MIN to
 * run over afterwards. Past BELADY_EVENTS_MAX events it stops recording and MIN is not computed.
 */
export class SwapTrace {
  #events = new Int32Array(1024);
  #length = 0;
  #overflow = false;
  /** Per page: the class of its last swap-out, for its swap-in. */
  readonly #outClass: Uint8Array;

  constructor(
    private readonly pc: PageClasses,
    pages: number,
  ) {
    this.#outClass = new Uint8Array(pages);
  }

  #push(event: number): void {
    if (this.#length === this.#events.length) {
      if (this.#length === BELADY_EVENTS_MAX) {
        this.#overflow = true;
        return;
      }
      this.#events = grown(this.#events, Math.min(BELADY_EVENTS_MAX, 2 * this.#length));
    }
    this.#events[this.#length++] = event;
  }

  /** `page` was swapped out after `version` writes (its corpus page is page % corpus length). */
  out(page: number, version: number): void {
    const base = this.pc.classes[page % this.pc.classes.length];
    const cls = version > 0 && base === ZERO ? STORED : base;
    this.#outClass[page] = cls;
    if (cls !== ZERO) this.#push(page * 4 + (cls === STORED ? OUT_STORED : OUT_POOR));
  }

  /** `page` was swapped in. */
  in(page: number): void {
    if (this.#outClass[page] !== ZERO) this.#push(page * 4 + IN);
  }

  /**
   * MIN's hit ratio with room for `capacity` pages: hits over swap-ins of pages that were not
   * zero-filled (the share zswpin / (zswpin + pswpin) of a real run); undefined past the bound.
   */
  minHitRatio(capacity: number): number | undefined {
    if (this.#overflow) return undefined;
    const n = this.#length;
    const ev = this.#events;
    // Each swap-out's next swap-in of its page, from a backward pass.
    const next = new Int32Array(n);
    const nextIn = new Int32Array(this.#outClass.length).fill(NEVER);
    for (let i = n - 1; i >= 0; i--) {
      const page = ev[i] >>> 2;
      if ((ev[i] & 3) === IN) nextIn[page] = i;
      else next[i] = nextIn[page];
    }
    const pages = this.#outClass.length;
    const held = new MaxHeap(pages, Math.min(capacity, pages) + 1);
    let ins = 0;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const page = ev[i] >>> 2;
      const kind = ev[i] & 3;
      if (kind === IN) {
        ins++;
        if (held.remove(page)) hits++;
      } else if (kind === OUT_STORED && next[i] !== NEVER && capacity > 0) {
        held.push(page, next[i]);
        if (held.size > capacity) held.pop();
      }
    }
    return ins === 0 ? 0 : hits / ins;
  }
}

/** A max-heap of pages by key (the next swap-in), with a page's place kept for removal. */
class MaxHeap {
  readonly #page: Int32Array;
  readonly #key: Int32Array;
  readonly #at: Int32Array;
  size = 0;

  constructor(pages: number, sizeMax: number) {
    this.#page = new Int32Array(sizeMax);
    this.#key = new Int32Array(sizeMax);
    this.#at = new Int32Array(pages).fill(-1);
  }

  push(page: number, key: number): void {
    this.#page[this.size] = page;
    this.#key[this.size] = key;
    this.#at[page] = this.size;
    this.#up(this.size++);
  }

  /** Drops the page with the largest key. */
  pop(): void {
    this.#removeAt(0);
  }

  /** Drops `page`; false when it is not held. */
  remove(page: number): boolean {
    const i = this.#at[page];
    if (i < 0) return false;
    this.#removeAt(i);
    return true;
  }

  #removeAt(i: number): void {
    this.#at[this.#page[i]] = -1;
    const last = --this.size;
    if (i === last) return;
    this.#place(i, this.#page[last], this.#key[last]);
    this.#down(i);
    this.#up(i);
  }

  #place(i: number, page: number, key: number): void {
    this.#page[i] = page;
    this.#key[i] = key;
    this.#at[page] = i;
  }

  #swap(i: number, j: number): void {
    const page = this.#page[i];
    const key = this.#key[i];
    this.#place(i, this.#page[j], this.#key[j]);
    this.#place(j, page, key);
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#key[parent] >= this.#key[i]) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < this.size && this.#key[l] > this.#key[top]) top = l;
      if (r < this.size && this.#key[r] > this.#key[top]) top = r;
      if (top === i) return;
      this.#swap(i, top);
      i = top;
    }
  }
}
