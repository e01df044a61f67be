// zswap: a compressed cache in front of swap, with the kernel's frontswap hooks
// (swapon, store, load, invalidate, swapoff). The hooks are synchronous, like the kernel's: a
// store takes the page or declines it, and the caller then writes the page to the device itself.
// Writeback (writeback.ts) runs in the background and is bounded; the `wait` policy (storeWait)
// lets a store wait for it.
//
// Reads bottom-up like mm/zswap.c: state, helpers, limits, the store path, the other hooks, the
// rest of the public API. Everything but the hooks and the public API is private; tests reach the
// internals through unsafeExposeInternals, and nothing else does.

import { assert } from "../assert.ts";
import { type Clock, REAL_CLOCK } from "../clock.ts";
import {
  AREA_SLOTS_MAX,
  COMPRESS_BUFFER_BYTES,
  PAGE_SIZE,
  POOL_COMPACT_CHECK_WRITEBACKS,
  POOL_ZSPAGE_PAGES_MAX,
  SWAP_AREAS_MAX,
} from "../constants.ts";
import type { SwapDevice } from "../device/device.ts";
import {
  pageCheck,
  ZswapAreaError,
  ZswapDataError,
  ZswapOffsetError,
  ZswapOptionError,
  ZswapSwapTypeError,
} from "../errors.ts";
import { ZsPool } from "../pool/index.ts";
import {
  type Counts,
  countsNew,
  ZSWAP_COUNTERS,
  type ZswapCounterName,
  type ZswapGaugeName,
} from "../stats/index.ts";
import type { ByteCount, EntryIndex, Handle, PageCount, SwapOffset, SwapType } from "../types.ts";
import { NO_HANDLE } from "../types.ts";
import { AreaIndex } from "./area-index.ts";
import { CodecSlots } from "./codec-slots.ts";
import { EntryTable, RAW, REFERENCED } from "./entries.ts";
import { configResolve, type ZswapConfig, type ZswapOptions } from "./options.ts";
import { Dip, slotKey } from "./policy.ts";
import { Writeback, type WritebackHost } from "./writeback.ts";

/** The pool could not get memory for a zspage (reject_alloc_fail). */
const ALLOC_FAILED = -1;

/** Why a store was declined: the counter that moved. */
export type RejectReason =
  | "pool_limit_hit"
  | "reject_compress_poor"
  | "reject_compress_fail"
  | "reject_alloc_fail"
  | "reject_reclaim_fail";

/** Gauges, computed on read: ZSWAP_GAUGES says what each holds. */
export type ZswapGauges = Counts<ZswapGaugeName>;

/** A snapshot of zswap's counters and gauges. */
export type ZswapStats = Readonly<Counts<ZswapCounterName> & ZswapGauges>;

/** What a Zswap is built with besides its tunables. */
export interface ZswapDeps {
  /** The clock of the `wait` policy and writeback's backoff (default: real time). */
  clock?: Clock;
}

/** A swap area as zswap sees it: its index, and the device writeback writes to (if any). */
interface Area {
  index: AreaIndex;
  device: SwapDevice | undefined;
}

/** @internal Zswap's insides, for tests only: changing them breaks the cache's invariants. */
export interface ZswapInternals {
  readonly entries: EntryTable;
  readonly pool: ZsPool;
  readonly writeback: Writeback;
  /** The pool object of a live entry (its area's index holds it), 0 for any other row. */
  handleOf(e: EntryIndex): Handle;
}

export class Zswap {
  readonly #counts = countsNew(ZSWAP_COUNTERS);
  readonly #pool: ZsPool;
  readonly #entries = new EntryTable();
  readonly #writeback: Writeback;
  /** The dip writeback policy's shadows and choice; undefined under lru. */
  #dip: Dip | undefined;
  readonly #areas: (Area | undefined)[] = new Array(SWAP_AREAS_MAX).fill(undefined);
  readonly #clock: Clock;
  #config: ZswapConfig;
  readonly #codecs = new CodecSlots();
  #codecId: number;
  /** Store path's destination: one buffer, reused, so a store allocates nothing. */
  readonly #dst = new Uint8Array(COMPRESS_BUFFER_BYTES);
  /** Views of dst's first n bytes, made once per length (at most PAGE_SIZE of them). */
  readonly #dstViews: (Uint8Array | undefined)[] = [];
  /** Set when the pool filled; cleared once it is below the accept threshold (hysteresis). */
  #poolReachedFull = false;
  #compressedBytes = 0;
  /** Areas swapped on with a device: writeback has somewhere to write. */
  #writebackAreas = 0;
  /** Writebacks since the last compaction check. */
  #sinceCompact = 0;

