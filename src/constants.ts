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

/**
 * Groups one Zswap holds (memory cgroups with zswap.max and zswap.writeback), the root included,
 * so that a group is a bit of a 32-bit mask: at most one per swap area. A row costs nothing for
 * its group, which is its area's.
 */
export const ZSWAP_GROUPS_MAX = SWAP_AREAS_MAX;

/** The largest pool bound in bytes (maxPoolBytes), just under 16 GiB: POOL_PAGES_MAX pages. */
export const POOL_BYTES_MAX = POOL_PAGES_MAX * PAGE_SIZE;

/**
 * Compressed bytes in the store path's destination buffer: room for the worst case of every
 * codec we ship on a PAGE_SIZE input (lzo1x needs n + n/16 + 64 + 3), reused for every store.
 */
export const COMPRESS_BUFFER_BYTES = 2 * PAGE_SIZE;

/** Codec threads a swap space may start (worker_threads, about 10 MiB of heap each). */
export const CODEC_THREADS_MAX = 64;

/**
 * Jobs (pages) handed to a swap space's codec threads at once, the bound of their queue: a job
 * slot of PAGE_SIZE + COMPRESS_BUFFER_BYTES bytes each in shared memory (1.5 MiB in all). A call
 * that finds every slot taken does its page on its own thread instead. A power of two: the
 * queues index by mask.
 */
export const CODEC_JOBS_MAX = 128;

/**
 * Polls of its queue's HEAD a codec thread makes when its queue runs dry before it sleeps
 * (about 20 µs): a thread still awake when more jobs come needs no wake-up.
 */
export const CODEC_SPIN_POLLS = 20_000;

/**
 * Pages a swap space compresses on the caller's thread in one turn of the event loop when it
 * has codec threads (about 0.3 ms of lz4 work at 9 µs a page); more go to the threads, or wait
 * for the next turn, so that the loop turns.
 */
export const CODEC_INLINE_PAGES_PER_TURN = 32;

/**
 * Pages decompressed inline count this many times fewer against CODEC_INLINE_PAGES_PER_TURN:
 * lz4 decompresses a page in about 2 µs, a quarter of its compression or less.
 */
export const CODEC_INLINE_DECOMPRESS_SHARE = 4;

/**
 * Jobs a swap space takes back from its codec threads in one task: each is a store and the next
 * hand-off (about 8 µs of main thread), so 32 keep a task near 0.25 ms and the event loop turning.
 */
export const CODEC_DRAIN_JOBS_MAX = 32;

/** Pages one swapOutMany or swapInMany takes: a PMD-sized folio (2 MiB). */
export const SWAP_BATCH_PAGES_MAX = 512;

/** Pages of the smallest large folio storeFolio / swapOutFolio take (order 2, 16 KiB, mTHP's least). */
export const FOLIO_PAGES_MIN = 4;

/** Pages of the largest: a PMD-sized folio (order 9, 2 MiB); per-order counters cost 3 numbers an order. */
export const FOLIO_PAGES_MAX = 512;

/** Writebacks in flight by default (the 2013 writeback patch's soft bound, made hard here): 64 pages of buffers. */
export const WRITEBACK_IN_FLIGHT_DEFAULT = 64;

/** Largest writebacksInFlightMax accepted: 4 MiB of writeback buffers. */
export const WRITEBACK_IN_FLIGHT_MAX = 1024;

/**
 * Device pages of one block of compressed writeback: objects cross page boundaries inside a block
 * (as in a zspage), so a block wastes less than one object, where a page-sized block would waste
 * most of one for pages that compress to half a page or more. A block's buffer is this many
 * pages, one per writeback in flight and one filling.
 */
export const PACKED_BLOCK_PAGES = 4;

/**
 * Objects one block of compressed writeback holds (as many as the pool's smallest objects fill
 * it): the rows a block in flight holds, 8 bytes each.
 */
export const PACKED_BLOCK_OBJECTS_MAX = (PACKED_BLOCK_PAGES * PAGE_SIZE) / POOL_OBJECT_BYTES_MIN;

/**
 * Blocks of one packed region (16 GiB of device at 16 KiB a block): a packed object's place
 * (block, codec, offset, length) is then one exact double. A larger region's extra slots go unused.
 */
