// zswap: a compressed cache in front of swap, with the kernel's frontswap hooks
// (swapon, store, load, invalidate, swapoff). The hooks are synchronous, like the kernel's: a
// store takes the page or declines it, and the caller then writes the page to the device itself.
// Writeback (writeback.ts) runs in the background and is bounded.
//
// Reads bottom-up like mm/zswap.c: state, helpers, limits, the store path, the other hooks.

import {
  type Compressor,
  type CompressorName,
  compressorCreate,
  compressorId,
} from "../compress/index.ts";
import {
  AREA_SLOTS_MAX,
  COMPRESS_BUFFER_BYTES,
  PAGE_SIZE,
  POOL_ZSPAGE_PAGES_MAX,
  SWAP_AREAS_MAX,
} from "../constants.ts";
import type { SwapDevice } from "../device/device.ts";
import { pageCheck, ZswapArgumentError, ZswapDataError, ZswapStateError } from "../errors.ts";
import { ZsPool } from "../pool/index.ts";
import { Counters } from "../stats/index.ts";
import type { ByteCount, EntryIndex, Handle, PageCount, SwapOffset, SwapType } from "../types.ts";
import { NO_HANDLE } from "../types.ts";
import { AreaIndex } from "./area-index.ts";
import { EntryTable, REFERENCED } from "./entries.ts";
import { configResolve, type ZswapConfig, type ZswapOptions } from "./options.ts";
import { Writeback } from "./writeback.ts";

/** Why a store was declined: the counter that moved. */
export type RejectReason =
  | "pool_limit_hit"
  | "reject_compress_poor"
  | "reject_compress_fail"
  | "reject_alloc_fail"
  | "reject_reclaim_fail";

/** Gauges, computed on read, with the kernel's names where it has one. */
export interface ZswapGauges {
  /** Bytes of pages the pool holds (debugfs pool_total_size; meminfo Zswap). */
  pool_total_size: number;
  /** The pool's bound in bytes. */
  pool_limit_bytes: number;
  /** Pages stored now. */
  stored_pages: number;
  /** Pages stored now uncompressed. */
  stored_incompressible_pages: number;
  /** Bytes of the pages stored, before compression (meminfo Zswapped). */
  Zswapped: number;
  /** Bytes of compressed data stored (what the pool objects were asked for). */
  compressed_bytes: number;
  /** Bytes of metadata outside the pool pages: entry table and indexes. */
  metadata_bytes: number;
  /** Writebacks whose device write is in flight (the seed's outstanding_writebacks). */
  outstanding_writebacks: number;
  /** Stores waiting for writeback to make room (the `wait` policy's queue). */
  writeback_waiters: number;
}

export type ZswapStats = Readonly<Counters & ZswapGauges>;

/** A swap area as zswap sees it: its index, and the device writeback writes to (if any). */
interface Area {
  index: AreaIndex;
  device: SwapDevice | undefined;
}

export class Zswap {
  /** @internal event counters; shared with the swap layer, which counts its own events in them. */
  readonly counters: Counters;
  /** @internal the pool; the workload's run and tests read its pages and objects. */
  readonly pool: ZsPool;
  /** @internal the entry table; writeback and tests reach the rows through it. */
  readonly entries = new EntryTable();
  /** @internal */
  readonly writeback: Writeback;
  private readonly areas: (Area | undefined)[] = new Array(SWAP_AREAS_MAX).fill(undefined);
  private config: ZswapConfig;
  private readonly codecs: (Compressor | undefined)[] = [];
  private codecId: number;
  /** Store path's destination: one buffer, reused, so a store allocates nothing. */
  private readonly dst = new Uint8Array(COMPRESS_BUFFER_BYTES);
  /** Views of dst's first n bytes, made once per length (at most PAGE_SIZE of them). */
  private readonly dstViews: (Uint8Array | undefined)[] = [];
  /** Set when the pool filled; cleared once it is below the accept threshold (hysteresis). */
  private poolReachedFull = false;
  private compressedBytes = 0;
  /** Areas swapped on with a device: writeback has somewhere to write. */
  private writebackAreas = 0;
  /** Writebacks since the last compaction check. */
  private sinceCompact = 0;

