// ZsPool: a zsmalloc-style allocator of objects up to PAGE_SIZE bytes in zspages of 1..8 pages,
// handing out opaque handles, bounded in pages, compactable. See README.md for the design.

import { assert } from "../assert.ts";
import { PAGE_SIZE, POOL_PAGES_MAX } from "../constants.ts";
import { ZswapOptionError } from "../errors.ts";
import { grown } from "../typed-arrays.ts";
import type { ByteCount, Handle, PageCount } from "../types.ts";
import { NO_HANDLE } from "../types.ts";
import {
  classOfSize,
  POOL_CLASSES,
  POOL_SIZE_INDEXES,
  POOL_ZSPAGE_OBJECTS_MAX,
  sizeIndexBytes,
  sizeIndexObjects,
  sizeIndexPages,
} from "./geometry.ts";

// ---- Handles -----------------------------------------------------------------------------------
// handle = zspage id * 1024 + object index: ids are 1..POOL_PAGES_MAX, so a handle is a non-zero
// uint32. Objects that compaction moves get new handles; all others keep theirs for life.

const HANDLE_INDEX_BITS = 10;
const HANDLE_INDEX_MASK = (1 << HANDLE_INDEX_BITS) - 1;
const HANDLE_OBJECTS = 1 << HANDLE_INDEX_BITS;

// ---- Object metadata ---------------------------------------------------------------------------
// Three uint16 per object in one Uint16Array per zspage (6 bytes an object):
//   meta[3i]     the link, like zsmalloc's link_free union: a free object holds LINK_FREE | the
//                index of the next free object (LINK_END ends the list); an allocated object
//                holds the size the caller asked for (1..PAGE_SIZE), so LINK_FREE clear means
//                allocated;
//   meta[3i + 1] the tag's low 16 bits, meta[3i + 2] its high 16 bits (0 while free).
// One typed array rather than a tag array and a link array: each typed array costs ~200 bytes of
// V8 heap, more than a small zspage's objects' metadata.

const META_WORDS = 3;
const LINK_FREE = 0x8000;
const LINK_END = 0x7fff;

// ---- Fullness groups ---------------------------------------------------------------------------
// By in-use ratio, as zsmalloc since 6.3: 0 empty, 1 for under 10% in use .. 10 for 90% to
// under 100%, 11 full.

const FULLNESS_EMPTY = 0;
const FULLNESS_FULL = 11;
const FULLNESS_GROUPS = 12;
/** Groups with room: empty and 10%..99%. */
const FULLNESS_ROOM_MASK = (1 << FULLNESS_FULL) - 1;
/** Groups compaction takes objects from and into: 10%..99%. */
const FULLNESS_PARTIAL_MASK = FULLNESS_ROOM_MASK & ~(1 << FULLNESS_EMPTY);
/** Column names of PoolClassStats.zspagesByFullness, as zsmalloc's debugfs `classes` file. */
export const POOL_FULLNESS_LABELS: readonly string[] = [
  "10%",
  "20%",
  "30%",
  "40%",
  "50%",
  "60%",
  "70%",
  "80%",
  "90%",
  "99%",
  "100%",
];

function fullnessOf(inuse: number, objects: number): number {
  if (inuse === 0) return FULLNESS_EMPTY;
  if (inuse === objects) return FULLNESS_FULL;
  // zsmalloc's (100 * inuse / objects) / 10 + 1 in integers: 1 of 127 is 10%, not 0%.
  return (((10 * inuse) / objects) | 0) + 1;
}

// ---- Zspage table ------------------------------------------------------------------------------

/** zsClass value of an id that holds no zspage (class indexes are 0..254). */
const ZSPAGE_DEAD = 0xff;
/** zsGroup value of a zspage compaction has taken off its list. */
const ZSPAGE_ISOLATED = 0xff;
const ZSPAGE_TABLE_INITIAL = 64;
/** What the per-zspage arrays hold for an id with no zspage. */
const BYTES_NONE = new Uint8Array(0);
const META_NONE = new Uint16Array(0);

