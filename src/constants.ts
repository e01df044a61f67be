// Every bound of the system, written once with its unit. Memory costs are per unit stated.

/** Bytes in a page, the unit of swap (x86-64 and arm64 default). */
export const PAGE_SIZE = 4096;

/** Swap areas one cache serves at once: `type` is 0..SWAP_AREAS_MAX-1 (the kernel's MAX_SWAPFILES). */
export const SWAP_AREAS_MAX = 32;

/**
 * Slots in one swap area (1 TiB of swap at 4 KiB a slot). The area's index costs 4 bytes a slot
 * it has written to (in chunks of 1024), so the largest area's index is 1 GiB.
 */
export const AREA_SLOTS_MAX = 2 ** 28;

/** Smallest pool object in bytes (zsmalloc's ZS_MIN_ALLOC_SIZE). */
export const POOL_OBJECT_BYTES_MIN = 32;

/** Distance in bytes between neighbouring size classes (zsmalloc's ZS_SIZE_CLASS_DELTA). */
export const POOL_CLASS_DELTA_BYTES = 16;

/** Most pages chained into one zspage (zsmalloc's CONFIG_ZSMALLOC_CHAIN_SIZE default). */
export const POOL_ZSPAGE_PAGES_MAX = 8;

/**
 * Pages one pool may hold (16 GiB at 4 KiB a page): a handle packs a zspage id of 22 bits
 * (1..2^22-1) with an object index of 10 bits, and every zspage holds at least one page. The
 * pool's zspage table costs 24 bytes a zspage, in steps of POOL_ZSPAGE_TABLE_STEP ids.
 */
export const POOL_PAGES_MAX = 2 ** 22 - 1;

/**
 * Bytes of an object's header inside the pool (zsmalloc keeps the handle there): its tag (4) and
 * its length (2), at the start of its slot, in the cache line its data starts in, and 2 unused
 * so that the data is 8-byte aligned: V8 copies into shared memory 8 bytes at a time only between
 * 8-byte aligned addresses, else a byte at a time. The huge class's objects (one a page) keep
 * theirs in the zspage table instead, so a whole page fits.
 */
export const POOL_OBJECT_HEADER_BYTES = 8;

/**
 * Arenas of one pool: one per zspage length (1..POOL_ZSPAGE_PAGES_MAX pages), so that a chunk's
 * zspages are all alike and an emptied one is reused as it is. Each arena has at most one chunk
 * partly used because it grows, so the pool holds at most this many chunks beyond its bound.
 */
export const POOL_ARENAS = POOL_ZSPAGE_PAGES_MAX;

/**
 * Pages in one arena chunk (3.28 MiB): 840 is the least common multiple of 1..8, so zspages of
 * every length tile a chunk exactly. A chunk is one SharedArrayBuffer, allocated when an arena
 * grows and given back whole when it empties; its pages are resident only once written. A pool
 * holds at most ceil(pagesMax / POOL_CHUNK_PAGES) + POOL_ARENAS chunks: for a 1 GiB bound, 26 MiB
 * more than the bound at most, touched or not.
 */
export const POOL_CHUNK_PAGES = 840;

/** Chunk ids of one pool: the most chunks POOL_PAGES_MAX pages can need, at 8 bytes a chunk. */
export const POOL_CHUNKS_MAX = Math.ceil(POOL_PAGES_MAX / POOL_CHUNK_PAGES) + POOL_ARENAS;

/** Zspage ids the pool's zspage table grows by (24 bytes an id: 768 KiB a step). */
export const POOL_ZSPAGE_TABLE_STEP = 32_768;

/** The largest pool bound in bytes (maxPoolBytes), just under 16 GiB: POOL_PAGES_MAX pages. */
export const POOL_BYTES_MAX = POOL_PAGES_MAX * PAGE_SIZE;

/**
 * Compressed bytes in the store path's destination buffer: room for the worst case of every
 * codec we ship on a PAGE_SIZE input (lzo1x needs n + n/16 + 64 + 3), reused for every store.
 */
export const COMPRESS_BUFFER_BYTES = 2 * PAGE_SIZE;

/** Writebacks in flight by default (the 2013 writeback patch's soft bound, made hard here): 64 pages of buffers. */
export const WRITEBACK_IN_FLIGHT_DEFAULT = 64;