  constructor(options: ZswapOptions = {}, deps: ZswapDeps = {}) {
    this.#config = configResolve(options);
    this.#clock = deps.clock ?? REAL_CLOCK;
    this.#codecId = this.#codecLoad(this.#config);
    this.#pool = new ZsPool({
      pagesMax: Math.max(1, this.#config.poolPagesMax) as PageCount,
      // An object's tag is its entry's row; the area's index follows the object.
      onMove: (e, to) => {
        const t = this.#entries;
        const old = this.#areas[t.type[e]]!.index.set(t.offset[e] as SwapOffset, to);
        assert(old !== 0, "a moved object's slot holds it");
      },
    });
    this.#writeback = new Writeback(this.#writebackHost(), this.#config.writebacksInFlightMax);
    this.#dip = this.#dipMake(this.#config);
  }

  // --- helpers ---

  /** dst's first `length` bytes; JS has no copy between buffers that takes a length without a view. */
  #dstView(length: number): Uint8Array {
    let view = this.#dstViews[length];
    if (view === undefined) {
      view = this.#dst.subarray(0, length);
      this.#dstViews[length] = view;
    }
    return view;
  }

  #codecLoad(c: ZswapConfig): number {
    return this.#codecs.load(c.compressor, c.compressorParams, () => this.#codecIdsLive());
  }

  /** The codec ids live entries were stored with: a scan, run only to place a new dictionary. */
  #codecIdsLive(): Set<number> {
    const ids = new Set<number>();
    for (const a of this.#areas) {
      a?.index.forEach((_off, h) => {
        ids.add(this.#entries.codec[this.#pool.tagOf(h)]!);
      });
    }
    return ids;
  }

  static #typeCheck(type: number): void {
    if (!Number.isInteger(type) || type < 0 || type >= SWAP_AREAS_MAX) {
      throw new ZswapSwapTypeError(
        `swap type must be an integer in 0..${SWAP_AREAS_MAX - 1}, got ${type}`,
      );
    }
  }

  #area(type: number): Area {
    Zswap.#typeCheck(type);
    const area = this.#areas[type];
    if (area === undefined) throw new ZswapAreaError(`swap area ${type} is not swapped on`);
    return area;
  }

  static #slot(area: Area, type: number, offset: number): SwapOffset {
    if (!Number.isInteger(offset) || offset < 0 || offset >= area.index.slots) {
      throw new ZswapOffsetError(
        `offset ${offset} is outside swap area ${type} (0..${area.index.slots - 1})`,
      );
    }
    return offset as SwapOffset;
  }

  /** Removes the slot's entry from the index, then frees it. */
  #entryErase(area: Area, off: SwapOffset): void {
    const h = area.index.erase(off);
    this.#pool.map(h);
    const e = this.#pool.mappedTag as EntryIndex;
    assert(this.#entries.offset[e] === off, "an entry's slot in the index names that entry");
    this.#entryDrop(h, e);
  }

  /**
   * Frees the entry e whose page is pool object h, already out of the index: LRU, pool, row.
   * The caller has just map()ped h.
   */
  #entryDrop(h: Handle, e: EntryIndex): void {
    const t = this.#entries;
    t.lruDel(e); // a no-op when writeback took it off already
    this.#compressedBytes -= this.#pool.mappedLength;
    this.#pool.free(h);
    t.entryFree(e);
  }

  /**
   * Decompresses the page in pool object h into `into`; shared by load and writeback. Leaves h
   * map()ped: its tag is its entry, its length the bytes it takes in the pool.
   */
  #pageRead(h: Handle, into: Uint8Array): void {
    const t = this.#entries;
    const bytes = this.#pool.map(h);
    const e = this.#pool.mappedTag;
    const at = this.#pool.mappedOffset;
    const length = this.#pool.mappedLength;
    if (t.flags[e] & RAW) {
      into.set(bytes.subarray(at, at + PAGE_SIZE));
      return;
    }
    const produced = this.#codecs.get(t.codec[e]!).decompress(bytes, at, at + length, into);
    if (produced !== PAGE_SIZE) {
      this.#counts.decompress_fail++;
      throw new ZswapDataError(
        `entry at swap ${t.type[e]}:${t.offset[e]} decompressed to ${produced} bytes, not a page`,
      );
    }
  }

  // --- the writeback policy ---

  #dipMake(c: ZswapConfig): Dip | undefined {
    if (c.writebackPolicy !== "dip") return undefined;
    // Entries the pool holds when full, at the entries per pool page seen so far.
    const capacity = () => {
      const used = this.#pool.pagesUsed;
      const n = this.#entries.count;
      return used === 0 || n === 0
        ? this.#config.poolPagesMax
        : (this.#config.poolPagesMax * n) / used;
    };
    return new Dip(c.poolPagesMax, capacity);
  }

  /** Tells dip what became of a page offered for a slot: refused for its content, or not. */
  #dipOffered(type: number, off: SwapOffset, reason: RejectReason | undefined): void {
    if (this.#dip === undefined) return;
    const key = slotKey(type, off);
    if (reason === "reject_compress_poor" || reason === "reject_compress_fail") {
      this.#dip.forgotten(key);
    } else this.#dip.offered(key);
  }

  /** The pool object of entry e, which is in its area's index. */
  #handleOf(e: EntryIndex): Handle {
    const t = this.#entries;
    return this.#areas[t.type[e]]!.index.get(t.offset[e] as SwapOffset);
  }

  // --- limits ---

  /**
   * Pages the pool must be down to before stores are taken again: the accept threshold, and
   * never closer to the bound than one zspage of the longest chain, or the next allocation
   * could fail at once while the limit check lets stores through. While dip follows BIP, only
   * that zspage (#bimodalPages).
   */
  #acceptPages(): number {
    const max = this.#config.poolPagesMax;
    if (this.#dip?.bimodal) return this.#bimodalPages();
    const threshold = Math.floor((max * this.#config.acceptThresholdPercent) / 100);
    return Math.max(0, Math.min(threshold, max - POOL_ZSPAGE_PAGES_MAX));
  }

  /**
   * What the pool writes back down to while dip follows BIP, for the limit and the shrinker
   * alike: one zspage below the bound. BIP keeps what the pool holds and lets the newest
   * entries go; writing back down to a threshold would only keep a tenth less of what a loop
   * reads next.
   */
  #bimodalPages(): number {
    return Math.max(0, this.#config.poolPagesMax - POOL_ZSPAGE_PAGES_MAX);
  }

  /** The pool limit with hysteresis (zswap_check_limits): true when stores must be refused. */
  #poolLimited(): boolean {
    const used = this.#pool.pagesUsed;
    if (used >= this.#config.poolPagesMax) this.#poolReachedFull = true;
    else if (this.#poolReachedFull && used <= this.#acceptPages()) this.#poolReachedFull = false;
    if (this.#poolReachedFull) this.#writeback.kick();
    return this.#poolReachedFull;
  }

  /** True when a store now would pass the limit check. */
  #poolAccepts(): boolean {
    const used = this.#pool.pagesUsed;
    return (
      used < this.#config.poolPagesMax && (!this.#poolReachedFull || used <= this.#acceptPages())
    );
  }

  /** What writeback needs of zswap, and nothing more (writeback.ts declares it). */
  #writebackHost(): WritebackHost {
    return {
      entries: this.#entries,
      deviceOf: (type) => this.#areas[type]?.device,
      entryRead: (e, into) => {
        this.#pageRead(this.#handleOf(e), into);
        assert(this.#pool.mappedTag === e, "an entry's pool object names that entry");
        return this.#pool.mappedLength;
      },
      entryWrittenBack: (e) => {
        const t = this.#entries;
        this.#entryErase(this.#areas[t.type[e]]!, t.offset[e] as SwapOffset);
        this.#counts.written_back_pages++;
        this.#counts.zswpwb++;
      },
      writebackFailed: () => {
        this.#counts.writeback_fail++;
      },
      stores: () => this.#counts.zswpout,
      reclaimWanted: (inFlightBytes) =>
        this.#poolReachedFull &&
        this.#pool.pagesUsed * PAGE_SIZE - inFlightBytes > this.#acceptPages() * PAGE_SIZE,
      shrinkWanted: (inFlightBytes) => {
        if (!this.#config.shrinkerEnabled) return false;
        const c = this.#config;
        const target = this.#dip?.bimodal
          ? this.#bimodalPages()
          : Math.floor((c.poolPagesMax * c.shrinkerTargetPercent) / 100);
        return this.#pool.pagesUsed * PAGE_SIZE - inFlightBytes > target * PAGE_SIZE;
      },
      poolAccepts: () => this.#poolAccepts(),
      writebackPossible: () => this.#writebackAreas > 0,
      compactIfFragmented: () => this.#compactIfFragmented(),
      clock: this.#clock,
    };
  }

  /**
   * After writeback freed objects scattered over zspages, the pool may hold many half-empty
   * pages; compact when more than a quarter of its bytes are slack. Until then the pool stays
   * at its bound by the page count and writeback goes on taking entries, deeper than the room
   * it was asked for: so the slack is looked at every POOL_COMPACT_CHECK_WRITEBACKS writebacks
   * (a subtraction), and compaction itself runs only when a quarter is slack.
   */
  #compactIfFragmented(): void {
    if (++this.#sinceCompact < POOL_COMPACT_CHECK_WRITEBACKS) return;
    this.#sinceCompact = 0;
    const held = this.#pool.pagesUsed * PAGE_SIZE;
    if (held - this.#compressedBytes > held / 4) this.#pool.compact();
  }

  // --- the store path (zswap_store) ---

  /**
   * Offers a page for (type, offset). Returns true when zswap took it, false when it declined
   * (exactly one reject counter moved). Either way any older entry at the slot is gone: its data
   * is stale once the page is swapped out again.
   */
  store(type: number, offset: number, page: Uint8Array): boolean {
    const reason = this.#store(type, offset, page);
    if (reason !== undefined) this.#reject(reason);
    return reason === undefined;
  }

  /**
   * The store path; returns why it declined, or undefined when it stored the page. The caller
   * counts the decline (#reject), or waits and tries again.
   */
  #store(type: number, offset: number, page: Uint8Array): RejectReason | undefined {
    pageCheck(page);
    const area = this.#area(type);
    const off = Zswap.#slot(area, type, offset);
    const t = this.#entries;

    // 1. Cheap rejects, then 2. the fallible work: compress (allocation comes after step 3).
    let length = 0;
    let reason: RejectReason | undefined;
    if (this.#poolLimited()) {
      reason = "pool_limit_hit";
    } else {
      const limit = Math.floor((PAGE_SIZE * this.#config.maxCompressionRatio) / 100);
      try {
        length = this.#codecs.get(this.#codecId).compress(page, this.#dst, limit);
      } catch {
        length = -1;
      }
      if (length <= 0 && this.#config.incompressible !== "store-raw") {
        reason = length === 0 ? "reject_compress_poor" : "reject_compress_fail";
      }
    }
    const raw = reason === undefined && length <= 0;
    if (raw) length = PAGE_SIZE;

    // 3. The old entry goes whatever happens next (its data is stale), and before allocating,
    // since its pool space may be what makes room for the new one.
    if (area.index.get(off) !== 0) {
      this.#counts.duplicate_entry++;
      this.#entryErase(area, off);
    }
    if (reason !== undefined) {
      this.#dipOffered(type, off, reason);
      return reason;
    }

    const e = t.rowPeek();
    const handle = this.#poolMalloc(length, e);
    if (handle === NO_HANDLE || handle === ALLOC_FAILED) {
      const why = handle === NO_HANDLE ? "pool_limit_hit" : "reject_alloc_fail";
      this.#dipOffered(type, off, why);
      return why;
    }

    // 4. Point of no return: nothing below fails. Copy into the pool, publish the entry.
    const bytes = this.#pool.map(handle);
    bytes.set(raw ? page : this.#dstView(length), this.#pool.mappedOffset);
    t.entryAlloc(e, type as SwapType, off, this.#codecId, raw);
    area.index.set(off, handle);
    if (this.#dip?.insertOldest()) t.lruAddOldest(e);
    else t.lruAdd(e);
    this.#dipOffered(type, off, undefined);
    this.#compressedBytes += length;
    this.#counts.zswpout++;
    if (this.#config.shrinkerEnabled) this.#writeback.kick();
    return undefined;
  }

  /**
   * Room for `length` bytes. NO_HANDLE when the size class has no free object and its next
   * zspage would pass the page bound: the pool is below its bound by fewer pages than that zspage
   * has (up to POOL_ZSPAGE_PAGES_MAX), so the limit check let the store through, but the pool is
   * as full as it gets for this size; it counts as the limit (and the hysteresis starts), not as
   * a failed allocation. ALLOC_FAILED when the allocator could not get memory at all.
   */
  #poolMalloc(length: number, e: EntryIndex): Handle | typeof ALLOC_FAILED {
    let handle: Handle;
    try {
      handle = this.#pool.malloc(length as ByteCount, e);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err; // "Array buffer allocation failed"
      return ALLOC_FAILED;
    }
    if (handle === NO_HANDLE) {
      this.#poolReachedFull = true;
      this.#writeback.kick();
    }
    return handle;
  }

  /** The one place a declined store is counted. */
  #reject(reason: RejectReason): void {
    this.#counts[reason]++;
  }

  /**
   * The `wait` policy (the waitqueue the 2013 writeback patch's review asked for): a store that
   * finds the pool full waits, up to `waitMs` in all, for writeback to make room, and is stored
   * then. Also waits again, counting nothing, when its size class's next zspage did not fit
   * under the bound (full in a way the limit check does not see). Resolves false when it
   * declined, with exactly one reject counter moved: reject_reclaim_fail when waiting did not
   * make room.
   */
  async storeWait(
    type: number,
    offset: number,
    page: Uint8Array,
    waitMs: number,
  ): Promise<boolean> {
    const deadline = this.#clock.now() + waitMs;
    let waited = false;
    for (;;) {
      while (this.#writeback.waiting > 0 || !this.#poolAccepts()) {
        const left = deadline - this.#clock.now();
        if (left <= 0 || !(await this.#writeback.waitForRoom(left))) {
          this.#area(type); // an area swapped off meanwhile is the caller's error, not a decline
          this.#reject("reject_reclaim_fail");
          return false;
        }
        waited = true;
      }
      const reason = this.#store(type, offset, page);
      if (reason === undefined) {
        if (waited) this.#counts.saved_by_writeback++;
        return true;
      }
      // Declined for what waiting cannot change, or the pool accepts (it is below its threshold
      // and still has no zspage to spare): the caller's device takes the page.
      if (reason !== "pool_limit_hit" || this.#poolAccepts()) {
        this.#reject(reason);
        return false;
      }
    }
  }

  // --- the other hooks ---

  /**
   * Fills `into` with the page stored at (type, offset). Returns false on a miss. An exclusive
   * load (the default unless exclusiveLoads is off) frees the entry. Data that no longer
   * decompresses to a page raises ZswapDataError (decompress_fail) and is kept.
   */
  load(
    type: number,
    offset: number,
    into: Uint8Array,
    exclusive = this.#config.exclusiveLoads,
  ): boolean {
    pageCheck(into);
    const area = this.#area(type);
    const off = Zswap.#slot(area, type, offset);
    this.#dip?.loaded(slotKey(type, off), exclusive);
    const h = area.index.get(off);
    if (h === 0) return false;
    this.#pageRead(h, into);
    const e = this.#pool.mappedTag as EntryIndex;
    this.#counts.zswpin++;
    if (exclusive) {
      area.index.erase(off);
      this.#entryDrop(h, e);
    } else {
      this.#entries.flags[e] |= REFERENCED;
    }
    return true;
  }

  /**
   * Reads the page stored at (type, offset) into `into` and returns the bytes it takes in the
   * pool, 0 on a miss; unlike load, it leaves the entry, the LRU and the counters alone (dedup's
   * byte-for-byte check). Data that no longer decompresses raises ZswapDataError.
   */
  peek(type: number, offset: number, into: Uint8Array): number {
    pageCheck(into);
    const area = this.#area(type);
    const h = area.index.get(Zswap.#slot(area, type, offset));
    if (h === 0) return 0;
    this.#pageRead(h, into);
    return this.#pool.mappedLength;
  }

  /** Drops whatever is stored at (type, offset); the slot was freed. */
  invalidate(type: number, offset: number): void {
    const area = this.#area(type);
    const off = Zswap.#slot(area, type, offset);
    this.#dip?.forgotten(slotKey(type, off));
    if (area.index.get(off) !== 0) this.#entryErase(area, off);
  }

  /**
   * Opens swap area `type` with `slots` slots. With a device, writeback may move this area's
   * pages to their slots on it; without one, they stay until loaded or invalidated.
   */
  swapon(type: number, slots: number, device?: SwapDevice): void {
    Zswap.#typeCheck(type);
    if (!Number.isInteger(slots) || slots < 1 || slots > AREA_SLOTS_MAX) {
      throw new ZswapOptionError(`slots must be an integer in 1..${AREA_SLOTS_MAX}, got ${slots}`);
    }
    if (device !== undefined && device.slots < slots) {
      throw new ZswapOptionError(
        `the device holds ${device.slots} slots, fewer than the area's ${slots}`,
      );
    }
    if (this.#areas[type] !== undefined) {
      throw new ZswapAreaError(`swap area ${type} is already on`);
    }
    this.#areas[type] = { index: new AreaIndex(slots), device };
    if (device !== undefined) this.#writebackAreas++;
  }

  /** Closes swap area `type`, dropping every entry it holds; writebacks in flight are orphaned. */
  swapoff(type: number): void {
    const area = this.#area(type);
    area.index.forEach((_off, h) => {
      this.#pool.map(h);
      this.#entryDrop(h, this.#pool.mappedTag as EntryIndex);
    });
    this.#areas[type] = undefined;
    this.#dip?.clear();
    if (area.device !== undefined) this.#writebackAreas--;
  }

  // --- the rest of the public API ---

  /**
   * Changes tunables at run time, all or nothing: every option is checked (and a new codec
   * loaded) before anything changes. Entries stored with an older codec stay readable.
   */
  configure(options: ZswapOptions): void {
    const next = configResolve(options, this.#config);
    if (next.writebacksInFlightMax !== this.#config.writebacksInFlightMax) {
      throw new ZswapOptionError("writebacksInFlightMax is fixed at construction");
    }
    const id = this.#codecLoad(next);
    const old = this.#config;
    const policyKept =
      next.writebackPolicy === old.writebackPolicy && next.poolPagesMax === old.poolPagesMax;
    const dip = policyKept ? this.#dip : this.#dipMake(next);
    // Point of no return: next is whole and valid, its codec loaded, its policy made.
    this.#config = next;
    this.#codecId = id;
    this.#dip = dip;
    this.#pool.pagesMax = Math.max(1, next.poolPagesMax) as PageCount;
    this.#writeback.kick();
  }

  get options(): Readonly<ZswapConfig> {
    const dictionary = this.#config.compressorParams.dictionary?.slice();
    return { ...this.#config, compressorParams: dictionary === undefined ? {} : { dictionary } };
  }

  /** Moves pool objects to free pages (zsmalloc compaction); returns the pages freed. */
  compact(): PageCount {
    return this.#pool.compact();
  }

  /** Stops writeback's retries and releases every store waiting for room (for close). */
  stop(): void {
    this.#writeback.stop();
  }

  stats(): ZswapStats {
    const t = this.#entries;
    let metadata: number = t.bytes + this.#pool.metadataBytes + (this.#dip?.bytes ?? 0);
    for (const a of this.#areas) if (a !== undefined) metadata += a.index.bytes;
    return {
      ...this.#counts,
      pool_total_size: this.#pool.pagesUsed * PAGE_SIZE,
      pool_limit_bytes: this.#config.poolPagesMax * PAGE_SIZE,
      stored_pages: t.count,
      stored_incompressible_pages: t.countRaw,
      Zswapped: t.count * PAGE_SIZE,
      compressed_bytes: this.#compressedBytes,
      metadata_bytes: metadata,
      outstanding_writebacks: this.#writeback.inFlight,
      writeback_waiters: this.#writeback.waiting,
    };
  }

  /** Pages the pool holds now: pool_total_size / PAGE_SIZE, without building a snapshot. */
  get poolPages(): number {
    return this.#pool.pagesUsed;
  }

  /**
   * @internal The entry table, the pool and writeback, live, for tests that check or break invariants.
   * Nothing else may use this: any change through it can lose pages.
   */
  static unsafeExposeInternals(z: Zswap): ZswapInternals {
    return {
      entries: z.#entries,
      pool: z.#pool,
      writeback: z.#writeback,
      handleOf: (e) => {
        const area = z.#areas[z.#entries.type[e]];
        const h = area?.index.get(z.#entries.offset[e] as SwapOffset) ?? (0 as Handle);
        return h !== 0 && z.#pool.tagOf(h) === e ? h : (0 as Handle);
      },
    };
  }
}