// The encodings above hold every object index of the longest chain of the smallest objects.
assert(POOL_ZSPAGE_OBJECTS_MAX <= HANDLE_OBJECTS, "object index fits a handle");
assert(POOL_ZSPAGE_OBJECTS_MAX <= LINK_END, "object index fits a link");
assert(POOL_PAGES_MAX * HANDLE_OBJECTS <= 2 ** 32, "handles fit a uint32");

/** Set by ZsPool's static block: the test hook's way in. */
let poolInternalsGet: (pool: ZsPool) => unknown;

// ---- Types -------------------------------------------------------------------------------------

export interface PoolOptions {
  /** Hard bound on pages held in zspages, 1..POOL_PAGES_MAX. */
  pagesMax: PageCount;
  /**
   * Compaction moved the object tagged `tag` to handle `to`; its old handle is now invalid.
   * Called once per moved object, inside compact(): it must not call back into the pool.
   */
  onMove?: (tag: number, to: Handle) => void;
}

/** One row of the `classes` table (zsmalloc's debugfs columns). */
export interface PoolClassStats {
  /** Class index: the size index of the class's own (largest) size. */
  readonly index: number;
  /** Object capacity of the class. */
  readonly sizeBytes: ByteCount;
  readonly pagesPerZspage: PageCount;
  readonly objsPerZspage: number;
  /** Zspages per fullness group, in the order of POOL_FULLNESS_LABELS. */
  readonly zspagesByFullness: readonly number[];
  /** Zspages of the class. */
  readonly zspages: number;
  /** Object slots in the class's zspages, used or not. */
  readonly objAllocated: number;
  /** Slots holding a live object. */
  readonly objUsed: number;
  /** Pages held by the class's zspages. */
  readonly pagesUsed: PageCount;
  /** Pages compaction could free: whole zspages' worth of unused slots. */
  readonly freeable: PageCount;
}

export interface PoolStats {
  /** Pages held in zspages (zs_get_total_pages): what pool_total_size reports. */
  readonly pagesUsed: PageCount;
  readonly pagesMax: PageCount;
  readonly zspages: number;
  /** Object slots in all zspages. */
  readonly objAllocated: number;
  /** Live objects. */
  readonly objects: number;
  /** Sum of the sizes passed to malloc for the live objects. */
  readonly requestedBytes: ByteCount;
  /** Sum of freeable over the classes. */
  readonly freeable: PageCount;
  /** Pages freed by compact() since the pool was made. */
  readonly pagesCompacted: PageCount;
  /** Every class that has its own geometry (merged sizes excluded), ascending by size. */
  readonly classes: readonly PoolClassStats[];
}

// ---- Helpers -----------------------------------------------------------------------------------

function pagesMaxCheck(pagesMax: unknown): PageCount {
  if (
    !Number.isInteger(pagesMax) ||
    (pagesMax as number) < 1 ||
    (pagesMax as number) > POOL_PAGES_MAX
  ) {
    throw new ZswapOptionError(
      `pool pagesMax must be an integer in 1..${POOL_PAGES_MAX}, got ${String(pagesMax)}`,
    );
  }
  return pagesMax as PageCount;
}

// ---- The pool ----------------------------------------------------------------------------------

/**
 * Lifetime rules:
 * 1. A zspage lives from the malloc that finds no room in its class to the free (or compaction)
 *    that empties it; an empty zspage is freed at once, so no list holds an empty zspage.
 * 2. A handle is valid from malloc to free, or until compaction moves its object (onMove).
 *    A zspage id is reused after its zspage is freed, so a stale handle may alias a new object:
 *    the owner must not keep handles it freed (free checks what it cheaply can).
 * 3. Every zspage is on exactly one (class, fullness) list, except the one or two compaction has
 *    isolated while it moves objects between them.
 */
export class ZsPool {
  // Options
  private pagesMaxCount: PageCount;
  private readonly onMove: ((tag: number, to: Handle) => void) | undefined;

