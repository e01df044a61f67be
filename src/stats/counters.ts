// Event counters, named as the kernel spells them. Each moves only where its comment says, and
// only ever up. Gauges (sizes right now) are not kept here: their owners compute them on read.

export class Counters {
  // --- debugfs: /sys/kernel/debug/zswap/ ---
  /** A store found the pool at its limit, or still above the accept threshold after one. */
  pool_limit_hit = 0;
  /** A `wait` store was declined: writeback made no room in time, or nothing could be written back. */
  reject_reclaim_fail = 0;
  /** A store was declined because the pool could not allocate (pages bound reached). */
  reject_alloc_fail = 0;
  /** A store was declined because the compressor failed. */
  reject_compress_fail = 0;
  /** A store was declined because the page compressed worse than allowed. */
  reject_compress_poor = 0;
  /** A load or writeback found stored data that did not decompress to a page. */
  decompress_fail = 0;
  /** An entry was written to its swap slot on the device and freed. */
  written_back_pages = 0;
  /** A store met an entry already at its slot and replaced it. */
  duplicate_entry = 0;
  /** A store succeeded only because writeback made room for it (saved_by_writeback of "zswap: add swap page writeback support"). */
  saved_by_writeback = 0;
  /** A writeback's device write failed; the page stayed in the pool (ours, not the kernel's). */
  writeback_fail = 0;

  // --- vmstat: /proc/vmstat ---
  /** A page was loaded from zswap. */
  zswpin = 0;
  /** A page was stored in zswap. */
  zswpout = 0;
  /** A page was written back from zswap to the device. */
  zswpwb = 0;
  /** A page was read from the swap device on swap-in. */
  pswpin = 0;
  /** A page was written to the swap device on swap-out (zswap declined it). */
  pswpout = 0;
  /** A swapped-in page was zero-filled and came from the swap map's bit, not from storage. */
  swpin_zero = 0;
  /** A swapped-out page was zero-filled and was kept as a bit in the swap map. */
  swpout_zero = 0;
}

export type CounterName = keyof Counters;
