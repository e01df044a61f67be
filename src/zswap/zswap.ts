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
import { type Clock, clockCheck, REAL_CLOCK } from "../clock.ts";
import type { CompressorParams } from "../compress/index.ts";
import {
  AREA_SLOTS_MAX,
  COMPRESS_BUFFER_BYTES,
  DIP_LRU_HYSTERESIS_PERCENT,
  PACKED_BLOCK_PAGES,
  PAGE_SIZE,
  POOL_COMPACT_CHECK_WRITEBACKS,
  POOL_ZSPAGE_PAGES_MAX,
  ROOM_WAIT_MS_MAX,
  SWAP_AREAS_MAX,
} from "../constants.ts";
import { deviceCheck } from "../device/check.ts";
import type { SwapDevice } from "../device/device.ts";
import {
  folioCheck,
  optionBad,
  optionsKnownCheck,
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
  MthpCounts,
  type MthpStats,
  ZSWAP_COUNTERS,
  type ZswapCounterName,
  type ZswapGaugeName,
} from "../stats/index.ts";
import type { ByteCount, EntryIndex, Handle, PageCount, SwapOffset, SwapType } from "../types.ts";
import { NO_HANDLE } from "../types.ts";
import { AreaIndex } from "./area-index.ts";
import { BackedSlots } from "./backed-slots.ts";
import { CodecSlots } from "./codec-slots.ts";
import { CODEC_ID_MASK, EntryTable, ORPHANED, RAW, REFERENCED } from "./entries.ts";
import { GROUP_ROOT, Groups, type ZswapGroupOptions, type ZswapGroupStats } from "./groups.ts";
import {
  entryAccessed,
  idleMark,
  pagesBound,
  RECOMPRESS_TYPES,
  type RecompressType,
  tickNow,
  WRITEBACK_TYPES,
  type WritebackType,
} from "./idle.ts";
import { configResolve, type ZswapConfig, type ZswapOptions } from "./options.ts";
import { PackedArea } from "./packed-writeback.ts";
import { Dip, slotKey } from "./policy.ts";
import { type RecompressHost, Recompressor, type RecompressResult } from "./recompress.ts";
import { Writeback, type WritebackHost } from "./writeback.ts";
import { type WritebackBudget, writebackNowRun } from "./writeback-now.ts";

/** The pool could not get memory for a zspage (reject_alloc_fail). */
const ALLOC_FAILED = -1;

/** What loadCompressed returns for a hit: codec id * LOADED_CODEC_STEP + bytes copied. */
export const LOADED_CODEC_STEP = 8192;
/** loadCompressed's codec id for a page stored raw (its PAGE_SIZE bytes are the page). */
export const LOADED_RAW = 255;

/** The keys of markIdle's, writebackNow's and recompress' options: any other is a typo. */
const MARK_IDLE_OPTIONS: ReadonlySet<string> = new Set(["olderThanMs"]);
const WRITEBACK_NOW_OPTIONS: ReadonlySet<string> = new Set(["type", "maxPages"]);
const RECOMPRESS_OPTIONS: ReadonlySet<string> = new Set(["type", "threshold", "maxPages"]);

/** Why a store was declined: the counter that moved. */
export type RejectReason =
  | "pool_limit_hit"
  | "group_limit_hit"
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
const ZSWAP_DEPS: ReadonlySet<string> = new Set(["clock"] satisfies (keyof ZswapDeps)[]);

/** A swap area as zswap sees it: its index, the device writeback writes to (if any), which of
 *  its slots writeback left on that device, and its packed region (compressed writeback). */
interface Area {
  index: AreaIndex;
  device: SwapDevice | undefined;
  backed: BackedSlots;
  packed: PackedArea | undefined;
  /** Where its writebacks decompress, when not on the caller's thread (decompressOffThread). */
  decompressOff?: OffThreadDecompress;
}

/**
 * Decompression off the caller's thread, as a swap space's codec threads give it for its
 * area's writebacks, of the page of slot `offset`: `fill` copies the compressed bytes of codec
 * `codec` into its input and returns their length; `done` is called back on the caller's thread
 * with the bytes produced and the page (valid inside `done` only), the page undefined when the
 * thread that held it died. Returns false, having called neither, when it does not take the page
 * (it is read inline).
 */
