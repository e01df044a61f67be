// Gauges: values right now, computed by their owners on read (they go up and down). Each name
// with what it holds: the text is the documentation, and Prometheus' HELP.

/** zswap's gauges, with the kernel's names where it has one. */
export const ZSWAP_GAUGES = {
  pool_total_size: "Bytes of pages the pool holds (debugfs pool_total_size; meminfo Zswap)",
  pool_limit_bytes: "The pool's bound in bytes (not the kernel's)",
  stored_pages: "Pages stored now (debugfs)",
  stored_incompressible_pages: "Pages stored now uncompressed (debugfs)",
  Zswapped: "Bytes of the pages stored, before compression (meminfo Zswapped)",
  compressed_bytes:
    "Bytes of compressed data stored, what the pool's objects were asked for (not the kernel's)",
  metadata_bytes:
    "Bytes of metadata outside the pool's pages: the entry table, indexes and the pool's own tables (not the kernel's)",
  outstanding_writebacks:
    "Writebacks whose device write is in flight (the 2013 writeback patch's outstanding_writebacks)",
  writeback_waiters:
    "Stores waiting for writeback to make room, the wait policy's queue (not the kernel's)",
  bd_count:
    "Slots whose page writeback put on the device and that were not stored to or freed since, in pages (zram's bd_stat)",
  bd_packed_pages:
    "Slots whose page compressedWriteback packed into a block on the device and that were not stored to or freed since, in pages (not the kernel's)",
  bd_packed_blocks:
    "Blocks of the device's packed region holding compressed pages (PACKED_BLOCK_PAGES pages each) (not the kernel's)",
  writeback_limit:
    "Pages writebackNow may still write while writebackLimitEnable is on (zram's writeback_limit)",
} as const;

/** The swap layer's gauges (not the kernel's). */
export const SWAP_GAUGES = {
  swap_slots: "Slots in the swap space",
  swap_slots_used: "Slots of the swap space in use",
  swap_zero_pages: "Slots in use holding a zero-filled page, which takes no storage",
  same_pages:
    "Slots in use holding a page of one repeated 8-byte value, zero pages included, which takes no storage (zram's mm_stat same_pages)",
  dedup_pages:
    "Slots in use whose page is another slot's stored copy (dedup), which takes no storage of its own",
  dedup_held_slots:
    "Slots freed by their owner and held because deduplicated slots still read their page",
  swap_io_in_flight: "Device reads and writes in flight, writeback included",
  swap_cache_pages:
    "Pages of swap-outs held in the swap cache: their write is in flight, or failed",
  swap_codec_threads: "Codec threads running (0 until a swap first goes off-thread)",
  swap_codec_jobs: "Pages handed to codec threads whose result the swap space has not taken yet",
} as const;

/** A group's gauges: memory.stat's zswap lines and the cgroup files' values, as the kernel names them. */
export const GROUP_GAUGES = {
  zswap:
    "Bytes the group's pages take in the pool, compressed (memory.stat zswap; memory.zswap.current)",
  zswapped: "Bytes of the group's pages stored, before compression (memory.stat zswapped)",
  zswap_incomp: "The group's pages stored uncompressed (memory.stat zswap_incomp)",
  zswap_max: "The group's bound on its zswap bytes, +Inf for none (memory.zswap.max)",
  zswap_writeback:
    "1 when the group's pages may go to the device, 0 when not (memory.zswap.writeback)",
} as const;

export type ZswapGaugeName = keyof typeof ZSWAP_GAUGES;
export type SwapGaugeName = keyof typeof SWAP_GAUGES;
export type GroupGaugeName = keyof typeof GROUP_GAUGES;
export type GaugeName = ZswapGaugeName | SwapGaugeName | GroupGaugeName;
