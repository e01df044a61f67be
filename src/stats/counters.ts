// Event counters, named as the kernel spells them: each name with when it moves (the text is the
// documentation, and Prometheus' HELP). Counters only ever go up. Each layer keeps its own,
// privately, and hands out snapshots; gauges (sizes right now) are computed by their owners on read.

/** zswap's counters (debugfs /sys/kernel/debug/zswap/, and vmstat's zswap lines). */
export const ZSWAP_COUNTERS = {
  pool_limit_hit:
    "A store found the pool at its limit (or too close to it for its size class's next zspage), or still above the accept threshold after one",
  group_limit_hit:
    "A store was declined because its group held its zswap.max already, or would with this page (not the kernel's: memcg declines without counting)",
  reject_reclaim_fail:
    "A store that waited for room (whenFull wait) was declined: writeback made no room in time, or nothing could be written back",
  reject_alloc_fail:
    "A store was declined because the pool could not get memory for a zspage (the JS allocator failed)",
  reject_compress_fail: "A store was declined because the compressor failed",
  reject_compress_poor: "A store was declined because the page compressed worse than allowed",
  decompress_fail: "A load or writeback found stored data that did not decompress to a page",
  written_back_pages: "An entry was written to its swap slot on the device and freed",
  duplicate_entry: "A store met an entry already at its slot and replaced it",
  saved_by_writeback:
    'A store succeeded only because writeback made room for it (from "zswap: add swap page writeback support")',
  writeback_fail:
    "A writeback's device write failed; the page stayed in the pool (not the kernel's)",
  zswpin: "A page was loaded from zswap (vmstat)",
  zswpout: "A page was stored in zswap (vmstat)",
  zswpwb: "A page was written back from zswap to the device (vmstat)",
  bd_reads:
    "A load missed a slot whose page writeback had put on the device, which the caller reads then, in pages (zram's bd_stat)",
  bd_writes:
    "A page was written to the device by writeback, on demand (writebackNow) or not, in pages (zram's bd_stat)",
  bd_write_bytes:
    "Bytes writeback wrote to the device: a page for each page written to its own slot, and the pages of each packed block (compressedWriteback) it filled (not the kernel's)",
  bd_packed_writes:
    "A device page of a block of compressed pages packed by compressedWriteback was written, in pages (not the kernel's)",
  recomp_pages:
    "recompress() put a page in a smaller size class with a recompressor (not the kernel's: zram counts none)",
  recomp_saved_bytes:
    "Compressed bytes recompress() saved, summed over recomp_pages (not the kernel's)",
  recomp_incompressible:
    "recompress() found no recompressor that shrank a page to a smaller size class and marked it incompressible (zram's ZRAM_INCOMPRESSIBLE; not counted there)",
} as const;

/** The swap layer's counters (vmstat). */
export const SWAP_COUNTERS = {
  pswpin: "A page was read from the swap device on swap-in (vmstat)",
  pswpout:
    "A page was written to the swap device on swap-out: zswap declined it, or there is none (vmstat)",
  swpin_zero:
    "A swapped-in page was zero-filled and came from the swap map's bit, not from storage (vmstat)",
  swpout_zero: "A swapped-out page was zero-filled and was kept as a bit in the swap map (vmstat)",
  swpin_same:
    "A swapped-in page was one repeated 8-byte value other than zero, and came from the swap map's side table (not the kernel's)",
  swpout_same:
    "A swapped-out page was one repeated 8-byte value other than zero, and was kept as that value in the swap map's side table, no storage used (zram's same-filled pages; not the kernel's)",
  dedup_pages_saved:
    "A swapped-out page (dedup on) was equal, byte for byte, to a page stored already and was kept as a reference to it (not the kernel's)",
  dedup_reads:
    "A swap-out (dedup on) read a stored page back from the device to compare it with its own (not the kernel's)",
  dedup_bytes_saved:
    "Bytes such swap-outs did not store: the stored copy's compressed length in zswap, or a page where it is bound for the device (not the kernel's)",
  swpin_cache:
    "A swap-in found its page in the swap cache, its device write not yet landed: no device read (not the kernel's)",
  swpout_fail:
    "A swap-out's write behind to the device failed; the page stayed in the swap cache, to be written again (not the kernel's)",
  swap_codec_writeback_reads:
    "A page zswap wrote back was decompressed on a codec thread, not on the caller's (not the kernel's)",
} as const;

/**
 * Per folio size (order), as the kernel's /sys/kernel/mm/transparent_hugepage/hugepages-<size>kB/stats/:
 * they count folios, not pages.
 */
export const MTHP_COUNTERS = {
  zswpout: "A large folio was stored in zswap whole (storeFolio)",
  swpout:
    "A large folio was written to the swap device whole, without splitting (zswap declined it, or there is none)",
  swpout_fallback:
    "A large folio was split before swap-out: no aligned run of free slots for it, or a dedup space; its pages went out one by one",
} as const;

/** The counters a group keeps of its own (memory.stat's), a subset of zswap's, same meanings. */
export const GROUP_COUNTER_NAMES = ["zswpin", "zswpout", "zswpwb", "group_limit_hit"] as const;

export type ZswapCounterName = keyof typeof ZSWAP_COUNTERS;
export type GroupCounterName = (typeof GROUP_COUNTER_NAMES)[number];
export type SwapCounterName = keyof typeof SWAP_COUNTERS;
export type MthpCounterName = keyof typeof MTHP_COUNTERS;
export type CounterName = ZswapCounterName | SwapCounterName;

/** Counts by name; a layer's own, mutable copy is private to it. */
export type Counts<N extends string> = Record<N, number>;

/** Every counter of `names` at 0. */
export function countsNew<N extends string>(names: Readonly<Record<N, string>>): Counts<N> {
  const counts = {} as Counts<N>;
  for (const name of Object.keys(names) as N[]) counts[name] = 0;
  return counts;
}

/** True for an event counter (which only goes up), false for a gauge. */
export function isCounter(name: string): name is CounterName {
  return Object.hasOwn(ZSWAP_COUNTERS, name) || Object.hasOwn(SWAP_COUNTERS, name);
}