/** Largest writebacksInFlightMax accepted: 4 MiB of writeback buffers. */
export const WRITEBACK_IN_FLIGHT_MAX = 1024;

/**
 * Rows the entry table grows by, in place (7 bytes a row: 448 KiB a step), so that it is never
 * more than one step larger than the most entries it held.
 */
export const ENTRY_TABLE_STEP = 65_536;

/**
 * Rows of one entry table: one per pool object (at most 128 a page, objects being 32 bytes or
 * more) and one per writeback in flight, so a store never runs out of rows. The table reserves
 * address space for them (3.5 GiB, 7 bytes a row) and commits only the rows it grew to.
 */
export const ENTRY_ROWS_MAX =
  POOL_PAGES_MAX * (PAGE_SIZE / POOL_OBJECT_BYTES_MIN) + WRITEBACK_IN_FLIGHT_MAX;

/**
 * LRU entries one kick of writeback looks at (second chances, busy slots) before it lets the event
 * loop run; while reclaim is wanted it goes on in the next turn. A kick that only rotates second
 * chances takes about 60 us for 4096 entries.
 */
export const WRITEBACK_SCAN_MAX = 4096;

/** Consecutive failed writebacks after which writeback pauses before retrying. */
export const WRITEBACK_FAILURES_MAX = 8;

/** First pause after WRITEBACK_FAILURES_MAX failures, in ms; it doubles up to the max. */
export const WRITEBACK_BACKOFF_MS_MIN = 10;
export const WRITEBACK_BACKOFF_MS_MAX = 1000;

/** Stores that may wait for room at once under the `wait` policy; more are rejected at once. */
export const ROOM_WAITERS_MAX = 4096;

/**
 * Swap-outs of one space that may wait at once for a free slot whose I/O is still settling
 * (a closure each, about 100 bytes); more are refused with ZSWAP_E_BUSY.
 */
export const SLOT_WAITERS_MAX = 65_536;

/** How long one store may wait for room by default, in ms, before it falls back to rejecting. */
export const ROOM_WAIT_MS_DEFAULT = 1000;

/**
 * I/Os a file device keeps in flight by default; callers beyond the depth wait in FIFO order.
 * With O_DIRECT each unit of depth holds one PAGE_SIZE bounce page (4 KiB), plus one page of
 * slack for alignment.
 */
export const DEVICE_IO_DEPTH_DEFAULT = 64;

/** Largest I/O depth a file device accepts (its O_DIRECT bounce buffer is then 16 MiB + 4 KiB). */
export const DEVICE_IO_DEPTH_MAX = 4096;

/**
 * Longest latency in microseconds a fault-injecting device waits for one I/O (1 s): draws from a
 * lognormal model are clamped here so that no simulated I/O hangs a run.
 */
export const DEVICE_LATENCY_US_MAX = 1_000_000;

/**
 * Pages of the working set `zswap run` models (16 GiB): the resident-set model keeps 16 bytes a
 * page of tables, 64 MiB at this bound; a trace that touches more distinct pages is refused.
 */
export const RUN_PAGES_MAX = 2 ** 22;

/** Resident page frames `zswap run` models (1 GiB): the modelled RAM is real memory. */
export const RUN_FRAMES_MAX = 2 ** 18;

/**
 * Event-loop turns in a row that simulated work may take with no virtual timer to fire before it
 * is declared stuck (writeback's rescans take a turn each; a real run of them ends far sooner).
 */
export const SIM_TURNS_MAX = 100_000;

/** Characters of one trace line: a longer line is not a trace line, and is refused. */
export const TRACE_LINE_CHARS_MAX = 4096;

/** Distinct page contents `zswap run` holds for a workload (256 MiB); larger ones reuse them. */
export const RUN_CORPUS_PAGES_MAX = 65_536;

/**
 * Writes one file device keeps in flight; more wait, reads do not. Node's file I/O runs on
 * libuv's pool of 4 threads, first come first served: with at most 2 writes in it, 2 threads
 * stay free, so a swap-in's read does not queue behind a writeback burst (a read-preferring
 * scheduler, as the kernel's block layer has).
 */
export const DEVICE_WRITES_IN_FLIGHT_MAX = 2;