  constructor(options: ZswapOptions = {}, counters = new Counters()) {
    this.config = configResolve(options);
    this.counters = counters;
    this.codecId = this.codecLoad(this.config.compressor);
    this.pool = new ZsPool({
      pagesMax: Math.max(1, this.config.poolPagesMax) as PageCount,
      onMove: (e, to) => {
        this.entries.handle[e] = to;
      },
    });
    this.writeback = new Writeback(this, this.config.writebacksInFlightMax);
  }

  // --- helpers ---

  /** dst's first `length` bytes; JS has no copy between buffers that takes a length without a view. */
  private dstView(length: number): Uint8Array {
    let view = this.dstViews[length];
    if (view === undefined) {
      view = this.dst.subarray(0, length);
      this.dstViews[length] = view;
    }
    return view;
  }

  private codecLoad(name: string): number {
    const id = compressorId(name as CompressorName);
    this.codecs[id] ??= compressorCreate(name);
    return id;
  }

  private static typeCheck(type: number): void {
    if (!Number.isInteger(type) || type < 0 || type >= SWAP_AREAS_MAX) {
      throw new ZswapArgumentError(
        "ZSWAP_E_AREA",
        `swap type must be an integer in 0..${SWAP_AREAS_MAX - 1}, got ${type}`,
      );
    }
  }

  private area(type: number): Area {
    Zswap.typeCheck(type);
    const area = this.areas[type];
    if (area === undefined) {
      throw new ZswapStateError("ZSWAP_E_AREA", `swap area ${type} is not swapped on`);
    }
    return area;
  }

  private static slot(area: Area, type: number, offset: number): SwapOffset {
    if (!Number.isInteger(offset) || offset < 0 || offset >= area.index.slots) {
      throw new ZswapArgumentError(
        "ZSWAP_E_OFFSET",
        `offset ${offset} is outside swap area ${type} (0..${area.index.slots - 1})`,
      );
    }
    return offset as SwapOffset;
  }

  /** Removes an entry from the index, then frees it. */
  private entryErase(area: Area, e: EntryIndex): void {
    area.index.erase(this.entries.offset[e] as SwapOffset);
    this.entryDrop(e);
  }

  /** Frees an entry that is already out of the index: LRU, pool, row. */
  private entryDrop(e: EntryIndex): void {
    const t = this.entries;
    t.lruDel(e); // a no-op when writeback took it off already
    this.compressedBytes -= t.length[e];
    this.pool.free(t.handle[e] as Handle);
    t.entryFree(e);
  }

  // --- limits ---

  /**
   * Pages the pool must be down to before stores are taken again: the accept threshold, and
   * never closer to the bound than one zspage of the longest chain, or the next allocation
   * could fail at once (reject_alloc_fail) while the limit check lets stores through.
   */
  private acceptPages(): number {
    const max = this.config.poolPagesMax;
    const threshold = Math.floor((max * this.config.acceptThresholdPercent) / 100);
    return Math.max(0, Math.min(threshold, max - POOL_ZSPAGE_PAGES_MAX));
  }

  /** The pool limit with hysteresis (zswap_check_limits): true when stores must be refused. */
  private poolLimited(): boolean {
    const used = this.pool.pagesUsed;
    if (used >= this.config.poolPagesMax) this.poolReachedFull = true;
    else if (this.poolReachedFull && used <= this.acceptPages()) this.poolReachedFull = false;
    if (this.poolReachedFull) this.writeback.kick();
    return this.poolReachedFull;
  }

  /** @internal true when a store now would pass the limit check. */
  poolAccepts(): boolean {
    const used = this.pool.pagesUsed;
    return used < this.config.poolPagesMax && (!this.poolReachedFull || used <= this.acceptPages());
  }

  /** @internal true while the pool, less what is being written back, is above the threshold. */
  poolAboveAccept(inFlightBytes: number): boolean {
    return (
      this.poolReachedFull &&
      this.pool.pagesUsed * PAGE_SIZE - inFlightBytes > this.acceptPages() * PAGE_SIZE
    );
  }

