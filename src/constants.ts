// Every bound of the system, written once with its unit. Memory costs are per unit stated.

/** Bytes in a page, the unit of swap (x86-64 and arm64 default). */
export const PAGE_SIZE = 4096;

/** Swap areas one cache serves at once: `type` is 0..SWAP_AREAS_MAX-1 (the kernel's MAX_SWAPFILES). */
export const SWAP_AREAS_MAX = 32;

/**
 * Slots in one swap area (1 TiB of swap at 4 KiB a slot). The area's index costs 4 bytes a slot,
 * so the largest area's index is 1 GiB.
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
 * pool's zspage table costs 14 bytes a zspage.
 */
export const POOL_PAGES_MAX = 2 ** 22 - 1;

/** The largest pool bound in bytes (maxPoolBytes), just under 16 GiB: POOL_PAGES_MAX pages. */
export const POOL_BYTES_MAX = POOL_PAGES_MAX * PAGE_SIZE;

/**
 * Compressed bytes in the store path's destination buffer: room for the worst case of every
 * codec we ship on a PAGE_SIZE input (lzo1x needs n + n/16 + 64 + 3), reused for every store.
 */
export const COMPRESS_BUFFER_BYTES = 2 * PAGE_SIZE;

/** Entries the table starts with; it doubles when full (20 bytes an entry). */
export const ENTRY_TABLE_INITIAL = 1024;

/** Writebacks in flight by default (the 2013 writeback patch's soft bound, made hard here): 64 pages of buffers. */
export const WRITEBACK_IN_FLIGHT_DEFAULT = 64;

/** Largest writebacksInFlightMax accepted: 4 MiB of writeback buffers. */
export const WRITEBACK_IN_FLIGHT_MAX = 1024;

/**
 * LRU entries one kick of writeback looks at (second chances, busy slots) before it lets the event
 * loop run; while reclaim is wanted it goes on in the next turn. A kick that only rotates second
 * chances takes about 60 us for 4096 entries.
 */
export const WRITEBACK_SCAN_MAX = 4096;

/**
 * Slot keys one shadow pool of the `dip` writeback policy holds at most. A key costs 24 bytes
 * (the key, two list links, two hash-table cells at half load) and there are two shadows: 3 MiB
 * per Zswap at this bound. A pool expected to hold more entries samples 1 slot in 2^k instead.
 */
export const SHADOW_ENTRIES_MAX = 2 ** 16;

/** Compressed pages a pool page is expected to hold, for sizing the shadows (lz4 on memory: 2-4). */
export const SHADOW_ENTRIES_PER_POOL_PAGE = 4;

/** BIP's bimodal throttle: one new entry in this many goes to the newest end (DIP's 1/32). */
export const BIP_THROTTLE = 32;

/** DIP's policy selector (PSEL) saturates at this: 10 bits, as in the paper. */
export const PSEL_MAX = 1023;

/** Net swap-ins PSEL must move past its middle before placement changes (either way). */
export const PSEL_BAND = 32;

/**
 * Writebacks between two looks at the pool's slack (compaction when over a quarter of its bytes).
 * A look costs a subtraction; checked every 64 writebacks, a small pool stayed fragmented long
 * enough for reclaim to write back several times the room it needed.
 */
export const POOL_COMPACT_CHECK_WRITEBACKS = 8;

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

/**
 * Swap-outs to the device one swap space writes behind at once (a PAGE_SIZE copy each: 256 KiB);
 * a swap-out that finds them all in flight waits for one.
 */
export const SWAP_WRITES_BEHIND_MAX = 64;

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

/**
 * Swap-outs and swap-ins one `zswap run` configuration records for Belady's MIN (two Int32
 * arrays of them, 128 MiB at this bound); past it, MIN is not computed for that configuration.
 */
export const BELADY_EVENTS_MAX = 2 ** 24;

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