export type OffThreadDecompress = (
  offset: SwapOffset,
  codec: number,
  fill: (input: Uint8Array) => number,
  done: (produced: number, page: Uint8Array | undefined) => void,
) => boolean;

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
  readonly #mthp = new MthpCounts();
  readonly #pool: ZsPool;
  readonly #entries = new EntryTable();
  readonly #writeback: Writeback;
  /** Groups of areas, their bounds, switches and counters (groups.ts). */
  readonly #groups = new Groups();
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
  /** The recompressors of the `recompressors` option, in priority order. */
  #recompressor: Recompressor;
  /** Pages writebackNow may still write while writebackLimitEnable is on (writeback_limit). */
  #writebackLimitPages = 0;

  constructor(options: ZswapOptions = {}, deps: ZswapDeps = {}) {
    optionsKnownCheck(deps, ZSWAP_DEPS);
    if (deps.clock !== undefined) clockCheck(deps.clock);
    this.#config = configResolve(options);
    this.#clock = deps.clock ?? REAL_CLOCK;
    this.#codecId = this.#codecLoad(this.#config, []);
    this.#recompressor = this.#recompressorMake(this.#config, [this.#codecId]);
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

  /** The id of c's codec, loaded; a new dictionary takes no id of `keep` (the codecs in use). */
  #codecLoad(c: ZswapConfig, keep: readonly number[]): number {
    return this.#codecs.load(c.compressor, c.compressorParams, () => this.#codecIdsLive(keep));
  }

  /**
   * The codec ids live entries were stored with, and `keep`: a scan, run only to place a new
   * dictionary.
   */
  #codecIdsLive(keep: readonly number[]): Set<number> {
    const ids = new Set<number>(keep);
    for (const a of this.#areas) {
      a?.index.forEach((_off, h) => {
        ids.add(this.#entries.codec[this.#pool.tagOf(h)]! & CODEC_ID_MASK);
      });
      a?.packed?.codecsAdd(ids);
    }
    return ids;
  }

  /** c's recompressors, zstd with recompressorParams' dictionary (taking no id of `keep`). */
  #recompressorMake(c: ZswapConfig, keep: readonly number[]): Recompressor {
    const params = c.recompressorParams;
    const ids = c.recompressors.map((name) =>
      name === "zstd" && params.dictionary !== undefined
        ? this.#codecs.load(name, params, () => this.#codecIdsLive(keep))
        : this.#codecs.byName(name),
    );
    return new Recompressor(ids.map((id) => ({ codec: this.#codecs.get(id), id })));
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
    this.#groups.uncharge(t.type[e]!, this.#pool.mappedLength, (t.flags[e]! & RAW) !== 0);
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
    const produced = this.#codecs
      .get(t.codec[e]! & CODEC_ID_MASK)
      .decompress(bytes, at, at + length, into);
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
   * could fail at once while the limit check lets stores through. Under dip, closer still
   * (DIP_LRU_HYSTERESIS_PERCENT of the way while it places as LRU does, #bimodalPages while
   * it follows BIP).
   */
  #acceptPages(): number {
    const max = this.#config.poolPagesMax;
    if (this.#dip?.bimodal) return this.#bimodalPages();
    const threshold = Math.floor((max * this.#config.acceptThresholdPercent) / 100);
    const accept = Math.max(0, Math.min(threshold, max - POOL_ZSPAGE_PAGES_MAX));
    if (this.#dip === undefined) return accept;
    return Math.min(
      max - POOL_ZSPAGE_PAGES_MAX,
      max - Math.ceil(((max - accept) * DIP_LRU_HYSTERESIS_PERCENT) / 100),
    );
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
    const entryRead = (e: EntryIndex, into: Uint8Array): number => {
      this.#pageRead(this.#handleOf(e), into);
      assert(this.#pool.mappedTag === e, "an entry's pool object names that entry");
      return this.#pool.mappedLength;
    };
    const entryCopy = (e: EntryIndex, into: Uint8Array, at: number): number => {
      const bytes = this.#pool.map(this.#handleOf(e));
      const from = this.#pool.mappedOffset;
      const length = this.#pool.mappedLength;
      into.set(bytes.subarray(from, from + length), at);
      return length;
    };
    return {
      entries: this.#entries,
      deviceOf: (type) => (this.#groups.writebackOn(type) ? this.#areas[type]?.device : undefined),
      entryRead,
      entryReadOff: (e, into, read) => {
        const t = this.#entries;
        const decompress = this.#areas[t.type[e]]?.decompressOff;
        if (decompress === undefined || t.flags[e] & RAW) return -1;
        let length = -1;
        const fill = (input: Uint8Array) => (length = entryCopy(e, input, 0));
        const off = t.offset[e] as SwapOffset;
        const taken = decompress(off, t.codec[e] & CODEC_ID_MASK, fill, (produced, page) => {
          if (t.flags[e] & ORPHANED) return read(true); // its pool object is gone: not read
          if (page === undefined) {
            try {
              entryRead(e, into); // the thread died: its bytes are still in the pool
            } catch {
              return read(false);
            }
          } else if (produced === PAGE_SIZE) {
            into.set(page);
          } else {
            this.#counts.decompress_fail++;
            return read(false);
          }
          read(true);
        });
        return taken ? length : -1;
      },
      entryCopy,
      entryLength: (e) => this.#pool.lengthOf(this.#handleOf(e)),
      entryWrittenBack: (e, packed) => {
        const t = this.#entries;
        this.#groups.count(t.type[e]!, "zswpwb");
        const area = this.#areas[t.type[e]]!;
        const off = t.offset[e] as SwapOffset;
        this.#entryErase(area, off);
        area.backed.set(off);
        this.#counts.written_back_pages++;
        this.#counts.zswpwb++;
        this.#counts.bd_writes++;
        if (!packed) this.#counts.bd_write_bytes += PAGE_SIZE;
      },
      packedOf: (type) => this.#areas[type]?.packed,
      blockWritten: (pages) => {
        this.#counts.bd_packed_writes += pages;
        this.#counts.bd_write_bytes += pages * PAGE_SIZE;
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
      compactIfFragmented: (writebacks) => this.#compactIfFragmented(writebacks),
      lruOldest: (groupsOnly) => this.#groups.lruOldest(this.#entries, groupsOnly),
      lruRotate: (e) => this.#groups.lruRotate(this.#entries, e),
      groupWanted: () => this.#groups.wanted,
      writebackStarted: (e) => this.#groups.started(this.#entries, e),
      clock: this.#clock,
    };
  }

  /**
   * After writeback freed objects scattered over zspages, the pool may hold many half-empty
   * pages; compact when more than a quarter of its bytes are slack. Until then the pool stays
   * at its bound by the page count and writeback goes on taking entries, deeper than the room
   * it was asked for: so the slack is looked at every POOL_COMPACT_CHECK_WRITEBACKS writebacks
   * (a subtraction), and compaction itself runs when a quarter is slack, or when the slack alone
   * covers what reclaim still needs (else a pass writes back until a quarter is slack, several
   * times the room asked for: 200 entries for 8 pages on zipf under dip).
   */
  #compactIfFragmented(writebacks: number): void {
    this.#sinceCompact += writebacks;
    if (this.#sinceCompact < POOL_COMPACT_CHECK_WRITEBACKS) return;
    this.#sinceCompact = 0;
    const held = this.#pool.pagesUsed * PAGE_SIZE;
    const slack = held - this.#compressedBytes;
    const needed = held - this.#acceptPages() * PAGE_SIZE;
    if (slack > held / 4 || slack >= needed) this.#pool.compact();
  }

  // --- the store path (zswap_store) ---

  /**
   * Offers a page for (type, offset). Returns true when zswap took it, false when it declined
   * (exactly one reject counter moved). Either way any older entry at the slot is gone: its data
   * is stale once the page is swapped out again.
   */
  store(type: number, offset: number, page: Uint8Array): boolean {
    const reason = this.#store(type, offset, page);
    if (reason !== undefined) this.#reject(type, reason);
    return reason === undefined;
  }

  /**
   * store, for a page compressed on another thread: `length` bytes at the start of `compressed`,
   * made by codec `codecId` (storeCodecId) within storeLimitBytes, or 0 when they would not fit,
   * -1 when the codec failed. Counts and declines as store does.
   */
  storeCompressed(
    type: number,
    offset: number,
    page: Uint8Array,
    codecId: number,
    length: number,
    compressed: Uint8Array,
  ): boolean {
    const reason = this.#store(type, offset, page, codecId, length, compressed);
    if (reason !== undefined) this.#reject(type, reason);
    return reason === undefined;
  }

  /** The codec a store compresses with now, as compressorId numbers it. */
  get storeCodecId(): number {
    return this.#codecId;
  }

  /** The most bytes a compressed page may take (maxCompressionRatio of a page). */
  get storeLimitBytes(): number {
    return Math.floor((PAGE_SIZE * this.#config.maxCompressionRatio) / 100);
  }

  /**
   * The store path; returns why it declined, or undefined when it stored the page. The caller
   * counts the decline (#reject), or waits and tries again. With `compressed`, the page was
   * compressed already (storeCompressed): `length` and `codecId` say how.
   */
  #store(
    type: number,
    offset: number,
    page: Uint8Array,
    codecId = this.#codecId,
    length = 0,
    compressed?: Uint8Array,
  ): RejectReason | undefined {
    pageCheck(page);
    const area = this.#area(type);
    const off = Zswap.#slot(area, type, offset);
    const limited = this.#limitsCheck(type);
    const reason = this.#storePage(area, type, off, page, limited, codecId, length, compressed);
    if (reason === undefined) this.#stored(type, 1);
    return reason;
  }

  /** 1. The cheap rejects, once per store or folio: the group's bound, then the pool's. */
  #limitsCheck(type: number): RejectReason | undefined {
    if (!this.#groups.mayStore(type, 0)) {
      this.#writeback.kick();
      return "group_limit_hit";
    }
    return this.#poolLimited() ? "pool_limit_hit" : undefined;
  }

  /**
   * One page of a store at `off`, after the limits said `limited`: compress, drop the slot's old
   * entry, allocate, publish. Returns why it declined (the old entry gone all the same), counting
   * nothing: the caller counts the stored pages (#stored) or the decline.
   */
  #storePage(
    area: Area,
    type: number,
    off: SwapOffset,
    page: Uint8Array,
    limited: RejectReason | undefined,
    codecId = this.#codecId,
    length = 0,
    compressed?: Uint8Array,
  ): RejectReason | undefined {
    const t = this.#entries;
    area.backed.clear(off); // whatever writeback left on the device is stale now
    area.packed?.drop(off);

    // 2. The fallible work: compress (allocation comes after step 3).
    let reason = limited;
    if (reason === undefined && compressed === undefined) {
      try {
        length = this.#codecs.get(codecId).compress(page, this.#dst, this.storeLimitBytes);
      } catch {
        length = -1;
      }
    }
    if (reason === undefined && length <= 0 && this.#config.incompressible !== "store-raw") {
      reason = length === 0 ? "reject_compress_poor" : "reject_compress_fail";
    }
    const raw = reason === undefined && length <= 0;
    if (raw) length = PAGE_SIZE;
    if (reason === undefined && !this.#groups.mayStore(type, length)) {
      reason = "group_limit_hit";
      this.#writeback.kick();
    }

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

    // 4. Point of no return for this page: nothing below fails. Copy into the pool, publish.
    const bytes = this.#pool.map(handle);
    const src = raw ? page : (compressed?.subarray(0, length) ?? this.#dstView(length));
    bytes.set(src, this.#pool.mappedOffset);
    t.entryAlloc(e, type as SwapType, off, codecId, raw, tickNow(this.#clock));
    area.index.set(off, handle);
    if (this.#dip?.insertOldest()) t.lruAddOldest(e);
    else t.lruAdd(e);
    this.#dipOffered(type, off, undefined);
    this.#groups.charge(type, length, raw);
    this.#compressedBytes += length;
    return undefined;
  }

  /** `pages` pages of area `type` were stored, all of a store or a folio: count them. */
  #stored(type: number, pages: number): void {
    this.#counts.zswpout += pages;
    this.#groups.count(type, "zswpout", pages);
    if (this.#config.shrinkerEnabled) this.#writeback.kick();
  }

  // --- large folios (zswap_store of a folio) ---

  /**
   * Stores a large folio: `pages` (FOLIO_PAGES_MIN..FOLIO_PAGES_MAX of them, a power of two) at
   * offsets `offset`, offset + 1, ... of area `type`, `offset` a multiple of their number, as
   * the kernel's swap entries of a folio are. All or none: true when every page is stored
   * (zswpout moves by the pages, and the folio size's mTHP zswpout by one); false when one page
   * was declined (exactly one reject counter moved, for it), and then no page of the folio is
   * stored. Either way the offsets' older entries are gone, as with store. Bad input is a typed
   * error, nothing changed.
   */
  storeFolio(type: number, offset: number, pages: readonly Uint8Array[]): boolean {
    const n = folioCheck(pages);
    const area = this.#area(type);
    const off = Zswap.#slot(area, type, offset);
    Zswap.#slot(area, type, offset + n - 1);
    if (off % n !== 0) {
      throw new ZswapOffsetError(`a folio of ${n} pages starts at a multiple of ${n}, not ${off}`);
    }
    const limited = this.#limitsCheck(type);
    let reason: RejectReason | undefined;
    let i = 0;
    for (; i < n && reason === undefined; i++) {
      reason = this.#storePage(area, type, (off + i) as SwapOffset, pages[i], limited);
    }
    if (reason === undefined) {
      this.#stored(type, n);
      this.#mthp.count(n, "zswpout");
      return true;
    }
    // Undo in one place: the pages stored before the one declined, then the stale entries of
    // the pages not reached (zswap_store's put_pool: the folio's slots hold nothing of it).
    for (let j = 0; j < n; j++) {
      const at = (off + j) as SwapOffset;
      if (j >= i) area.backed.clear(at);
      if (area.index.get(at) !== 0) this.#entryErase(area, at);
    }
    this.#reject(type, reason);
    return false;
  }

  /** Large folios stored whole, by size (the kernel's mTHP zswpout). */
  folioStats(): MthpStats {
    return this.#mthp.snapshot();
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
  #reject(type: number, reason: RejectReason): void {
    this.#counts[reason]++;
    if (reason === "group_limit_hit") this.#groups.count(type, reason);
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
    // Bad input is the caller's error now, not a decline counted once the wait is over.
    pageCheck(page);
    Zswap.#slot(this.#area(type), type, offset);
    if (typeof waitMs !== "number" || !(waitMs >= 0 && waitMs <= ROOM_WAIT_MS_MAX))
      optionBad(`waitMs must be in 0..${ROOM_WAIT_MS_MAX}, got ${waitMs}`);
    const deadline = this.#clock.now() + waitMs;
    let waited = false;
    for (;;) {
      while (this.#writeback.waiting > 0 || !this.#poolAccepts()) {
        const left = deadline - this.#clock.now();
        if (left <= 0 || !(await this.#writeback.waitForRoom(left))) {
          this.#area(type); // an area swapped off meanwhile is the caller's error, not a decline
          this.#reject(type, "reject_reclaim_fail");
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
        this.#reject(type, reason);
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
    const h = this.#loadLookup(area, type, off, exclusive);
    if (h === 0) return false;
    this.#pageRead(h, into);
    const e = this.#pool.mappedTag as EntryIndex;
    this.#loadHit(type, e, !exclusive);
    if (exclusive) {
      area.index.erase(off);
      this.#entryDrop(h, e);
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

  /** The pool object stored at (type, off), or 0 on a miss, with a miss's counts. */
  #loadLookup(area: Area, type: number, off: SwapOffset, exclusive: boolean): Handle {
    this.#dip?.loaded(slotKey(type, off), exclusive);
    const h = area.index.get(off);
    if (h === 0) {
      this.#groups.missed(type);
      if (area.backed.has(off)) this.#counts.bd_reads++; // the caller reads it from the device
    }
    return h;
  }

  /** A hit's counts; an entry that stays is referenced and accessed now. */
  #loadHit(type: number, e: EntryIndex, stays: boolean): void {
    this.#counts.zswpin++;
    this.#groups.count(type, "zswpin");
    if (!stays) return;
    this.#entries.flags[e] |= REFERENCED;
    entryAccessed(this.#entries, e, tickNow(this.#clock));
  }

  /**
   * load, for a page decompressed on another thread: copies the bytes stored for (type, offset)
   * to the start of `into` (PAGE_SIZE bytes or more) and returns codec id * LOADED_CODEC_STEP +
   * their length (LOADED_RAW for a page stored raw), or -1 on a miss. The entry stays, as in a
   * non-exclusive load: the caller invalidates it when it wants it gone, and reports data that
   * does not decompress to a page with decompressFailed.
   */
  loadCompressed(type: number, offset: number, into: Uint8Array): number {
    const area = this.#area(type);
    const off = Zswap.#slot(area, type, offset);
    const h = this.#loadLookup(area, type, off, false);
    if (h === 0) return -1;
    const t = this.#entries;
    const bytes = this.#pool.map(h);
    const e = this.#pool.mappedTag as EntryIndex;
    const at = this.#pool.mappedOffset;
    const raw = (t.flags[e] & RAW) !== 0;
    const length = raw ? PAGE_SIZE : this.#pool.mappedLength;
    into.set(bytes.subarray(at, at + length));
    this.#loadHit(type, e, true);
    return (raw ? LOADED_RAW : t.codec[e]! & CODEC_ID_MASK) * LOADED_CODEC_STEP + length;
  }

  /**
   * Decompresses into `into` the bytes loadCompressed copied for (type, offset), made by codec
   * `codec`, on this thread (a codec with a dictionary, which codec threads do not have).
   */
  decompressLoaded(
    type: number,
    offset: number,
    codec: number,
    bytes: Uint8Array,
    into: Uint8Array,
  ): void {
    const produced = this.#codecs.get(codec).decompress(bytes, 0, bytes.length, into);
    if (produced !== PAGE_SIZE) throw this.decompressFailed(type, offset, produced);
  }

  /** The error for a page of (type, offset) that decompressed elsewhere to `produced` bytes. */
  decompressFailed(type: number, offset: number, produced: number): ZswapDataError {
    this.#counts.decompress_fail++;
    return new ZswapDataError(
      `entry at swap ${type}:${offset} decompressed to ${produced} bytes, not a page`,
    );
  }

  /** Drops whatever is stored at (type, offset); the slot was freed. */
  invalidate(type: number, offset: number): void {
    const area = this.#area(type);
    const off = Zswap.#slot(area, type, offset);
    this.#dip?.forgotten(slotKey(type, off));
    area.backed.clear(off);
    area.packed?.drop(off);
    if (area.index.get(off) !== 0) this.#entryErase(area, off);
  }

  /**
   * Opens swap area `type` with `slots` slots, in group `group` (the root by default; see
   * groupAdd). With a device, writeback may move this area's pages to their slots on it; without
   * one, they stay until loaded or invalidated.
   */
  swapon(type: number, slots: number, device?: SwapDevice, group = GROUP_ROOT): void {
    Zswap.#typeCheck(type);
    this.#groups.idOf(group);
    if (!Number.isInteger(slots) || slots < 1 || slots > AREA_SLOTS_MAX) {
      throw new ZswapOptionError(`slots must be an integer in 1..${AREA_SLOTS_MAX}, got ${slots}`);
    }
    if (device !== undefined) deviceCheck(device);
    if (device !== undefined && device.slots < slots) {
      throw new ZswapOptionError(
        `the device holds ${device.slots} slots, fewer than the area's ${slots}`,
      );
    }
    if (this.#areas[type] !== undefined) {
      throw new ZswapAreaError(`swap area ${type} is already on`);
    }
    this.#areas[type] = {
      index: new AreaIndex(slots),
      device,
      backed: new BackedSlots(slots),
      packed: this.#packedMake(slots, device),
    };
    this.#groups.attach(type, group);
    if (device !== undefined) this.#writebackAreas++;
  }

  /**
   * @internal Area `type`'s writebacks decompress through `decompress` from now (a swap space
   * gives its codec threads), or on the caller's thread again with undefined.
   */
  decompressOffThread(type: number, decompress: OffThreadDecompress | undefined): void {
    const area = this.#area(type);
    area.decompressOff = decompress;
  }

  /** With compressed writeback on, the packed region of an area of `slots` slots on `device`. */
  #packedMake(slots: number, device: SwapDevice | undefined): PackedArea | undefined {
    if (!this.#config.compressedWriteback || device === undefined) return undefined;
    if (device.slots - slots < PACKED_BLOCK_PAGES) {
      throw new ZswapOptionError(
        `compressedWriteback needs a device at least ${PACKED_BLOCK_PAGES} slots larger than the area (${slots} slots) for its packed blocks; the device holds ${device.slots}`,
      );
    }
    return new PackedArea(device, slots);
  }

  /**
   * Reads the page compressed writeback packed for (type, offset) from its block on the device
   * into `into`, and resolves true; false when the slot has no packed page (read it from its own
   * slot). Rejects with the device's ZswapIOError, or ZswapDataError (decompress_fail) when its
   * bytes do not decompress to a page; the slot keeps its page either way.
   */
  loadPacked(type: number, offset: number, into: Uint8Array): Promise<boolean> {
    pageCheck(into);
    const area = this.#area(type);
    const off = Zswap.#slot(area, type, offset);
    if (area.packed === undefined) return Promise.resolve(false);
    return area.packed.read(
      off,
      into,
      (codec, bytes, from, to, page) => this.#codecs.get(codec).decompress(bytes, from, to, page),
      (produced) => this.decompressFailed(type, off, produced),
    );
  }

  /** Closes swap area `type`, dropping every entry it holds; writebacks in flight are orphaned. */
  swapoff(type: number): void {
    const area = this.#area(type);
    area.index.forEach((_off, h) => {
      this.#pool.map(h);
      this.#entryDrop(h, this.#pool.mappedTag as EntryIndex);
    });
    this.#areas[type] = undefined;
    this.#groups.detach(type);
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
    if (next.compressedWriteback !== this.#config.compressedWriteback) {
      throw new ZswapOptionError("compressedWriteback is fixed at construction");
    }
    // The codecs in use keep their ids until the point of no return: a refusal changes nothing.
    const keep = [this.#codecId, ...this.#recompressor.ids];
    const id = this.#codecLoad(next, keep);
    const recompressor = this.#recompressorMake(next, [...keep, id]);
    const old = this.#config;
    const policyKept =
      next.writebackPolicy === old.writebackPolicy && next.poolPagesMax === old.poolPagesMax;
    const dip = policyKept ? this.#dip : this.#dipMake(next);
    // Point of no return: next is whole and valid, its codec loaded, its policy made.
    this.#config = next;
    this.#codecId = id;
    this.#recompressor = recompressor;
    this.#dip = dip;
    this.#pool.pagesMax = Math.max(1, next.poolPagesMax) as PageCount;
    this.#writeback.kick();
  }

  // --- groups (memory cgroups' zswap files) ---

  /** Makes group `name` for areas to join at swapon (memory.zswap.max, memory.zswap.writeback). */
  groupAdd(name: string, options: ZswapGroupOptions = {}): void {
    this.#groups.add(name, options);
  }

  /** Changes a group's bound or writeback switch at run time, all or nothing. */
  groupConfigure(name: string, options: ZswapGroupOptions): void {
    this.#groups.configure(name, options);
    this.#writeback.kick();
  }

  /** The groups' names, the root first. */
  get groupNames(): string[] {
    return this.#groups.names;
  }

  /** A snapshot of a group's counters and gauges (memory.stat's zswap lines, the cgroup files). */
  groupStats(name: string): ZswapGroupStats {
    return this.#groups.stats(name);
  }

  /**
   * Whether area `type`'s pages may go to its device (mem_cgroup_zswap_writeback_enabled): its
   * group's switch. When not, the swap layer keeps a page zswap declined off the device too.
   */
  writebackEnabled(type: number): boolean {
    this.#area(type);
    return this.#groups.writebackOn(type);
  }

  // --- zram's tools: idle tracking, on-demand writeback, recompression ---

  /**
   * Marks idle every stored page, or those not stored or loaded for at least `olderThanMs` (zram's
   * `idle` file: "all", or seconds); an access clears the mark. Returns the pages marked idle now.
   */
  markIdle(options: { olderThanMs?: number } = {}): number {
    optionsKnownCheck(options, MARK_IDLE_OPTIONS);
    return idleMark(this.#entries, tickNow(this.#clock), options.olderThanMs);
  }

  /**
   * Writes the stored pages of `type` to their slots on the device now (zram's `writeback`), at
   * most `maxPages` of them and, with writebackLimitEnable on, within the budget
   * writebackLimitSet gave. Resolves with the pages the device holds now. Pages of areas without
   * a device stay.
   */
  async writebackNow(options: { type: WritebackType; maxPages?: number }): Promise<number> {
    optionsKnownCheck(options, WRITEBACK_NOW_OPTIONS);
    const type = options.type;
    if (!WRITEBACK_TYPES.includes(type)) {
      optionBad(`type must be one of ${WRITEBACK_TYPES.join(", ")}, got ${String(type)}`);
    }
    const pagesMax = pagesBound("maxPages", options.maxPages);
    if (this.#writebackAreas === 0) optionBad("no swap area has a device to write back to");
    return writebackNowRun(this.#writeback, this.#entries, type, pagesMax, this.#budget());
  }

  /** The writeback budget, charged only while writebackLimitEnable is on. */
  #budget(): WritebackBudget {
    return {
      take: () => {
        if (!this.#config.writebackLimitEnable) return true;
        if (this.#writebackLimitPages <= 0) return false;
        this.#writebackLimitPages--;
        return true;
      },
      refund: () => {
        if (this.#config.writebackLimitEnable) this.#writebackLimitPages++;
      },
    };
  }

  /** Sets the pages writebackNow may write while writebackLimitEnable is on (zram's writeback_limit). */
  writebackLimitSet(pages: number): void {
    this.#writebackLimitPages = pagesBound("pages", pages);
  }

  /**
   * Compresses stored pages again with the `recompressors`, in priority order (zram's
   * `recompress`): pages of `type` ("all" by default), of at least `threshold` bytes, at most
   * `maxPages` of them. A page is replaced only when a recompressor puts it in a smaller size
   * class (and below the threshold, when one is given); one none of them shrinks is marked
   * incompressible, and not tried again.
   */
  recompress(
    options: { type?: RecompressType; threshold?: number; maxPages?: number } = {},
  ): RecompressResult {
    optionsKnownCheck(options, RECOMPRESS_OPTIONS);
    const type = options.type ?? "all";
    if (!RECOMPRESS_TYPES.includes(type)) {
      optionBad(`type must be one of ${RECOMPRESS_TYPES.join(", ")}, got ${String(type)}`);
    }
    const threshold = options.threshold ?? 0;
    if (!Number.isInteger(threshold) || threshold < 0 || threshold > PAGE_SIZE) {
      optionBad(`threshold must be a whole number of bytes in 0..${PAGE_SIZE}, got ${threshold}`);
    }
    const pagesMax = pagesBound("maxPages", options.maxPages);
    const r = this.#recompressor.run(this.#recompressHost(), { type, threshold, pagesMax });
    this.#counts.recomp_pages += r.recompressed;
    this.#counts.recomp_saved_bytes += r.savedBytes;
    this.#counts.recomp_incompressible += r.incompressible;
    // The old objects' holes are scattered over zspages: until compacted, the pool holds about
    // as many pages as before (a quarter slack, writeback's trigger, left a seventh of the gain).
    if (r.recompressed > 0) this.#pool.compact();
    return r;
  }

  #recompressHost(): RecompressHost {
    return {
      entries: this.#entries,
      pool: this.#pool,
      handleOf: (e) => this.#handleOf(e),
      entryRead: (e, into) => this.#pageRead(this.#handleOf(e), into),
      entryReplace: (e, from, to, codec) => {
        const t = this.#entries;
        const newLength = this.#pool.lengthOf(to);
        this.#pool.map(from);
        const delta = newLength - this.#pool.mappedLength;
        this.#compressedBytes += delta;
        this.#pool.free(from);
        this.#areas[t.type[e]]!.index.set(t.offset[e] as SwapOffset, to);
        t.codec[e] = codec;
        const wasRaw = (t.flags[e]! & RAW) !== 0;
        this.#groups.recharge(t.type[e]!, delta, wasRaw);
        if (wasRaw) {
          t.flags[e] &= ~RAW;
          t.countRaw--;
        }
      },
    };
  }

  get options(): Readonly<ZswapConfig> {
    const copy = (p: CompressorParams) =>
      p.dictionary === undefined ? {} : { dictionary: p.dictionary.slice() };
    return {
      ...this.#config,
      compressorParams: copy(this.#config.compressorParams),
      recompressorParams: copy(this.#config.recompressorParams),
    };
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
    let backed = 0;
    let packedPages = 0;
    let packedBlocks = 0;
    for (const a of this.#areas) {
      if (a === undefined) continue;
      metadata += a.index.bytes + a.backed.bytes + (a.packed?.bytes ?? 0);
      backed += a.backed.count;
      packedPages += a.packed?.pages ?? 0;
      packedBlocks += a.packed?.blocksHeld ?? 0;
    }
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
      bd_count: backed,
      bd_packed_pages: packedPages,
      bd_packed_blocks: packedBlocks,
      writeback_limit: this.#writebackLimitPages,
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
