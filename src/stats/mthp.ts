// Per folio size counters, as the kernel keeps them for multi-size THP under
// /sys/kernel/mm/transparent_hugepage/hugepages-<size>kB/stats/: one row of MTHP_COUNTERS per
// order from FOLIO_PAGES_MIN to FOLIO_PAGES_MAX pages, counting folios.

import { FOLIO_PAGES_MAX, FOLIO_PAGES_MIN, PAGE_SIZE } from "../constants.ts";
import { type Counts, countsNew, MTHP_COUNTERS, type MthpCounterName } from "./counters.ts";

/** Counters by folio size, keyed as the kernel names the folder ("64kB"), smallest first. */
export type MthpStats = Readonly<Record<string, Readonly<Counts<MthpCounterName>>>>;

/** The kernel's name of a folio size: "16kB" for 4 pages. */
export function folioSizeName(pages: number): string {
  return `${(pages * PAGE_SIZE) / 1024}kB`;
}

/** A layer's own per-size counters: counted by folio, read as snapshots. */
export class MthpCounts {
  readonly #bySize = new Map<number, Counts<MthpCounterName>>();

  constructor() {
    for (let pages = FOLIO_PAGES_MIN; pages <= FOLIO_PAGES_MAX; pages *= 2) {
      this.#bySize.set(pages, countsNew(MTHP_COUNTERS));
    }
  }

  /** One folio of `pages` pages (a size between the bounds, checked by the caller) moved `name`. */
  count(pages: number, name: MthpCounterName): void {
    this.#bySize.get(pages)![name]++;
  }

  snapshot(): MthpStats {
    const stats: Record<string, Counts<MthpCounterName>> = {};
    for (const [pages, counts] of this.#bySize) stats[folioSizeName(pages)] = { ...counts };
    return stats;
  }
}

/** Two layers' counters of the same sizes, added (zswap's zswpout and the swap layer's swpout). */
export function mthpSum(a: MthpStats, b: MthpStats): MthpStats {
  const sum: Record<string, Counts<MthpCounterName>> = {};
  for (const [size, counts] of Object.entries(a)) {
    const other = b[size];
    sum[size] = { ...counts };
    if (other === undefined) continue;
    for (const name of Object.keys(MTHP_COUNTERS) as MthpCounterName[]) {
      sum[size][name] += other[name];
    }
  }
  return sum;
}
