// ZsPool: a zsmalloc-style allocator of objects up to PAGE_SIZE bytes in zspages of 1..8 pages,
// handing out opaque handles, bounded in pages, compactable. See README.md for the design.

import { assert } from "../assert.ts";
import {
  PAGE_SIZE,
  POOL_ARENAS,
  POOL_CHUNK_PAGES,
  POOL_OBJECT_HEADER_BYTES,
  POOL_PAGES_MAX,
  POOL_ZSPAGE_TABLE_STEP,
} from "../constants.ts";
import { ZswapOptionError } from "../errors.ts";
import { growable, growTo } from "../typed-arrays.ts";
import type { ByteCount, Handle, PageCount } from "../types.ts";
import { NO_HANDLE } from "../types.ts";
import { Arenas, WHERE_PAGE_BITS, WHERE_PAGE_MASK } from "./arena.ts";
import {
  classOfObject,
  objectCapacity,
  POOL_CLASSES,
  POOL_HUGE_CLASS,
  POOL_SIZE_INDEXES,
  POOL_ZSPAGE_OBJECTS_MAX,
  sizeIndexBytes,
  sizeIndexObjects,
  sizeIndexPages,
} from "./geometry.ts";

// ---- Handles -----------------------------------------------------------------------------------
// handle = zspage id * 1024 + object index: ids are 1..POOL_PAGES_MAX, so a handle is a non-zero
// uint32. Objects that compaction moves to another zspage get new handles; all others keep theirs
// for life, even when their zspage moves to another chunk (the table row says where it is).

const HANDLE_INDEX_BITS = 10;
const HANDLE_INDEX_MASK = (1 << HANDLE_INDEX_BITS) - 1;
const HANDLE_OBJECTS = 1 << HANDLE_INDEX_BITS;

// ---- Object headers ----------------------------------------------------------------------------
// The first POOL_OBJECT_HEADER_BYTES of each object's slot, inside the arena (zsmalloc keeps the
// handle at the start of the object too), where the payload's first cache line is:
//   the 32-bit tag (stale while free), 4-byte aligned since slots are 16-byte multiples;
//   a 16-bit link, like zsmalloc's link_free union: a free object holds LINK_FREE | the index
//   of the next free object (LINK_END ends the list); an allocated object holds the length the
//   caller asked for (1..PAGE_SIZE), so LINK_FREE clear means allocated;
//   2 bytes unused, so that the payload is 8-byte aligned.
// The huge class has one object a zspage and no room for a header: its zspage's table row
// holds the tag (zsTag) and the length (zsFreeHead, which the class has no use for).