  /** @internal true while the proactive shrinker wants the pool smaller. */
  shrinkerWants(inFlightBytes: number): boolean {
    if (!this.config.shrinkerEnabled) return false;
    const target = Math.floor((this.config.poolPagesMax * this.config.shrinkerTargetPercent) / 100);
    return this.pool.pagesUsed * PAGE_SIZE - inFlightBytes > target * PAGE_SIZE;
  }

  /** @internal true when some swap area has a device to write back to. */
  writebackPossible(): boolean {
    return this.writebackAreas > 0;
  }

  /** @internal the device writeback writes area `type`'s entries to. */
  areaDevice(type: number): SwapDevice | undefined {
    return this.areas[type]?.device;
  }

  /**
   * @internal After writeback freed objects scattered over zspages, the pool may hold many
   * half-empty pages; compact when more than a quarter of its bytes are slack. Checked at most
   * once per writeback bound's worth of writebacks, so the cost stays amortized.
   */
  compactIfFragmented(): void {
    if (++this.sinceCompact < this.writeback.inFlightMax) return;
    this.sinceCompact = 0;
    const held = this.pool.pagesUsed * PAGE_SIZE;
    if (held - this.compressedBytes > held / 4) this.pool.compact();
  }

  // --- the store path (zswap_store) ---

  /**
   * Offers a page for (type, offset). Returns true when zswap took it, false when it declined
   * (exactly one reject counter moved). Either way any older entry at the slot is gone: its data
   * is stale once the page is swapped out again.
   */
  store(type: number, offset: number, page: Uint8Array): boolean {
    pageCheck(page);
    const area = this.area(type);
    const off = Zswap.slot(area, type, offset);
    const t = this.entries;

    // 1. Cheap rejects, then 2. the fallible work: compress (allocation comes after step 3).
    let length = 0;
    let reason: RejectReason | undefined;
    if (this.poolLimited()) {
      reason = "pool_limit_hit";
    } else {
      const limit = Math.floor((PAGE_SIZE * this.config.maxCompressionRatio) / 100);
      try {
        length = this.codecs[this.codecId]!.compress(page, this.dst, limit);
      } catch {
        length = -1;
      }
      if (length <= 0 && this.config.incompressible === "store-raw") length = PAGE_SIZE;
      else if (length <= 0) reason = length === 0 ? "reject_compress_poor" : "reject_compress_fail";
    }

    // 3. The old entry goes whatever happens next (its data is stale), and before allocating,
    // since its pool space may be what makes room for the new one.
    const old = area.index.get(off);
    if (old !== 0) {
      this.counters.duplicate_entry++;
      this.entryErase(area, old);
    }
    if (reason !== undefined) return this.reject(reason);

    const e = t.rowPeek();
    const handle = this.pool.malloc(length as ByteCount, e);
    if (handle === NO_HANDLE) {
      // The pool is at its page bound with no room in this class: as full as it gets.
      this.poolReachedFull = true;
      this.writeback.kick();
      return this.reject("reject_alloc_fail");
    }

    // 4. Point of no return: nothing below fails. Copy into the pool, publish the entry.
    const bytes = this.pool.bytesOf(handle);
    const at = this.pool.offsetOf(handle);
    bytes.set(length === PAGE_SIZE ? page : this.dstView(length), at);
    const codec = length === PAGE_SIZE ? 0 : this.codecId;
    t.entryAlloc(e, type as SwapType, off, handle, length, codec);
    area.index.set(off, e);
    t.lruAdd(e);
    this.compressedBytes += length;
    this.counters.zswpout++;
    if (this.config.shrinkerEnabled) this.writeback.kick();
    return true;
  }

  /** @internal the one place a declined store is counted; the swap layer counts its declines here. */
  reject(reason: RejectReason): false {
    this.counters[reason]++;
    return false;
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
    exclusive = this.config.exclusiveLoads,
  ): boolean {
    pageCheck(into);
    const area = this.area(type);
    const e = area.index.get(Zswap.slot(area, type, offset));
    if (e === 0) return false;
    this.entryRead(e, into);
    this.counters.zswpin++;
    if (exclusive) this.entryErase(area, e);
    else this.entries.flags[e] |= REFERENCED;
    return true;
  }