  // Gauges and counters
  /** Pages held in zspages. */
  private pagesUsedCount = 0;
  /** Sum of the requested sizes of live objects. */
  private requestedBytesCount = 0;
  /** Pages compaction freed, cumulative. */
  private pagesCompactedCount = 0;
  /** True while compact() runs: onMove must not re-enter the pool. */
  private compacting = false;

  // Per class, indexed by class index (and fullness group)
  /** First zspage of each (class, group) list, 0 when empty. */
  private readonly listHead = new Uint32Array(POOL_SIZE_INDEXES * FULLNESS_GROUPS);
  /** Zspages on each (class, group) list. */
  private readonly listLength = new Uint32Array(POOL_SIZE_INDEXES * FULLNESS_GROUPS);
  /** Bit g set when the class's group-g list is not empty. */
  private readonly listMask = new Uint16Array(POOL_SIZE_INDEXES);
  private readonly objAllocated = new Uint32Array(POOL_SIZE_INDEXES);
  private readonly objUsed = new Uint32Array(POOL_SIZE_INDEXES);

  // Per zspage, indexed by zspage id (0 is never a zspage)
  private zsClass = new Uint8Array(ZSPAGE_TABLE_INITIAL).fill(ZSPAGE_DEAD);
  private zsInuse = new Uint16Array(ZSPAGE_TABLE_INITIAL);
  private zsFreeHead = new Uint16Array(ZSPAGE_TABLE_INITIAL);
  private zsGroup = new Uint8Array(ZSPAGE_TABLE_INITIAL);
  /** List links; zsNext also chains the ids of freed zspages. */
  private zsPrev = new Uint32Array(ZSPAGE_TABLE_INITIAL);
  private zsNext = new Uint32Array(ZSPAGE_TABLE_INITIAL);
  /** The zspage's pages: the first pagesPerZspage * PAGE_SIZE bytes of its one ArrayBuffer. */
  private readonly zsBytes: Uint8Array[] = new Array(ZSPAGE_TABLE_INITIAL).fill(BYTES_NONE);
  /** The zspage's object metadata (see Object metadata above), in the same buffer's tail. */
  private readonly zsMeta: Uint16Array[] = new Array(ZSPAGE_TABLE_INITIAL).fill(META_NONE);
  /** Ids below this have been used; freed ones are chained from idFreeHead. */
  private idNext = 1;
  private idFreeHead = 0;

  constructor(opts: PoolOptions) {
    if (typeof opts !== "object" || opts === null) {
      throw new ZswapOptionError("pool options must be an object");
    }
    if (opts.onMove !== undefined && typeof opts.onMove !== "function") {
      throw new ZswapOptionError("pool onMove must be a function");
    }
    this.pagesMaxCount = pagesMaxCheck(opts.pagesMax);
    this.onMove = opts.onMove;
  }

  // ---- Fullness lists ----

  private listInsert(id: number, group: number): void {
    const c = this.zsClass[id];
    const k = c * FULLNESS_GROUPS + group;
    const head = this.listHead[k];
    this.zsPrev[id] = 0;
    this.zsNext[id] = head;
    if (head !== 0) this.zsPrev[head] = id;
    this.listHead[k] = id;
    this.listLength[k]++;
    this.listMask[c] |= 1 << group;
    this.zsGroup[id] = group;
  }

  private listRemove(id: number): void {
    const c = this.zsClass[id];
    const group = this.zsGroup[id];
    assert(group !== ZSPAGE_ISOLATED, "zspage on no list");
    const k = c * FULLNESS_GROUPS + group;
    const prev = this.zsPrev[id];
    const next = this.zsNext[id];
    if (prev !== 0) this.zsNext[prev] = next;
    else this.listHead[k] = next;
    if (next !== 0) this.zsPrev[next] = prev;
    this.listLength[k]--;
    if (this.listHead[k] === 0) this.listMask[c] &= ~(1 << group);
    this.zsGroup[id] = ZSPAGE_ISOLATED;
  }