const LINK_FREE = 0x8000;
const LINK_END = 0x7fff;
const HEADER = POOL_OBJECT_HEADER_BYTES;
/** The link's byte in the header (after the tag). */
const LINK_AT = 4;

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
  /** Slot size of the class: an object's capacity and, but in the huge class, its header. */
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
  /** Arena chunks held (POOL_CHUNK_PAGES pages each), the spare included, used or not. */
  readonly chunks: number;
  /** Chunks given back since the pool was made. */
  readonly chunksGivenBack: number;
  /** Bytes of the pool's own tables: zspage table, class lists, chunk tables. */
  readonly metadataBytes: ByteCount;
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
 *    that empties it; an empty zspage is freed at once, so no list holds an empty zspage. Its
 *    slot goes back to its arena, for the next zspage of that length.
 * 2. A handle is valid from malloc to free, or until compaction moves its object (onMove).
 *    A zspage id is reused after its zspage is freed, so a stale handle may alias a new object:
 *    the owner must not keep handles it freed (free checks what it cheaply can).
 * 3. Every zspage is on exactly one (class, fullness) list, except the one or two compaction has
 *    isolated while it moves objects between them.
 * 4. A zspage may move to another slot of its arena (compaction empties chunks; so does malloc
 *    at the pool's chunk limit) and keeps its id and handles: a view from bytesOf is good until
 *    the next malloc, free or compact.
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

  /**
   * The object map() looked up last, or malloc() made: its handle (0 once anything else changed
   * the pool), chunk bytes, offset in them, length and tag.
   */
  private mapHandle = NO_HANDLE;
  private mapBytes: Uint8Array = new Uint8Array(0);
  private mapOffset = 0;
  private mapLength = 0;
  private mapTag = 0;

  // Per class, indexed by class index (and fullness group)
  /** First zspage of each (class, group) list, 0 when empty. */
  private readonly listHead = new Uint32Array(POOL_SIZE_INDEXES * FULLNESS_GROUPS);
  /** Zspages on each (class, group) list. */
  private readonly listLength = new Uint32Array(POOL_SIZE_INDEXES * FULLNESS_GROUPS);
  /** Bit g set when the class's group-g list is not empty. */
  private readonly listMask = new Uint16Array(POOL_SIZE_INDEXES);
  private readonly objAllocated = new Uint32Array(POOL_SIZE_INDEXES);
  private readonly objUsed = new Uint32Array(POOL_SIZE_INDEXES);

  // Per zspage, indexed by zspage id (0 is never a zspage); grown in place by steps, each array
  // then replaced by a longer view of the same memory
  private zsClass = growable(Uint8Array, POOL_PAGES_MAX + 1);
  private zsInuse = growable(Uint16Array, POOL_PAGES_MAX + 1);
  /** First freed object (LINK_END: none); in the huge class, the object's length. */
  private zsFreeHead = growable(Uint16Array, POOL_PAGES_MAX + 1);
  /**
   * Objects below this index have been allocated at some time; those above are untouched, and
   * taken in order once the free list is empty, so a new zspage costs no write to its pages.
   */
  private zsBump = growable(Uint16Array, POOL_PAGES_MAX + 1);
  private zsGroup = growable(Uint8Array, POOL_PAGES_MAX + 1);
  /** List links; zsNext also chains the ids of freed zspages. */
  private zsPrev = growable(Uint32Array, POOL_PAGES_MAX + 1);
  private zsNext = growable(Uint32Array, POOL_PAGES_MAX + 1);
  /** Where the zspage's pages are: its slot's place in its arena (arena.ts). */
  private zsWhere = growable(Uint32Array, POOL_PAGES_MAX + 1);
  /** In the huge class, the object's tag. */
  private zsTag = growable(Uint32Array, POOL_PAGES_MAX + 1);
  /** Ids below this have been used; freed ones are chained from idFreeHead. */
  private idNext = 1;
  private idFreeHead = 0;

  private readonly arenas = new Arenas();

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
    if (id >= this.zsClass.length) this.tableGrow();
    return id;
  }

  /** Grows the zspage table by a step, in place. */
  private tableGrow(): void {
    const from = this.zsClass.length;
    const length = Math.min(from + POOL_ZSPAGE_TABLE_STEP, POOL_PAGES_MAX + 1);
    this.zsClass = growTo(this.zsClass, length);
    this.zsInuse = growTo(this.zsInuse, length);
    this.zsFreeHead = growTo(this.zsFreeHead, length);
    this.zsBump = growTo(this.zsBump, length);
    this.zsGroup = growTo(this.zsGroup, length);
    this.zsPrev = growTo(this.zsPrev, length);
    this.zsNext = growTo(this.zsNext, length);
    this.zsWhere = growTo(this.zsWhere, length);
    this.zsTag = growTo(this.zsTag, length);
    this.zsClass.fill(ZSPAGE_DEAD, from);
  }

  /** The most chunks the arenas may hold: the bound's pages, and one growing chunk an arena. */
  private chunksMax(): number {
    return Math.ceil(this.pagesMaxCount / POOL_CHUNK_PAGES) + POOL_ARENAS;
  }

  /**
   * A slot for a zspage of `pages` pages, growing its arena by a chunk if it has none. At the
   * chunk limit, the arenas are compacted first, which always frees a chunk when the zspage fits
   * the page bound (the caller checked that): the limit leaves POOL_ARENAS chunks of free slots
   * beyond the bound, so some arena has a whole chunk of them.
   */
  private slotTake(pages: number): number {
    const where = this.arenas.slotTake(pages);
    if (where >= 0) return where;
    const a = this.arenas;
    if (a.spare === 0 && a.held >= this.chunksMax()) this.arenasCompact();
    assert(a.spare !== 0 || a.held < this.chunksMax(), "compaction frees a chunk at the limit");
    a.chunkTake(pages);
    return a.slotTake(pages);
  }

  /** A new empty zspage of class c, on the class's empty list. The caller checked pagesMax. */
  private zspageAlloc(c: number): number {
    const id = this.idTake();
    const pages = sizeIndexPages[c];
    const objects = sizeIndexObjects[c];
    const where = this.slotTake(pages);
    this.zsClass[id] = c;
    this.zsInuse[id] = 0;
    this.zsFreeHead[id] = LINK_END;
    this.zsBump[id] = 0;
    this.zsWhere[id] = where;
    this.pagesUsedCount += pages;
    this.objAllocated[c] += objects;
    this.listInsert(id, FULLNESS_EMPTY);
    return id;
  }

  /** Frees an empty zspage that is on no list: its slot goes back to its arena. */
  private zspageFree(id: number): void {
    const c = this.zsClass[id];
    assert(this.zsInuse[id] === 0, "freeing a zspage that holds objects");
    this.pagesUsedCount -= sizeIndexPages[c];
    this.objAllocated[c] -= sizeIndexObjects[c];
    this.arenas.slotFree(this.zsWhere[id]);
    this.zsClass[id] = ZSPAGE_DEAD;
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

  /** The first byte of the object's slot (its header's) in its chunk's bytes. */
  private slotAt(id: number, index: number): number {
    return Arenas.offsetOf(this.zsWhere[id]) + index * sizeIndexBytes[this.zsClass[id]];
  }

  /** The object's first byte of data in its chunk's bytes. */
  private payloadAt(id: number, index: number): number {
    return this.slotAt(id, index) + (this.zsClass[id] === POOL_HUGE_CLASS ? 0 : HEADER);
  }

  /** Index of the object's 16-bit link word in its chunk (a non-huge class). */
  private linkAt(id: number, index: number): number {
    return (this.slotAt(id, index) + LINK_AT) >>> 1;
  }

  private chunkOf(id: number): number {
    return this.zsWhere[id] >>> WHERE_PAGE_BITS;
  }

  /** Takes the zspage's first free slot for an object; the zspage has room. */
  private objAlloc(id: number, size: number, tag: number): number {
    const c = this.zsClass[id];
    let index = 0;
    if (c === POOL_HUGE_CLASS) {
      this.zsFreeHead[id] = size;
      this.zsTag[id] = tag;
    } else {
      const chunk = this.chunkOf(id);
      const words = this.arenas.words16[chunk];
      index = this.zsFreeHead[id];
      if (index !== LINK_END) {
        this.zsFreeHead[id] = words[this.linkAt(id, index)] & LINK_END;
      } else {
        index = this.zsBump[id]++;
        assert(index < sizeIndexObjects[c], "allocating in a full zspage");
      }
      const slot = this.slotAt(id, index);
      words[(slot + LINK_AT) >>> 1] = size;
      this.arenas.words32[chunk][slot >>> 2] = tag;
    }
    this.zsInuse[id]++;
    this.objUsed[c]++;
    this.requestedBytesCount += size;
    return index;
  }

  /** Returns an allocated slot to the zspage's free list (zsmalloc's LIFO order). */
  private objFree(id: number, index: number): void {
    const c = this.zsClass[id];
    if (c === POOL_HUGE_CLASS) {
      this.requestedBytesCount -= this.zsFreeHead[id];
    } else {
      const words = this.arenas.words16[this.chunkOf(id)];
      const link = this.linkAt(id, index);
      this.requestedBytesCount -= words[link];
      words[link] = LINK_FREE | this.zsFreeHead[id];
      this.zsFreeHead[id] = index;
    }
    this.zsInuse[id]--;
    this.objUsed[c]--;
  }

  /** The length an allocated object was asked for. */
  private objLength(id: number, index: number): number {
    if (this.zsClass[id] === POOL_HUGE_CLASS) return this.zsFreeHead[id];
    return this.arenas.words16[this.chunkOf(id)][this.linkAt(id, index)];
  }

  private objTag(id: number, index: number): number {
    if (this.zsClass[id] === POOL_HUGE_CLASS) return this.zsTag[id];
    return this.arenas.words32[this.chunkOf(id)][this.slotAt(id, index) >>> 2];
  }

  /** True when the zspage's object `index` is allocated (a live huge zspage's one object is). */
  private objLive(id: number, index: number): boolean {
    if (this.zsClass[id] === POOL_HUGE_CLASS) return true;
    if (index >= this.zsBump[id]) return false;
    return (this.arenas.words16[this.chunkOf(id)][this.linkAt(id, index)] & LINK_FREE) === 0;
  }

  /**
   * Throws unless `handle` names a live object; returns its slot's first byte in its chunk.
   * Allocates nothing. Reads each table once: it is on every load's and store's path.
   */
  private objCheck(handle: Handle): number {
    const id = handle >>> HANDLE_INDEX_BITS;
    const index = handle & HANDLE_INDEX_MASK;
    if (handle >>> 0 === handle && id !== 0 && id < this.idNext) {
      const c = this.zsClass[id];
      if (c !== ZSPAGE_DEAD && (c === POOL_HUGE_CLASS ? index === 0 : index < this.zsBump[id])) {
        const where = this.zsWhere[id];
        const size = sizeIndexBytes[c];
        const at = (where & WHERE_PAGE_MASK) * PAGE_SIZE + index * size;
        if (c === POOL_HUGE_CLASS) return at;
        const link = this.arenas.words16[where >>> WHERE_PAGE_BITS][(at + LINK_AT) >>> 1];
        if ((link & LINK_FREE) === 0) return at;
      }
    }
    throw new ZswapOptionError(`not a live pool handle: ${String(handle)}`);
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
    const objects = sizeIndexObjects[this.zsClass[src]];
    const srcBytes = this.arenas.bytes[this.chunkOf(src)];
    const dstBytes = this.arenas.bytes[this.chunkOf(dst)];
    for (let i = 0; i < objects; i++) {
      if (!this.objLive(src, i)) continue;
      const length = this.objLength(src, i);
      const tag = this.objTag(src, i);
      const to = this.objAlloc(dst, length, tag);
      const from = this.payloadAt(src, i);
      dstBytes.set(srcBytes.subarray(from, from + length), this.payloadAt(dst, to));
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

  /**
   * Empties every chunk it can: in each arena with a whole chunk of free slots, the emptiest
   * chunks' zspages move into the others' free slots (ids and handles stay), and the emptied
   * chunks are given back (arena.ts). One pass over the zspage table moves them all.
   */
  private arenasCompact(): void {
    let leaving = 0;
    for (let pages = 1; pages <= POOL_ARENAS; pages++) {
      if (this.arenas.freePages(pages) >= POOL_CHUNK_PAGES) {
        leaving += this.arenas.evacuateBegin(pages);
      }
    }
    for (let id = 1; id < this.idNext && leaving > 0; id++) {
      if (this.zsClass[id] === ZSPAGE_DEAD) continue;
      const from = this.zsWhere[id];
      if (this.arenas.chunkLeaving[from >>> WHERE_PAGE_BITS] === 0) continue;
      const pages = sizeIndexPages[this.zsClass[id]];
      const to = this.arenas.slotTake(pages);
      assert(to >= 0, "the chunks that stay have room for the ones that leave");
      this.arenas.copy(from, to, pages);
      this.zsWhere[id] = to;
      this.arenas.slotFree(from);
      if (this.arenas.chunkLeaving[from >>> WHERE_PAGE_BITS] === 0) leaving--;
    }
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
    const c = classOfObject(size);
    let id = this.listFindFullest(c, FULLNESS_ROOM_MASK);
    if (id === 0) {
      if (this.pagesUsedCount + sizeIndexPages[c] > this.pagesMaxCount) return NO_HANDLE;
      id = this.zspageAlloc(c);
    }
    const index = this.objAlloc(id, size, tag);
    this.fullnessFix(id);
    const handle = (id * HANDLE_OBJECTS + index) as Handle;
    this.mapHandle = handle;
    this.mapBytes = this.arenas.bytes[this.chunkOf(id)];
    this.mapOffset = this.payloadAt(id, index);
    this.mapLength = size;
    this.mapTag = tag;
    return handle;
  }

  /** Frees a live object; frees its zspage when it was the last. Throws for a non-live handle. */
  free(handle: Handle): void {
    if (handle !== this.mapHandle || handle === NO_HANDLE) this.objCheck(handle);
    this.mapHandle = NO_HANDLE;
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

  /** The whole memory of the object's arena chunk; the object is at offsetOf(handle). */
  bytesOf(handle: Handle): Uint8Array {
    this.objCheck(handle);
    return this.arenas.bytes[this.chunkOf(handle >>> HANDLE_INDEX_BITS)];
  }

  /**
   * Looks a live object up once for all its facts (zsmalloc's zs_map_object): returns
   * bytesOf(handle) and sets mappedOffset, mappedLength and mappedTag, which hold until the
   * next call into the pool. malloc leaves the object it made mapped, and map or free of the
   * mapped object skip a second check. Allocates nothing: what the store and load paths use.
   */
  map(handle: Handle): Uint8Array {
    if (handle === this.mapHandle && handle !== NO_HANDLE) return this.mapBytes;
    const at = this.objCheck(handle);
    const id = handle >>> HANDLE_INDEX_BITS;
    const c = this.zsClass[id];
    const chunk = this.zsWhere[id] >>> WHERE_PAGE_BITS;
    if (c === POOL_HUGE_CLASS) {
      this.mapOffset = at;
      this.mapLength = this.zsFreeHead[id];
      this.mapTag = this.zsTag[id];
    } else {
      this.mapOffset = at + HEADER;
      this.mapLength = this.arenas.words16[chunk][(at + LINK_AT) >>> 1];
      this.mapTag = this.arenas.words32[chunk][at >>> 2];
    }
    this.mapHandle = handle;
    this.mapBytes = this.arenas.bytes[chunk];
    return this.mapBytes;
  }

  get mappedOffset(): number {
    return this.mapOffset;
  }

  get mappedLength(): ByteCount {
    return this.mapLength as ByteCount;
  }

  get mappedTag(): number {
    return this.mapTag;
  }

  /** The object's first byte in bytesOf(handle); its sizeOf(handle) bytes follow contiguously. */
  offsetOf(handle: Handle): number {
    this.objCheck(handle);
    return this.payloadAt(handle >>> HANDLE_INDEX_BITS, handle & HANDLE_INDEX_MASK);
  }

  /** The object's capacity: at least the size it was allocated with. */
  sizeOf(handle: Handle): ByteCount {
    this.objCheck(handle);
    return objectCapacity(this.zsClass[handle >>> HANDLE_INDEX_BITS]) as ByteCount;
  }

  /** The size the object was allocated with. */
  lengthOf(handle: Handle): ByteCount {
    this.objCheck(handle);
    return this.objLength(handle >>> HANDLE_INDEX_BITS, handle & HANDLE_INDEX_MASK) as ByteCount;
  }

  /** The tag the object was allocated with. */
  tagOf(handle: Handle): number {
    this.objCheck(handle);
    return this.objTag(handle >>> HANDLE_INDEX_BITS, handle & HANDLE_INDEX_MASK);
  }

  /**
   * Packs every class's objects into fewer zspages, then the arenas' zspages into fewer chunks,
   * and gives back every empty chunk; returns the pages freed (zspage pages: pool_total_size).
   */
  compact(): PageCount {
    assert(!this.compacting, "compact from inside onMove");
    this.mapHandle = NO_HANDLE;
    this.compacting = true;
    let freed = 0;
    try {
      for (let k = POOL_CLASSES.length - 1; k >= 0; k--)
        freed += this.classCompact(POOL_CLASSES[k]);
    } finally {
      this.compacting = false;
      this.pagesCompactedCount += freed;
    }
    this.arenasCompact();
    this.arenas.spareGiveBack();
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

  /** Bytes of the pool's own tables: what it spends besides the arenas' pages. */
  get metadataBytes(): ByteCount {
    // 24 bytes an id the table has grown to.
    let bytes = this.arenas.metadataBytes + this.zsClass.length * 24;
    for (const a of [this.listHead, this.listLength, this.listMask, this.objAllocated]) {
      bytes += a.byteLength;
    }
    return (bytes + this.objUsed.byteLength) as ByteCount;
  }

  /** A snapshot of the totals and the per-class table. Allocates; meant for once a second. */
  stats(): PoolStats {
    const classes = POOL_CLASSES.map((c) => this.classStats(c));
    const sum = (f: (r: PoolClassStats) => number) => classes.reduce((n, r) => n + f(r), 0);
    return {
      pagesUsed: this.pagesUsedCount as PageCount,
      pagesMax: this.pagesMaxCount,
      zspages: sum((r) => r.zspages),
      objAllocated: sum((r) => r.objAllocated),
      objects: sum((r) => r.objUsed),
      requestedBytes: this.requestedBytesCount as ByteCount,
      freeable: sum((r) => r.freeable) as PageCount,
      pagesCompacted: this.pagesCompactedCount as PageCount,
      chunks: this.arenas.held,
      chunksGivenBack: this.arenas.givenBack,
      metadataBytes: this.metadataBytes,
      classes,
    };
  }

  private classStats(c: number): PoolClassStats {
    const zspagesByFullness: number[] = [];
    for (let g = 1; g < FULLNESS_GROUPS; g++) {
      zspagesByFullness.push(this.listLength[c * FULLNESS_GROUPS + g]);
    }
    const zspages = this.objAllocated[c] / sizeIndexObjects[c];
    return {
      index: c,
      sizeBytes: sizeIndexBytes[c] as ByteCount,
      pagesPerZspage: sizeIndexPages[c] as PageCount,
      objsPerZspage: sizeIndexObjects[c],
      zspagesByFullness,
      zspages: zspagesByFullness.reduce((a, b) => a + b, 0),
      objAllocated: this.objAllocated[c],
      objUsed: this.objUsed[c],
      pagesUsed: (zspages * sizeIndexPages[c]) as PageCount,
      freeable: this.classFreeable(c) as PageCount,
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
  readonly zsBump: Uint16Array;
  readonly zsGroup: Uint8Array;
  readonly zsPrev: Uint32Array;
  readonly zsNext: Uint32Array;
  readonly zsWhere: Uint32Array;
  readonly zsTag: Uint32Array;
  readonly idNext: number;
  readonly idFreeHead: number;
  readonly pagesUsedCount: number;
  readonly requestedBytesCount: number;
  readonly arenas: Arenas;
}

/** The one test hook: the pool's tables, to be read, never written. */
export function poolInternals(pool: ZsPool): PoolInternals {
  return poolInternalsGet(pool) as PoolInternals;
}

/** Encoding facts tests need to decode handles, places and links. */
export const POOL_LAYOUT = {
  handleIndexBits: HANDLE_INDEX_BITS,
  wherePageBits: WHERE_PAGE_BITS,
  headerBytes: POOL_OBJECT_HEADER_BYTES,
  linkFree: LINK_FREE,
  linkEnd: LINK_END,
  fullnessGroups: FULLNESS_GROUPS,
  zspageDead: ZSPAGE_DEAD,
  hugeClass: POOL_HUGE_CLASS,
  objectsMax: POOL_ZSPAGE_OBJECTS_MAX,
} as const;