export const PACKED_BLOCKS_MAX = 2 ** 20;

/**
 * Device pages of the packed region a swap space's own device gets after its slots with
 * compressed writeback on, in percent of its slots: at lz4's 2-3x on real pages, half the slots' count of
 * pages holds every slot's page; a region that fills makes writeback write plain pages. A block
 * costs 9 bytes of memory and a packed page about 40 (its place in a Map).
 */
export const PACKED_REGION_PERCENT = 50;

/**
 * Rows the entry table grows by, in place (8 bytes a row: 512 KiB a step), so that it is never
 * more than one step larger than the most entries it held.
 */
export const ENTRY_TABLE_STEP = 65_536;

/**
 * Rows of one entry table: one per pool object (at most 128 a page, objects being 32 bytes or
 * more) and those writebacks in flight hold (up to a block's objects each, with compressed
 * writeback), so a store never runs out of rows. The table reserves
 * address space for them (4 GiB, 8 bytes a row) and commits only the rows it grew to.
 */
export const ENTRY_ROWS_MAX =
  POOL_PAGES_MAX * (PAGE_SIZE / POOL_OBJECT_BYTES_MIN) +
  (WRITEBACK_IN_FLIGHT_MAX + 1) * PACKED_BLOCK_OBJECTS_MAX;

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
 * Under LRU placement, the share (percent) of the accept threshold's hysteresis that dip's
 * reclaim writes back: stores resume halfway between the threshold and the bound. A pass down
 * to the threshold made a run's device writes jump by 4% with where it stopped; one down to a
 * zspage below the bound refused more stores on a real swap file (measured in BENCHMARKS.md).
 */
export const DIP_LRU_HYSTERESIS_PERCENT = 50;

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
/** The longest one store may be told to wait for room, in ms. */
export const ROOM_WAIT_MS_MAX = 60_000;

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

/**
 * Commands one Redis device keeps in flight (a page each); callers beyond wait in FIFO order.
 * Each unit holds one write buffer of PAGE_SIZE + 4 bytes (about 1 MiB at this bound).
 */
export const REDIS_IN_FLIGHT_MAX = 256;

/** Longest one Redis command may take, in ms, before it fails with ETIMEDOUT (a hung server). */
export const REDIS_COMMAND_TIMEOUT_MS = 5000;

/** Longest a connection to a Redis server may take to open, in ms. */
export const REDIS_CONNECT_TIMEOUT_MS = 3000;

/**
 * Longest pause between two reconnection attempts after a connection dropped, in ms. Commands
 * never wait for a reconnection: while disconnected they fail at once.
 */
export const REDIS_RECONNECT_DELAY_MS_MAX = 1000;

/** Keys one step of a Redis device's close removes at once (one pipelined UNLINK each). */
export const REDIS_UNLINK_BATCH_KEYS = 1024;

/**
 * Migrations a tiered device keeps in flight (upper device to lower), each with a PAGE_SIZE
 * buffer: 64 KiB at this bound.
 */
export const TIER_MIGRATIONS_IN_FLIGHT_MAX = 16;

/** Percent of its slots a tiered device's upper device may hold before migrations start. */
export const TIER_RESIDENT_PERCENT_MAX = 90;

/**
 * Connections one HTTP server of ours (`metricsServe`, `zswap run --serve`) keeps open at once;
 * Node drops those beyond. Each costs a socket and its buffers, tens of KiB.
 */
export const HTTP_CONNECTIONS_MAX = 32;