  /** Moves the zspage to the list its in-use count now calls for. */
  private fullnessFix(id: number): void {
    const group = fullnessOf(this.zsInuse[id], sizeIndexObjects[this.zsClass[id]]);
    if (group === this.zsGroup[id]) return;
    this.listRemove(id);
    this.listInsert(id, group);
  }

  /** First zspage of the class's highest non-empty group among `mask`, or 0. */
  private listFindFullest(c: number, mask: number): number {
    const groups = this.listMask[c] & mask;
    if (groups === 0) return 0;
    return this.listHead[c * FULLNESS_GROUPS + (31 - Math.clz32(groups))];
  }

  /** First zspage of the class's lowest non-empty group among `mask`, or 0. */
  private listFindEmptiest(c: number, mask: number): number {
    const groups = this.listMask[c] & mask;
    if (groups === 0) return 0;
    return this.listHead[c * FULLNESS_GROUPS + (31 - Math.clz32(groups & -groups))];
  }

  // ---- Zspages ----

  private idTake(): number {
    if (this.idFreeHead !== 0) {
      const id = this.idFreeHead;
      this.idFreeHead = this.zsNext[id];
      return id;
    }
    const id = this.idNext++;
    // Live zspages never outnumber pages, and pages never exceed POOL_PAGES_MAX.
    assert(id <= POOL_PAGES_MAX, "zspage id within POOL_PAGES_MAX");
    if (id === this.zsClass.length) this.tableGrow(Math.min(2 * id, POOL_PAGES_MAX + 1));
    return id;
  }

  private tableGrow(length: number): void {
    const from = this.zsClass.length;
    this.zsClass = grown(this.zsClass, length, ZSPAGE_DEAD);
    this.zsInuse = grown(this.zsInuse, length, 0);
    this.zsFreeHead = grown(this.zsFreeHead, length, 0);
    this.zsGroup = grown(this.zsGroup, length, 0);
    this.zsPrev = grown(this.zsPrev, length, 0);
    this.zsNext = grown(this.zsNext, length, 0);
    for (let id = from; id < length; id++) {
      this.zsBytes.push(BYTES_NONE);
      this.zsMeta.push(META_NONE);
    }
  }

  /** A new empty zspage of class c, on the class's empty list. The caller checked pagesMax. */
  private zspageAlloc(c: number): number {
    const id = this.idTake();
    const pages = sizeIndexPages[c];
    const objects = sizeIndexObjects[c];
    // One allocation for the pages and their object metadata: one backing store, not two.
    const buffer = new ArrayBuffer(pages * PAGE_SIZE + objects * META_WORDS * 2);
    const meta = new Uint16Array(buffer, pages * PAGE_SIZE, objects * META_WORDS);
    for (let i = 0; i < objects; i++) {
      meta[i * META_WORDS] = LINK_FREE | (i + 1 < objects ? i + 1 : LINK_END);
    }
    this.zsClass[id] = c;
    this.zsInuse[id] = 0;
    this.zsFreeHead[id] = 0;
    this.zsBytes[id] = new Uint8Array(buffer, 0, pages * PAGE_SIZE);
    this.zsMeta[id] = meta;
    this.pagesUsedCount += pages;
    this.objAllocated[c] += objects;
    this.listInsert(id, FULLNESS_EMPTY);
    return id;
  }

  /** Frees an empty zspage that is on no list: its memory goes back to the JS allocator. */
  private zspageFree(id: number): void {
    const c = this.zsClass[id];
    assert(this.zsInuse[id] === 0, "freeing a zspage that holds objects");
    this.pagesUsedCount -= sizeIndexPages[c];
    this.objAllocated[c] -= sizeIndexObjects[c];
    this.zsClass[id] = ZSPAGE_DEAD;
    this.zsBytes[id] = BYTES_NONE;
    this.zsMeta[id] = META_NONE;
    this.zsNext[id] = this.idFreeHead;
    this.idFreeHead = id;
  }

