// Size classes and their zspage geometry, computed once at import and shared by every pool.
// The rules are zsmalloc's (mm/zsmalloc.c): classes POOL_CLASS_DELTA_BYTES apart from
// POOL_OBJECT_BYTES_MIN to PAGE_SIZE, each chaining the number of pages that wastes the fewest
// bytes (calculate_zspage_chain_size), and neighbours of equal geometry merged (can_merge).

import {
  PAGE_SIZE,
  POOL_CLASS_DELTA_BYTES,
  POOL_OBJECT_BYTES_MIN,
  POOL_OBJECT_HEADER_BYTES,
  POOL_ZSPAGE_PAGES_MAX,
} from "../constants.ts";

/** Size indexes: index i stands for objects of POOL_OBJECT_BYTES_MIN + i * delta bytes (255). */
export const POOL_SIZE_INDEXES =
  Math.ceil((PAGE_SIZE - POOL_OBJECT_BYTES_MIN) / POOL_CLASS_DELTA_BYTES) + 1;

/** Most objects one zspage can hold: the smallest object in the longest chain (1024). */
export const POOL_ZSPAGE_OBJECTS_MAX = (POOL_ZSPAGE_PAGES_MAX * PAGE_SIZE) / POOL_OBJECT_BYTES_MIN;

/** Bytes left over at the end of a zspage of `pages` pages cut into `sizeBytes` objects. */
export function zspageWasteBytes(sizeBytes: number, pages: number): number {
  return (pages * PAGE_SIZE) % sizeBytes;
}

/**
 * Pages per zspage for a class: the chain length 1..POOL_ZSPAGE_PAGES_MAX that leaves the fewest
 * bytes unused, the shortest on a tie (zsmalloc's calculate_zspage_chain_size; its power-of-two
 * shortcut gives the same answer here, since such sizes divide PAGE_SIZE).
 */
export function zspageChainPages(sizeBytes: number): number {
  let best = 1;
  for (let pages = 2; pages <= POOL_ZSPAGE_PAGES_MAX; pages++) {
    if (zspageWasteBytes(sizeBytes, pages) < zspageWasteBytes(sizeBytes, best)) best = pages;
  }
  return best;
}

/** Object bytes of size index i (its own size, before merging). */
export const sizeIndexBytes = new Uint16Array(POOL_SIZE_INDEXES);
/** Pages per zspage of size index i (its own geometry, before merging). */
export const sizeIndexPages = new Uint8Array(POOL_SIZE_INDEXES);
/** Objects per zspage of size index i (its own geometry, before merging). */
export const sizeIndexObjects = new Uint16Array(POOL_SIZE_INDEXES);
/**
 * The class serving size index i: the largest index of the run of equal geometry that i belongs
 * to. A class is "live" (has its own lists and statistics) when classOfSizeIndex[c] === c.
 */
export const classOfSizeIndex = new Uint8Array(POOL_SIZE_INDEXES);

// From the largest size down, as zs_create_pool does: a smaller size joins the class above it
// when both have the same pages and objects per zspage, so the class's size is the run's largest.
for (let i = POOL_SIZE_INDEXES - 1; i >= 0; i--) {
  const sizeBytes = Math.min(POOL_OBJECT_BYTES_MIN + i * POOL_CLASS_DELTA_BYTES, PAGE_SIZE);
  const pages = zspageChainPages(sizeBytes);
  const objects = Math.floor((pages * PAGE_SIZE) / sizeBytes);
  sizeIndexBytes[i] = sizeBytes;
  sizeIndexPages[i] = pages;
  sizeIndexObjects[i] = objects;
  const above = i + 1 < POOL_SIZE_INDEXES ? classOfSizeIndex[i + 1] : -1;
  const merges =
    above >= 0 && sizeIndexPages[above] === pages && sizeIndexObjects[above] === objects;
  classOfSizeIndex[i] = merges ? above : i;
}

/** The class index whose objects hold `sizeBytes` (1..PAGE_SIZE; the caller checks the range). */
export function classOfSize(sizeBytes: number): number {
  const i =
    sizeBytes <= POOL_OBJECT_BYTES_MIN
      ? 0
      : Math.ceil((sizeBytes - POOL_OBJECT_BYTES_MIN) / POOL_CLASS_DELTA_BYTES);
  return classOfSizeIndex[i];
}

/** The huge class: one object per one-page zspage, serving every size above the last chain. */
export const POOL_HUGE_CLASS = classOfSizeIndex[POOL_SIZE_INDEXES - 1];

/**
 * The class of an object of `sizeBytes` (1..PAGE_SIZE; the caller checks the range): the
 * smallest whose slots hold it and its header, or the huge class, whose objects keep their
 * header outside (so a whole page fits).
 */
export function classOfObject(sizeBytes: number): number {
  return classOfSize(Math.min(PAGE_SIZE, sizeBytes + POOL_OBJECT_HEADER_BYTES));
}

/** Bytes an object of class c may hold: its slot less the header, or a page in the huge class. */
export function objectCapacity(c: number): number {
  return c === POOL_HUGE_CLASS ? PAGE_SIZE : sizeIndexBytes[c] - POOL_OBJECT_HEADER_BYTES;
}

/**
 * Smallest object size that lands in the huge class (zsmalloc's zs_huge_class_size: 3625 bytes
 * with 8-page chains and our 8-byte header). Smaller objects share zspages.
 */
export const POOL_HUGE_OBJECT_BYTES_MIN = hugeObjectBytesMin();

function hugeObjectBytesMin(): number {
  let size = PAGE_SIZE;
  while (size > 1 && classOfObject(size - 1) === POOL_HUGE_CLASS) size--;
  return size;
}

/** Indexes of the live (unmerged) classes, ascending. */
export const POOL_CLASSES: readonly number[] = Array.from(
  { length: POOL_SIZE_INDEXES },
  (_, i) => i,
).filter((i) => classOfSizeIndex[i] === i);