/** Longest a client may take to send a request's headers, in ms, before its socket is closed. */
export const HTTP_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Longest swap-in latency the HDR histograms of `zswap run` tell apart, in ns (60 s); a longer
 * one is counted as this. With LATENCY_FIGURES digits such a histogram holds 27,648 counts of 8
 * bytes (216 KiB); a run keeps three per configuration (the run's, the window's, all runs').
 */
export const LATENCY_NS_MAX = 60e9;

/** Significant decimal digits those histograms keep: a latency is told within 0.1%. */
export const LATENCY_FIGURES = 3;

/**
 * Tenants of `zswap run --groups` (the noisy-neighbour experiment): each has its own swap space,
 * device and resident frames, so N tenants take N times one run's memory.
 */
export const RUN_GROUPS_MAX = 8;

/**
 * Runs of each configuration `zswap run --runs` (and, apart, `--warmup`) may ask for: every
 * measured run's result is kept, its series included (about 100 KiB), so 100 runs of 4
 * configurations hold about 40 MiB.
 */
export const RUN_REPEATS_MAX = 100;

/**
 * How often the live page of `zswap run --serve` is sent a new snapshot of the run, in ms, when
 * it changed. A snapshot is the whole chart data, under 100 KiB with 4 configurations.
 */
export const LIVE_PUSH_MS = 500;

/**
 * Bytes one live page's event stream may hold unsent before it is skipped: a page that does not
 * read gets the next snapshot it can take (each is whole), not a growing queue.
 */
export const LIVE_UNSENT_BYTES_MAX = 1 << 20;

/** Pages one reclaim pass takes at most (the kernel's SWAP_CLUSTER_MAX). */
export const RECLAIM_BATCH_PAGES = 32;

/**
 * Swap-outs the kernel-like driver (workload/reclaim.ts) keeps in flight: a block device's
 * request queue (nr_requests, 256 with mq-deadline). Each holds its page frame until it settles.
 */
export const RECLAIM_IN_FLIGHT_MAX = 256;

/**
 * Pages of the working set `zswap kernel` runs (2 GiB): the machine really holds them, in its
 * memory, swap and zswap, and zswap-ts then holds the same, so both stay moderate.
 */
export const KERNEL_PAGES_MAX = 2 ** 19;

/** Accesses `zswap kernel` replays at most: 4 bytes each in the helper's file (64 MiB). */
export const KERNEL_ACCESSES_MAX = 2 ** 24;

/** The smallest memory cgroup `zswap kernel` makes, in bytes: the helper's own memory needs room. */
export const KERNEL_LIMIT_BYTES_MIN = 16 * 1024 ** 2;

/** The largest, in bytes: zswap-ts then holds as much memory itself as page frames (1 GiB). */
export const KERNEL_LIMIT_BYTES_MAX = 1024 ** 3;

/** How long the kernel's swap writes may take to settle after a phase, in ms. */
export const KERNEL_SETTLE_MS_MAX = 120_000;

/** How long an undo step waits for a killed process to leave its cgroup, in ms. */
export const KERNEL_UNDO_WAIT_MS_MAX = 30_000;

/**
 * Bytes of a dictionary `zswap dict train` makes by default (zstd's own trainer default, 110 KiB):
 * about what the trainer can fill from a few thousand pages.
 */
export const DICT_TRAIN_BYTES = 112_640;

/** The largest zstd dictionary the codec accepts, in bytes (1 MiB). */
export const DICT_BYTES_MAX = 1024 ** 2;

/** Fewest sample pages the trainer is given: below this zstd's trainer has too little to go on. */
export const DICT_TRAIN_PAGES_MIN = 16;

/** Most sample pages the trainer reads (64 MiB, held in memory while it runs). */
export const DICT_TRAIN_PAGES_MAX = 16_384;

/**
 * Dictionaries one Zswap keeps at once: the current one and older ones that live entries were
 * compressed with. Each costs its digested forms (zstd's CDict and DDict, a few times its size:
 * under 1 MiB for a 110 KiB dictionary) and a codec context.
 */
export const DICTS_KEPT_MAX = 4;

/**
 * Length of one tick of idle tracking, in ms (12 minutes): an entry's access time is kept in
 * ticks, 1 byte a row (the metadata budget leaves no more), so markIdle's olderThanMs is resolved
 * to 12 minutes and ages reach a day (zram's own example of `idle`: 86400 seconds).
 */
export const IDLE_TICK_MS = 12 * 60_000;

/**
 * Oldest age idle tracking tells apart, in ticks (25.4 h at IDLE_TICK_MS): an access time is a
 * byte and wraps after 255 ticks, so every walk of the table (markIdle) saturates older ages
 * here. markIdle's olderThanMs may be at most this many ticks.
 */
export const IDLE_AGE_TICKS_MAX = 127;

/** Recompressors after the primary codec, in priority order (zram's 3 secondary algorithms). */
export const RECOMPRESSORS_MAX = 3;