  /** Puts an isolated zspage back on its list, or frees it when empty; returns pages freed. */
  private zspagePutback(id: number): number {
    const c = this.zsClass[id];
    if (this.zsInuse[id] === 0) {
      this.zspageFree(id);
      return sizeIndexPages[c];
    }
    this.listInsert(id, fullnessOf(this.zsInuse[id], sizeIndexObjects[c]));
    return 0;
  }

  // ---- Objects ----

  /** Takes the zspage's first free slot for an object; the zspage has room. */
  private objAlloc(id: number, size: number, tag: number): number {
    const meta = this.zsMeta[id];
    const index = this.zsFreeHead[id];
    assert(index !== LINK_END, "allocating in a full zspage");
    const at = index * META_WORDS;
    this.zsFreeHead[id] = meta[at] & LINK_END;
    meta[at] = size;
    meta[at + 1] = tag & 0xffff;
    meta[at + 2] = tag >>> 16;
    this.zsInuse[id]++;
    this.objUsed[this.zsClass[id]]++;
    this.requestedBytesCount += size;
    return index;
  }

  /** Returns an allocated slot to the zspage's free list (zsmalloc's LIFO order). */
  private objFree(id: number, index: number): void {
    const meta = this.zsMeta[id];
    const at = index * META_WORDS;
    this.requestedBytesCount -= meta[at];
    meta[at] = LINK_FREE | this.zsFreeHead[id];
    meta[at + 1] = 0;
    meta[at + 2] = 0;
    this.zsFreeHead[id] = index;
    this.zsInuse[id]--;
    this.objUsed[this.zsClass[id]]--;
  }

  /** Throws unless `handle` names a live object. Allocates nothing when it does. */
  private handleCheck(handle: Handle): void {
    const id = handle >>> HANDLE_INDEX_BITS;
    const index = handle & HANDLE_INDEX_MASK;
    if (
      handle >>> 0 !== handle ||
      id === 0 ||
      id >= this.idNext ||
      this.zsClass[id] === ZSPAGE_DEAD ||
      index >= sizeIndexObjects[this.zsClass[id]] ||
      (this.zsMeta[id][index * META_WORDS] & LINK_FREE) !== 0
    ) {
      throw new ZswapOptionError(`not a live pool handle: ${String(handle)}`);
    }
  }

  // ---- Compaction ----

  /** Pages compaction could free in class c (zsmalloc's zs_can_compact). */
  private classFreeable(c: number): number {
    const unused = this.objAllocated[c] - this.objUsed[c];
    return Math.floor(unused / sizeIndexObjects[c]) * sizeIndexPages[c];
  }

  /**
   * Moves objects of `src` into `dst`, lowest index first, until dst is full or src is empty;
   * both are isolated. Each moved object gets a new handle, reported through onMove.
   */
  private zspageMigrate(src: number, dst: number): void {
    const c = this.zsClass[src];
    const size = sizeIndexBytes[c];
    const objects = sizeIndexObjects[c];
    const srcMeta = this.zsMeta[src];
    const srcBytes = this.zsBytes[src];
    const dstBytes = this.zsBytes[dst];
    for (let i = 0; i < objects; i++) {
      const at = i * META_WORDS;
      if ((srcMeta[at] & LINK_FREE) !== 0) continue;
      const tag = (srcMeta[at + 1] | (srcMeta[at + 2] << 16)) >>> 0;
      const to = this.objAlloc(dst, srcMeta[at], tag);
      dstBytes.set(srcBytes.subarray(i * size, i * size + size), to * size);
      this.objFree(src, i);
      this.onMove?.(tag, (dst * HANDLE_OBJECTS + to) as Handle);
      if (this.zsInuse[dst] === objects || this.zsInuse[src] === 0) return;
    }
  }

