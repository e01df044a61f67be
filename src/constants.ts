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
 * Compressed bytes in the store path's destination buffer: room for the worst case of every
 * codec we ship on a PAGE_SIZE input (lzo1x needs n + n/16 + 64 + 3), reused for every store.
 */
export const COMPRESS_BUFFER_BYTES = 2 * PAGE_SIZE;

/** Entries the table starts with; it doubles when full (20 bytes an entry). */
export const ENTRY_TABLE_INITIAL = 1024;