  /** @internal decompresses entry e into `into`; shared by load and writeback. */
  entryRead(e: EntryIndex, into: Uint8Array): void {
    const t = this.entries;
    const h = t.handle[e] as Handle;
    const bytes = this.pool.bytesOf(h);
    const at = this.pool.offsetOf(h);
    const length = t.length[e];
    if (length === PAGE_SIZE) {
      into.set(bytes.subarray(at, at + PAGE_SIZE));
      return;
    }
    const produced = this.codecs[t.codec[e]]!.decompress(bytes, at, at + length, into);
    if (produced !== PAGE_SIZE) {
      this.counters.decompress_fail++;
      throw new ZswapDataError(
        "ZSWAP_E_CORRUPT",
        `entry at swap ${t.type[e]}:${t.offset[e]} decompressed to ${produced} bytes, not a page`,
      );
    }
  }

  /** @internal the device now holds entry e's page: drop the entry (writeback's success). */
  entryWrittenBack(e: EntryIndex): void {
    this.entryErase(this.areas[this.entries.type[e]]!, e);
    this.counters.written_back_pages++;
    this.counters.zswpwb++;
  }

  /** Drops whatever is stored at (type, offset); the slot was freed. */
  invalidate(type: number, offset: number): void {
    const area = this.area(type);
    const e = area.index.get(Zswap.slot(area, type, offset));
    if (e !== 0) this.entryErase(area, e);
  }

  /**
   * Opens swap area `type` with `slots` slots. With a device, writeback may move this area's
   * pages to their slots on it; without one, they stay until loaded or invalidated.
   */
  swapon(type: number, slots: number, device?: SwapDevice): void {
    Zswap.typeCheck(type);
    if (!Number.isInteger(slots) || slots < 1 || slots > AREA_SLOTS_MAX) {
      throw new ZswapArgumentError(
        "ZSWAP_E_OPTION",
        `slots must be an integer in 1..${AREA_SLOTS_MAX}, got ${slots}`,
      );
    }
    if (device !== undefined && device.slots < slots) {
      throw new ZswapArgumentError(
        "ZSWAP_E_OPTION",
        `the device holds ${device.slots} slots, fewer than the area's ${slots}`,
      );
    }
    if (this.areas[type] !== undefined) {
      throw new ZswapStateError("ZSWAP_E_AREA", `swap area ${type} is already on`);
    }
    this.areas[type] = { index: new AreaIndex(slots), device };
    if (device !== undefined) this.writebackAreas++;
  }

  /** Closes swap area `type`, dropping every entry it holds; writebacks in flight are orphaned. */
  swapoff(type: number): void {
    const area = this.area(type);
    area.index.forEach((_off, e) => {
      this.entryDrop(e);
    });
    this.areas[type] = undefined;
    if (area.device !== undefined) this.writebackAreas--;
  }

  /** Changes tunables at run time; entries stored with an older codec stay readable. */
  configure(options: ZswapOptions): void {
    const next = configResolve(options, this.config);
    if (next.writebacksInFlightMax !== this.config.writebacksInFlightMax) {
      throw new ZswapArgumentError(
        "ZSWAP_E_OPTION",
        "writebacksInFlightMax is fixed at construction",
      );
    }
    const id = this.codecLoad(next.compressor);
    this.config = next;
    this.codecId = id;
    this.pool.pagesMax = Math.max(1, next.poolPagesMax) as PageCount;
    this.writeback.kick();
  }

  get options(): Readonly<ZswapConfig> {
    return this.config;
  }

  /** Moves pool objects to free pages (zsmalloc compaction); returns the pages freed. */
  compact(): PageCount {
    return this.pool.compact();
  }

  stats(): ZswapStats {
    const t = this.entries;
    let metadata: number = t.bytes;
    for (const a of this.areas) if (a !== undefined) metadata += a.index.bytes;
    return {
      ...this.counters,
      pool_total_size: this.pool.pagesUsed * PAGE_SIZE,
      pool_limit_bytes: this.config.poolPagesMax * PAGE_SIZE,
      stored_pages: t.count,
      stored_incompressible_pages: t.countRaw,
      Zswapped: t.count * PAGE_SIZE,
      compressed_bytes: this.compressedBytes,
      metadata_bytes: metadata,
      outstanding_writebacks: this.writeback.inFlight,
      writeback_waiters: this.writeback.waiting,
    };
  }
}