  /**
   * zsmalloc's __zs_compact: the fullest partial zspage takes objects from the emptiest until
   * the class has no whole zspage of unused slots. Each pass either empties the source (freed)
   * or fills the destination (never chosen again), so the loop ends.
   */
  private classCompact(c: number): number {
    let freed = 0;
    let dst = 0;
    let src = 0;
    try {
      while (this.classFreeable(c) > 0) {
        if (dst === 0) {
          dst = this.listFindFullest(c, FULLNESS_PARTIAL_MASK);
          if (dst === 0) break;
          this.listRemove(dst);
        }
        src = this.listFindEmptiest(c, FULLNESS_PARTIAL_MASK);
        if (src === 0) break;
        this.listRemove(src);
        this.zspageMigrate(src, dst);
        freed += this.zspagePutback(src);
        src = 0;
        if (this.zsInuse[dst] === sizeIndexObjects[c]) {
          this.zspagePutback(dst);
          dst = 0;
        }
      }
    } finally {
      // Only an onMove that throws leaves a zspage isolated here.
      if (src !== 0) freed += this.zspagePutback(src);
      if (dst !== 0) freed += this.zspagePutback(dst);
    }
    return freed;
  }

  // ---- Public API ----

  /**
   * Allocates room for `size` bytes (1..PAGE_SIZE) and records `tag` (a uint32) with it.
   * Returns NO_HANDLE when the class has no room and a new zspage would exceed pagesMax.
   */
  malloc(size: ByteCount, tag: number): Handle {
    if (!Number.isInteger(size) || size < 1 || size > PAGE_SIZE) {
      throw new ZswapOptionError(
        `pool object size must be an integer in 1..${PAGE_SIZE}, got ${String(size)}`,
      );
    }
    if (tag >>> 0 !== tag) {
      throw new ZswapOptionError(`pool tag must be a uint32, got ${String(tag)}`);
    }
    assert(!this.compacting, "malloc from inside onMove");
    const c = classOfSize(size);
    let id = this.listFindFullest(c, FULLNESS_ROOM_MASK);
    if (id === 0) {
      if (this.pagesUsedCount + sizeIndexPages[c] > this.pagesMaxCount) return NO_HANDLE;
      id = this.zspageAlloc(c);
    }
    const index = this.objAlloc(id, size, tag);
    this.fullnessFix(id);
    return (id * HANDLE_OBJECTS + index) as Handle;
  }

  /** Frees a live object; frees its zspage when it was the last. Throws for a non-live handle. */
  free(handle: Handle): void {
    this.handleCheck(handle);
    assert(!this.compacting, "free from inside onMove");
    const id = handle >>> HANDLE_INDEX_BITS;
    this.objFree(id, handle & HANDLE_INDEX_MASK);
    if (this.zsInuse[id] !== 0) {
      this.fullnessFix(id);
      return;
    }
    this.listRemove(id);
    this.zspageFree(id);
  }

  /** The whole memory of the object's zspage; the object is at offsetOf(handle). */
  bytesOf(handle: Handle): Uint8Array {
    this.handleCheck(handle);
    return this.zsBytes[handle >>> HANDLE_INDEX_BITS];
  }

  /** The object's first byte in bytesOf(handle); its sizeOf(handle) bytes follow contiguously. */
  offsetOf(handle: Handle): number {
    this.handleCheck(handle);
    return (
      (handle & HANDLE_INDEX_MASK) * sizeIndexBytes[this.zsClass[handle >>> HANDLE_INDEX_BITS]]
    );
  }

  /** The object's capacity: its class size, at least the size it was allocated with. */
  sizeOf(handle: Handle): ByteCount {
    this.handleCheck(handle);
    return sizeIndexBytes[this.zsClass[handle >>> HANDLE_INDEX_BITS]] as ByteCount;
  }

  /** The tag the object was allocated with. */
  tagOf(handle: Handle): number {
    this.handleCheck(handle);
    const meta = this.zsMeta[handle >>> HANDLE_INDEX_BITS];
    const at = (handle & HANDLE_INDEX_MASK) * META_WORDS;
    return (meta[at + 1] | (meta[at + 2] << 16)) >>> 0;
  }

