// Synthetic access patterns over a working set of pages 0..pages-1, seeded.

import { ZswapOptionError } from "../errors.ts";
import { Random } from "../random.ts";

/** One access: a page of the working set, read or written. */
export interface Access {
  page: number;
  write: boolean;
}

export type PatternName = "shift" | "zipf" | "scan" | "loop";
export const PATTERN_NAMES: readonly PatternName[] = ["shift", "zipf", "scan", "loop"];

export interface PatternOptions {
  /** Pages in the working set. */
  pages: number;
  /** Accesses to produce. */
  accesses: number;
  seed: number;
  /** Share of accesses that write, 0..1. */
  writeRatio: number;
  /** zipf's exponent (skew). */
  zipfSkew?: number;
  /** shift's and loop's hot set, in pages. */
  hotPages?: number;
}

/** Share of shift's accesses that go to the hot set; the rest are uniform over all pages. */
const SHIFT_HOT_SHARE = 0.9;
/** Phases a shift run is cut into; the hot set moves by half its size at each. */
const SHIFT_PHASES = 8;

/** Accesses of a hot set that moves through the working set in phases. */
function* shift(o: PatternOptions, rng: Random): Generator<number> {
  const hot = Math.max(1, Math.min(o.pages, o.hotPages ?? Math.ceil(o.pages / 4)));
  const phase = Math.max(1, Math.ceil(o.accesses / SHIFT_PHASES));
  for (let i = 0; i < o.accesses; i++) {
    const base = (Math.floor(i / phase) * Math.ceil(hot / 2)) % o.pages;
    yield rng.chance(SHIFT_HOT_SHARE) ? (base + rng.below(hot)) % o.pages : rng.below(o.pages);
  }
}

/** Zipf-distributed page popularity (page 0 hottest), sampled by binary search of the CDF. */
function* zipf(o: PatternOptions, rng: Random): Generator<number> {
  const skew = o.zipfSkew ?? 1;
  const cdf = new Float64Array(o.pages);
  let sum = 0;
  for (let k = 0; k < o.pages; k++) {
    sum += 1 / (k + 1) ** skew;
    cdf[k] = sum;
  }
  // Popularity ranks are scattered over the working set, so hot pages are not neighbours.
  const perm = Uint32Array.from({ length: o.pages }, (_, i) => i);
  for (let i = o.pages - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  for (let i = 0; i < o.accesses; i++) {
    const x = rng.next() * sum;
    let lo = 0;
    let hi = o.pages - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    yield perm[lo];
  }
}

/** Sequential scans over the whole working set, again and again: LRU's worst case. */
function* scan(o: PatternOptions): Generator<number> {
  for (let i = 0; i < o.accesses; i++) yield i % o.pages;
}

/** Share of loop's accesses that go to its hot set; the rest pass over the other pages in turn. */
const LOOP_HOT_SHARE = 0.3;

/**
 * A cyclic pass over the pages outside a hot set (the first pages/16), the hot set's pages
 * touched at random in between: a program that streams over its data again and again while it
 * keeps using a few pages of its own.
 */
function* loop(o: PatternOptions, rng: Random): Generator<number> {
  const hot = Math.max(0, Math.min(o.pages - 1, o.hotPages ?? Math.ceil(o.pages / 16)));
  let next = 0;
  for (let i = 0; i < o.accesses; i++) {
    if (hot > 0 && rng.chance(LOOP_HOT_SHARE)) yield rng.below(hot);
    else {
      yield hot + next;
      next = (next + 1) % (o.pages - hot);
    }
  }
}

const PATTERNS = { shift, zipf, scan, loop } as const satisfies Record<
  PatternName,
  (o: PatternOptions, rng: Random) => Generator<number>
>;

export function* pattern(name: PatternName, o: PatternOptions): Generator<Access> {
  if (!Number.isInteger(o.pages) || o.pages < 1) {
    throw new ZswapOptionError(`a working set needs at least 1 page, got ${o.pages}`);
  }
  const rng = new Random(o.seed);
  const writes = new Random(o.seed ^ 0x5bd1e995);
  const pages = PATTERNS[name](o, rng);
  for (const page of pages) yield { page, write: writes.chance(o.writeRatio) };
}