  /** Packs every class's objects into fewer zspages; returns the pages freed. */
  compact(): PageCount {
    assert(!this.compacting, "compact from inside onMove");
    this.compacting = true;
    let freed = 0;
    try {
      for (let k = POOL_CLASSES.length - 1; k >= 0; k--)
        freed += this.classCompact(POOL_CLASSES[k]);
    } finally {
      this.compacting = false;
      this.pagesCompactedCount += freed;
    }
    return freed as PageCount;
  }

  /** Pages held in zspages now (zs_get_total_pages). */
  get pagesUsed(): PageCount {
    return this.pagesUsedCount as PageCount;
  }

  get pagesMax(): PageCount {
    return this.pagesMaxCount;
  }

  /** Changes the bound; below pagesUsed it only stops growth, nothing is freed. */
  set pagesMax(pagesMax: PageCount) {
    this.pagesMaxCount = pagesMaxCheck(pagesMax);
  }

  /** A snapshot of the totals and the per-class table. Allocates; meant for once a second. */
  stats(): PoolStats {
    const classes: PoolClassStats[] = [];
    let zspages = 0;
    let objAllocated = 0;
    let objects = 0;
    let freeable = 0;
    for (const c of POOL_CLASSES) {
      const zspagesByFullness: number[] = [];
      let classZspages = 0;
      for (let g = 1; g < FULLNESS_GROUPS; g++) {
        const n = this.listLength[c * FULLNESS_GROUPS + g];
        zspagesByFullness.push(n);
        classZspages += n;
      }
      const classFreeable = this.classFreeable(c);
      classes.push({
        index: c,
        sizeBytes: sizeIndexBytes[c] as ByteCount,
        pagesPerZspage: sizeIndexPages[c] as PageCount,
        objsPerZspage: sizeIndexObjects[c],
        zspagesByFullness,
        zspages: classZspages,
        objAllocated: this.objAllocated[c],
        objUsed: this.objUsed[c],
        pagesUsed: ((this.objAllocated[c] / sizeIndexObjects[c]) * sizeIndexPages[c]) as PageCount,
        freeable: classFreeable as PageCount,
      });
      zspages += classZspages;
      objAllocated += this.objAllocated[c];
      objects += this.objUsed[c];
      freeable += classFreeable;
    }
    return {
      pagesUsed: this.pagesUsedCount as PageCount,
      pagesMax: this.pagesMaxCount,
      zspages,
      objAllocated,
      objects,
      requestedBytes: this.requestedBytesCount as ByteCount,
      freeable: freeable as PageCount,
      pagesCompacted: this.pagesCompactedCount as PageCount,
      classes,
    };
  }

  static {
    poolInternalsGet = (pool) => pool;
  }
}

/** Read-only view of a pool's tables, for tests that check its structure from outside. */
export interface PoolInternals {
  readonly listHead: Uint32Array;
  readonly listLength: Uint32Array;
  readonly listMask: Uint16Array;
  readonly objAllocated: Uint32Array;
  readonly objUsed: Uint32Array;
  readonly zsClass: Uint8Array;
  readonly zsInuse: Uint16Array;
  readonly zsFreeHead: Uint16Array;
  readonly zsGroup: Uint8Array;
  readonly zsPrev: Uint32Array;
  readonly zsNext: Uint32Array;
  readonly zsBytes: readonly Uint8Array[];
  readonly zsMeta: readonly Uint16Array[];
  readonly idNext: number;
  readonly idFreeHead: number;
  readonly pagesUsedCount: number;
  readonly requestedBytesCount: number;
}

/** The one test hook: the pool's tables, to be read, never written. */
export function poolInternals(pool: ZsPool): PoolInternals {
  return poolInternalsGet(pool) as PoolInternals;
}

/** Encoding facts tests need to decode handles and links. */
export const POOL_LAYOUT = {
  handleIndexBits: HANDLE_INDEX_BITS,
  metaWords: META_WORDS,
  linkFree: LINK_FREE,
  linkEnd: LINK_END,
  fullnessGroups: FULLNESS_GROUPS,
  zspageDead: ZSPAGE_DEAD,
  objectsMax: POOL_ZSPAGE_OBJECTS_MAX,
} as const;
