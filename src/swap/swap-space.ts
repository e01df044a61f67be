// SwapSpace: what applications use. Swap a page out, get a slot; swap the slot in, get the page
// back; free the slot. Zero-filled pages stay a bit in the swap map, other same-filled pages a
// value in a side table (same-filled.ts); with dedup on, a page identical to one stored already
// refers to it (dedup.ts); other pages go to zswap first and to the device when zswap declines;
// writeback moves zswap's oldest pages to the device.
//
// Slot lifetime (the swap cache's job in the kernel):
//   1. a slot is taken by swapOut and given back by free (or swapIn with `free`);
//   2. a slot with device I/O in flight (a write, a read, a writeback) is never handed out again
//      until that I/O settles, so an old write can never land on a new owner's page;
//   3. close() waits for every I/O in flight before it closes the device.
//
// Swap-outs to the device write behind (swap-cache.ts): the page is copied and the swap-out
// returns; the write lands later, and until then the slot reads from the copy. When every
// write-behind buffer holds a page whose write failed, a swap-out writes through instead, and
// rejects when its write fails, as it did before there was write-behind.

import os from "node:os";
import { assert } from "../assert.ts";
import { type Clock, clockCheck } from "../clock.ts";
import {
  type CodecThreads,
  OP_COMPRESS,
  OP_DECOMPRESS,
  RESULT_THREAD_DIED,
  RESULT_ZERO_PAGE,
} from "../compress/index.ts";
import {
  CODEC_JOBS_MAX,
  CODEC_THREADS_MAX,
  PAGE_SIZE,
  ROOM_WAIT_MS_DEFAULT,
  ROOM_WAIT_MS_MAX,
  SLOT_WAITERS_MAX,
  SWAP_AREAS_MAX,
  SWAP_BATCH_PAGES_MAX,
  SWAP_WRITES_BEHIND_MAX,
} from "../constants.ts";
import { deviceCheck, FileDevice, type SwapDevice } from "../device/index.ts";
import {
  folioCheck,
  optionBad,
  optionsKnownCheck,
  pageCheck,
  ZswapBusyError,
  ZswapClosedError,
  ZswapFullError,
  ZswapSlotError,
} from "../errors.ts";
import {
  type Counts,
  countsNew,
  MthpCounts,
  type MthpStats,
  mthpSum,
  SWAP_COUNTERS,
  type SwapCounterName,
  type SwapGaugeName,
} from "../stats/index.ts";
import type { Brand, SwapOffset } from "../types.ts";
import {
  codecIdPlain,
  LOADED_CODEC_STEP,
  LOADED_RAW,
  type OffThreadDecompress,
  packedRegionSlots,
  Zswap,
  type ZswapOptions,
  type ZswapStats,
} from "../zswap/index.ts";
import { BusySlots } from "./busy-slots.ts";
import { Dedup } from "./dedup.ts";
import { isSameFilled, isZeroValue, SameFilled } from "./same-filled.ts";
import { SlotMap } from "./slot-map.ts";
import { SwapCache } from "./swap-cache.ts";
import { JOB_LATER, SHARES_COMPRESS, SHARES_DECOMPRESS, SwapThreads } from "./swap-threads.ts";

/** A swapped-out page's place; valid from swapOut until free. */
export type SwapSlot = Brand<number, "SwapSlot">;

/** Where a swap-in found its page: the swap map's zero bit or same value, zswap, or the device. */
export type SwapInSource = "zero" | "same" | "cache" | "zswap" | "device";

export interface SwapSpaceOptions {
  /** Pages the space holds: the number of slots. */
  slots: number;
  /** The backing device; by default a swap file is created (see path, direct). */
  device?: SwapDevice;
  /**
   * The swap file to create (exclusively, mode 0600, unlinked once open); by default an unnamed
   * file in `folder`. See FileDeviceOptions.
   */
  path?: string;
  /** Allow `path` to be an existing regular file you own (kept on close). */
  reuse?: boolean;
  /** The folder of the default, unnamed swap file (default os.tmpdir()). */
  folder?: string;
  /** Open the swap file with O_DIRECT, bypassing the OS page cache (Linux). */
  direct?: boolean;
  /** The clock of the Zswap this space makes from options (default real time); see ZswapDeps. */
  clock?: Clock;
  /** zswap's options, a Zswap to share with other spaces, or false for no zswap (disk only). */
  zswap?: ZswapOptions | Zswap | false;
  /** This space's area number in the Zswap (0..31); needed to share one Zswap. Default 0. */
  type?: number;
  /**
   * The Zswap group this space joins (made with zswap.groupAdd; default the root): its bound on
   * zswap bytes, its writeback switch and its counters. With the group's writeback off, a page
   * zswap declines is not written to the device either: swapOut fails with ZSWAP_E_FULL.
   */
  group?: string;
  /** Let zswap write its oldest pages back to the device (default true). */
  writeback?: boolean;
  /**
   * When zswap is full: `reject` sends the page to the device at once (today's kernel);
   * `wait` waits up to waitMs for writeback to make room (the waitqueue the 2013 writeback patch's review asked for).
   */
  whenFull?: "reject" | "wait";
  /** Bound on one swap-out's wait for room, in ms (default ROOM_WAIT_MS_DEFAULT). */
  waitMs?: number;
  /**
   * Store identical pages once (default false): a swap-out equal to a page stored already, byte
   * for byte, refers to it. Costs 13 bytes a slot and a hash of every page swapped out.
   */
  dedup?: boolean;
  /**
   * Codec threads that compress and decompress zswap's pages off the caller's thread, 0 for
   * none (default: the machine's cores, os.availableParallelism(), at most CODEC_THREADS_MAX).
   * Started at the first swap that finds another in flight; a call alone runs on its own thread.
   * A dedup space runs every swap on the caller's thread (its lookups and sharing live there).
   */
  threads?: number;
}

/** The keys of SwapSpaceOptions (all of them, or this does not type-check): any other is a typo. */
const SWAP_SPACE_OPTIONS: Readonly<Record<keyof SwapSpaceOptions, true>> = {
  slots: true,
  device: true,
  path: true,
  reuse: true,
  folder: true,
  direct: true,
  clock: true,
  zswap: true,
  type: true,
  group: true,
  writeback: true,
  whenFull: true,
  waitMs: true,
  dedup: true,
  threads: true,
};
const SWAP_SPACE_KEYS: ReadonlySet<string> = new Set(Object.keys(SWAP_SPACE_OPTIONS));
const SWAP_IN_OPTIONS: ReadonlySet<string> = new Set(["free"]);

/** Gauges of the swap space itself: SWAP_GAUGES says what each holds. */
export type SwapGauges = Counts<SwapGaugeName>;

/** The space's own counters and gauges, and its Zswap's stats (absent without zswap). */
export type SwapSpaceStats = Readonly<Counts<SwapCounterName> & Partial<ZswapStats> & SwapGauges>;

export class SwapSpace {
  readonly zswap: Zswap | undefined;
  readonly #counts = countsNew(SWAP_COUNTERS);
  readonly #mthp = new MthpCounts();
  readonly #slotMap: SlotMap;
  readonly #same: SameFilled;
  readonly #dedup: Dedup | undefined;
  /** A stored page read back for dedup's byte-for-byte check. */
  readonly #dedupPage = new Uint8Array(PAGE_SIZE);
  readonly #cache = new SwapCache(SWAP_WRITES_BEHIND_MAX);
  /** Swap-outs waiting for a write-behind buffer. */
  readonly #bufferWaiters: (() => void)[] = [];
  /** Device I/O in flight per slot. */
  readonly #busy: BusySlots;
  #ioCount = 0;
  readonly #idle: (() => void)[] = [];
  /** Swap-outs waiting for a free slot whose I/O is still settling, first come first served. */
  readonly #slotWaiters: (() => void)[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;

  readonly #ownsDevice: boolean;
  readonly #ownsZswap: boolean;
  readonly #whenFull: "reject" | "wait";
  readonly #waitMs: number;
  /** The codec threads' side of swap-out and swap-in; undefined without zswap or threads. */
  readonly #threads: SwapThreads | undefined;

  private constructor(
    readonly device: SwapDevice,
    ownsDevice: boolean,
    zswap: Zswap | undefined,
    ownsZswap: boolean,
    readonly type: number,
    whenFull: "reject" | "wait",
    waitMs: number,
    slots: number,
    dedup: boolean,
    threads: number,
  ) {
    this.zswap = zswap;
    // dedup's lookups and sharing run on this thread: a dedup space swaps inline.
    const threaded = zswap !== undefined && threads > 0 && !dedup;
    this.#threads = threaded ? new SwapThreads(threads) : undefined;
    this.#ownsDevice = ownsDevice;
    this.#ownsZswap = ownsZswap;
    this.#whenFull = whenFull;
    this.#waitMs = waitMs;
    this.#slotMap = new SlotMap(slots);
    this.#busy = new BusySlots(slots);
    this.#same = new SameFilled(slots);
    this.#dedup = dedup ? new Dedup(slots) : undefined;
  }

  /** Opens a swap space; bad options are ZswapArgumentError, nothing is created. */
  static async open(opts: SwapSpaceOptions): Promise<SwapSpace> {
    const o = SwapSpace.#optionsCheck(opts);
    const zswap =
      o.zswap instanceof Zswap
        ? o.zswap
        : o.zswap === false
          ? undefined
          : new Zswap(o.zswap ?? {}, { clock: o.clock });
    const { path, reuse, folder, direct } = o;
    // Compressed writeback packs pages into blocks after the slots.
    const packed = zswap?.options.compressedWriteback === true && o.writeback !== false;
    const slots = o.slots + (packed ? packedRegionSlots(o.slots) : 0);
    const device = o.device ?? (await FileDevice.open({ slots, path, reuse, folder, direct }));
    const space = new SwapSpace(
      device,
      o.device === undefined,
      zswap,
      !(o.zswap instanceof Zswap),
      o.type ?? 0,
      o.whenFull ?? "reject",
      o.waitMs ?? ROOM_WAIT_MS_DEFAULT,
      o.slots,
      o.dedup ?? false,
      o.threads ?? Math.min(os.availableParallelism(), CODEC_THREADS_MAX),
    );
    try {
      zswap?.swapon(
        space.type,
        o.slots,
        (o.writeback ?? true) ? space.#trackedDevice() : undefined,
        o.group,
      );
      if (space.#threads !== undefined) {
        zswap?.decompressOffThread(space.type, space.#writebackDecompress);
      }
    } catch (err) {
      if (space.#ownsDevice) await device.close();
      throw err;
    }
    return space;
  }

  static #optionsCheck(opts: SwapSpaceOptions): SwapSpaceOptions {
    optionsKnownCheck(opts, SWAP_SPACE_KEYS);
    if (opts.writeback !== undefined && typeof opts.writeback !== "boolean")
      optionBad(`writeback must be a boolean, got ${String(opts.writeback)}`);
    if (opts.zswap === null) optionBad("zswap must be options, a Zswap or false, got null");
    if (!Number.isInteger(opts.slots) || opts.slots < 1)
      optionBad(`slots must be an integer >= 1, got ${opts.slots}`);
    if (opts.device !== undefined) deviceCheck(opts.device);
    if (opts.clock !== undefined) clockCheck(opts.clock);
    if (opts.device !== undefined && opts.device.slots < opts.slots) {
      optionBad(`the device holds ${opts.device.slots} slots, fewer than ${opts.slots}`);
    }
    const fileOptions = [opts.path, opts.reuse, opts.folder, opts.direct];
    if (opts.device !== undefined && fileOptions.some((v) => v !== undefined)) {
      optionBad("path, reuse, folder and direct are for the swap file; give them or a device");
    }
    const type = opts.type ?? 0;
    if (!Number.isInteger(type) || type < 0 || type >= SWAP_AREAS_MAX)
      optionBad(`type must be in 0..${SWAP_AREAS_MAX - 1}`);
    if (opts.whenFull !== undefined && opts.whenFull !== "reject" && opts.whenFull !== "wait") {
      optionBad(`whenFull must be "reject" or "wait", got ${String(opts.whenFull)}`);
    }
    if (opts.clock !== undefined && opts.zswap instanceof Zswap) {
      optionBad(
        "clock is for the Zswap made from options; a shared one has its own (new Zswap(options, { clock }))",
      );
    }
    if (opts.group !== undefined && !(opts.zswap instanceof Zswap)) {
      optionBad("group names a group of a shared Zswap: give the Zswap as the zswap option");
    }
    if (opts.whenFull === "wait" && (opts.writeback === false || opts.zswap === false)) {
      optionBad('whenFull "wait" needs zswap with writeback: nothing else makes room');
    }
    const waitMs = opts.waitMs ?? ROOM_WAIT_MS_DEFAULT;
    if (typeof waitMs !== "number" || !(waitMs >= 0 && waitMs <= ROOM_WAIT_MS_MAX))
      optionBad(`waitMs must be in 0..${ROOM_WAIT_MS_MAX}, got ${waitMs}`);
    if (opts.dedup !== undefined && typeof opts.dedup !== "boolean")
      optionBad("dedup must be a boolean");
    const threads = opts.threads ?? 0;
    if (!Number.isInteger(threads) || threads < 0 || threads > CODEC_THREADS_MAX)
      optionBad(`threads must be an integer in 0..${CODEC_THREADS_MAX}, got ${opts.threads}`);
    return opts;
  }

  // --- I/O tracking: the part of the swap cache that keeps slots from reuse ---

  #io<T>(slot: number, op: () => Promise<T>): Promise<T> {
    this.#ioBegin(slot);
    let p: Promise<T>;
    try {
      p = op();
    } catch (err) {
      this.#ioEnd(slot);
      return Promise.reject(err);
    }
    return p.then(
      (value) => {
        this.#ioEnd(slot);
        return value;
      },
      (err) => {
        this.#ioEnd(slot);
        throw err;
      },
    );
  }

  /** I/O on `slot` starts: #io's first half, for I/O that ends without a promise of its own. */
  #ioBegin(slot: number): void {
    this.#busy.add(slot);
    this.#ioCount++;
  }

  #ioEnd(slot: number): void {
    if (this.#busy.drop(slot) && !this.#slotMap.isUsed(slot)) this.#slotWaiters.shift()?.();
    if (--this.#ioCount === 0) for (const fn of this.#idle.splice(0)) fn();
  }

  /** The device as writeback sees it: the same, with its I/O tracked per slot. */
  #trackedDevice(): SwapDevice {
    const d = this.device;
    return {
      slots: d.slots,
      describe: d.describe,
      read: (slot, into) => this.#io(slot, () => d.read(slot, into)),
      write: (slot, page) => this.#io(slot, () => d.write(slot, page)),
      close: () => Promise.resolve(),
    };
  }

  // --- checks ---

  #openCheck(): void {
    if (this.#closed) throw new ZswapClosedError("the swap space is closed");
  }

  #slotCheck(slot: number): SwapOffset {
    if (
      !Number.isInteger(slot) ||
      slot < 0 ||
      slot >= this.#slotMap.slots ||
      !this.#slotMap.isUsed(slot) ||
      this.#dedup?.isHeld(slot)
    ) {
      throw new ZswapSlotError(`slot ${slot} is not in use in this swap space`);
    }
    return slot as SwapOffset;
  }

  // --- the API ---

  /**
   * Swaps a page out and returns its slot. The page must not change until the promise settles.
   * Rejects with ZSWAP_E_FULL when no slot is free, ZswapIOError when the device write failed
   * (the slot is then given back; the caller still has its page).
   */
  swapOut(page: Uint8Array): Promise<SwapSlot> {
    return this.#swapOut(page, false);
  }

  async #swapOut(page: Uint8Array, batch: boolean): Promise<SwapSlot> {
    pageCheck(page);
    this.#openCheck();
    let slot = this.#slotAlloc();
    if (slot < 0) slot = await this.#slotWait();
    if (this.#sameStore(slot, page)) return slot as SwapSlot;
    const job = this.#outJob(batch);
    if (job >= 0) return this.#io(slot, () => this.#swapOutThreaded(slot as SwapOffset, page, job));
    if (job === JOB_LATER) {
      const threads = this.#threads!;
      return this.#io(slot, () =>
        threads.later(SHARES_COMPRESS, true, (job) => {
          if (this.#closed) {
            if (job >= 0) threads.untake(job);
            this.#slotRelease(slot);
            this.#openCheck(); // closed while it waited: zswap's area is gone
          }
          return job >= 0
            ? this.#swapOutThreaded(slot as SwapOffset, page, job)
            : this.#swapOutHere(slot, page);
        }),
      );
    }
    return this.#swapOutHere(slot, page);
  }

  /** The rest of a swap-out into `slot`, on the caller's thread; the slot is given back on failure. */
  async #swapOutHere(slot: number, page: Uint8Array): Promise<SwapSlot> {
    const hash = this.#dedup?.hash(page) ?? 0;
    try {
      if (this.#dedup !== undefined) {
        if (await this.#dedupStore(slot, page, hash)) return slot as SwapSlot;
        this.#openCheck(); // an await: closed meanwhile, zswap's area is gone
      }
      if (this.zswap === undefined || !(await this.#zswapStore(this.zswap, slot, page))) {
        await this.#swapOutDevice(slot as SwapOffset, page);
      }
      this.#dedup?.index(slot, hash);
      return slot as SwapSlot;
    } catch (err) {
      this.#slotRelease(slot);
      throw err;
    }
  }

  /** Keeps a same-filled page as a bit (zero) or its value, in `slot`; false for other pages. */
  #sameStore(slot: number, page: Uint8Array): boolean {
    if (!isSameFilled(page)) return false;
    if (isZeroValue(page)) {
      this.#slotMap.zeroSet(slot, true);
      this.#counts.swpout_zero++;
    } else {
      this.#same.set(slot, page);
      this.#counts.swpout_same++;
    }
    return true;
  }

  /**
   * With dedup on: makes `slot` refer to a stored page equal to `page`, and true; false when
   * none is found. The stored page is read back and compared byte for byte: from the swap cache
   * or zswap at once, else from the device (a read that saves a write and the storage).
   */
  async #dedupStore(slot: number, page: Uint8Array, hash: number): Promise<boolean> {
    const d = this.#dedup;
    const c = d?.candidate(hash) ?? -1;
    if (d === undefined || c < 0) return false;
    let copy = this.#dedupPage;
    let bytes: number = PAGE_SIZE; // a device page, for a copy still in the swap cache
    if (!this.#cache.read(c as SwapOffset, copy)) {
      try {
        bytes = this.zswap?.peek(this.type, c, copy) ?? 0;
      } catch {
        return false; // its data no longer decompresses: decompress_fail moved, no dedup
      }
    }
    if (bytes === 0) {
      // On the device: read into a buffer of this call's own, since others may run meanwhile.
      copy = new Uint8Array(PAGE_SIZE);
      bytes = PAGE_SIZE;
      this.#counts.dedup_reads++;
      const read = await this.#io(c, () => this.#deviceRead(c as SwapOffset, copy)).then(
        () => true,
        () => false, // a failed read costs the dedup only
      );
      // Freed and dropped while it was read: no longer a page anyone stores.
      if (!read || this.#closed || d.candidate(hash) !== c) return false;
    }
    if (Buffer.compare(copy, page) !== 0) return false;
    d.share(slot, c);
    this.#counts.dedup_pages_saved++;
    this.#counts.dedup_bytes_saved += bytes;
    return true;
  }

  /**
   * A codec thread's job slot for a swap-out, or -1 to store inline: under `wait` (storeWait
   * waits here), and while zswap's codec has a dictionary (a codec thread makes codecs by name).
   */
  #outJob(batch: boolean): number {
    const z = this.zswap;
    if (z === undefined || this.#whenFull !== "reject" || !codecIdPlain(z.storeCodecId)) return -1;
    return this.#threads?.take(batch) ?? -1;
  }

  async #swapOutDevice(slot: SwapOffset, page: Uint8Array): Promise<SwapSlot> {
    this.#openCheck();
    if (this.zswap?.writebackEnabled(this.type) === false) {
      throw new ZswapFullError(
        "zswap declined the page and the group's writeback is off: the caller keeps it",
      );
    }
    await this.#deviceWrite(slot, page);
    this.#counts.pswpout++;
    return slot as number as SwapSlot;
  }

  /**
   * swapOut with the page compressed by a codec thread (job slot `job`), which also says when it
   * is all zeros; the store itself happens here, when the job is called back, in call order.
   */
  async #swapOutThreaded(slot: SwapOffset, page: Uint8Array, job: number): Promise<SwapSlot> {
    const z = this.zswap!;
    const threads = this.#threads!;
    threads.input(job).set(page);
    const codec = z.storeCodecId;
    try {
      return await threads.run(job, OP_COMPRESS, codec, z.storeLimitBytes, (length, out) => {
        this.#openCheck();
        if (length === RESULT_ZERO_PAGE) {
          this.#counts.swpout_zero++;
          this.#slotMap.zeroSet(slot, true);
          return slot as number as SwapSlot;
        }
        if (z.storeCompressed(this.type, slot, page, codec, length, out)) {
          return slot as number as SwapSlot;
        }
        return this.#swapOutDevice(slot, page);
      });
    } catch (err) {
      this.#slotRelease(slot);
      throw err;
    }
  }

  /**
   * Swaps pages out, all or none, in one hand-off to the codec threads: resolves to their slots
   * in order, or rejects with the first failure, every slot of the batch given back (the caller
   * still has its pages). At most SWAP_BATCH_PAGES_MAX pages.
   */
  async swapOutMany(pages: readonly Uint8Array[]): Promise<SwapSlot[]> {
    this.#batchCheck(pages, "pages");
    for (const page of pages) pageCheck(page);
    this.#openCheck();
    if (pages.length === 0) return [];
    if (this.#threads !== undefined && this.#whenFull === "reject") {
      const slots = this.#slotsTake(pages.length);
      if (slots !== undefined) return this.#io(slots[0], () => this.#swapOutBatch(pages, slots));
    }
    const settled = await SwapSpace.#lanes(pages, (page) => this.#swapOut(page, true));
    const failed = settled.find((r) => r.status === "rejected");
    if (failed === undefined) {
      return settled.map((r) => (r as PromiseFulfilledResult<SwapSlot>).value);
    }
    if (!this.#closed) {
      for (const r of settled) if (r.status === "fulfilled") this.free(r.value);
    }
    throw failed.reason;
  }

  /**
   * Swaps a large folio out: `pages` (FOLIO_PAGES_MIN..FOLIO_PAGES_MAX of them, a power of two)
   * go to consecutive slots, the first a multiple of their number, as one: all same-filled, they
   * stay in the swap map (zero bits, or values); else zswap stores them whole (storeFolio) or the device takes
   * them all. Resolves to the slots in order; rejects as swapOut does, every slot given back
   * (the caller still has its pages). Without such a run of free slots, or in a dedup space, the
   * folio is split (swpout_fallback) and its pages go out as swapOutMany's. The pages are
   * compressed on the caller's thread, and a folio never waits for room under `wait`: it goes
   * to the device, as the kernel's does.
   */
  async swapOutFolio(pages: readonly Uint8Array[]): Promise<SwapSlot[]> {
    const n = folioCheck(pages);
    this.#openCheck();
    const first =
      this.#dedup === undefined ? this.#slotMap.allocRun(n, (s) => this.#busy.has(s)) : -1;
    if (first < 0) {
      this.#mthp.count(n, "swpout_fallback");
      return this.swapOutMany(pages);
    }
    this.#fullWake();
    const slots = Array.from({ length: n }, (_, i) => (first + i) as SwapSlot);
    if (pages.every(isSameFilled)) {
      for (let i = 0; i < n; i++) this.#sameStore(slots[i], pages[i]);
      return slots;
    }
    if (this.zswap?.storeFolio(this.type, first, pages)) return slots;
    const writes = await Promise.allSettled(
      slots.map((slot, i) => this.#swapOutDevice(slot as number as SwapOffset, pages[i])),
    );
    const failed = writes.find((r) => r.status === "rejected");
    if (failed === undefined) {
      this.#mthp.count(n, "swpout");
      return slots;
    }
    if (!this.#closed) for (const slot of slots) this.free(slot);
    throw failed.reason;
  }

  /** n slots free of I/O at once, or undefined (and none taken) when there are not. */
  #slotsTake(n: number): number[] | undefined {
    const slots: number[] = [];
    while (slots.length < n) {
      const slot = this.#slotAlloc();
      if (slot < 0) {
        for (const s of slots) this.#slotRelease(s);
        return undefined;
      }
      slots.push(slot);
    }
    return slots;
  }

  /**
   * swapOutMany on the codec threads with no promise per page: the pages go over as job slots
   * allow, each result is stored as it is called back (in order), and the batch waits once per
   * hand-off. Pages zswap declines are written to the device; on any failure every slot of the
   * batch is freed once their writes settled, and the first failure is thrown.
   */
  async #swapOutBatch(pages: readonly Uint8Array[], slots: number[]): Promise<SwapSlot[]> {
    const z = this.zswap!;
    const threads = this.#threads!;
    const writes: Promise<unknown>[] = [];
    let error: unknown;
    const stored = (
      slot: SwapOffset,
      page: Uint8Array,
      codec: number,
      n: number,
      out: Uint8Array,
    ) => {
      if (n === RESULT_ZERO_PAGE) {
        this.#slotMap.zeroSet(slot, true);
        this.#counts.swpout_zero++;
      } else if (!z.storeCompressed(this.type, slot, page, codec, n, out)) {
        writes.push(this.#swapOutDevice(slot, page).catch((err) => (error ??= err)));
      }
    };
    // A window of jobs: each page called back makes room for the next, so the threads never
    // run dry between hand-offs; the batch waits only when it has nothing else to do.
    let next = 0;
    let out = 0;
    let idle: (() => void) | undefined;
    /** Hands pages over while job slots allow; what take said when it stopped (0: no page left). */
    const feed = (): number => {
      for (; next < pages.length && error === undefined; next++) {
        const slot = slots[next] as SwapOffset;
        const page = pages[next];
        if (this.#sameStore(slot, page)) continue;
        const job = this.#outJob(true);
        if (job < 0) return job;
        threads.input(job).set(page);
        const codec = z.storeCodecId;
        out++;
        threads.push(job, OP_COMPRESS, codec, z.storeLimitBytes, (n, output) => {
          out--;
          if (n === RESULT_THREAD_DIED) error ??= threads.died(job);
          else if (this.#closed) error ??= new ZswapClosedError("the swap space is closed");
          else stored(slot, page, codec, n, output);
          feed();
          if (out === 0) idle?.();
        });
      }
      return 0;
    };
    while (next < pages.length && error === undefined) {
      const why = feed();
      if (out > 0) {
        await new Promise<void>((resolve) => (idle = resolve));
        continue;
      }
      if (why === 0) break; // the last pages were same-filled
      if (why === JOB_LATER) {
        // Calls wait for a later turn: the batch goes on behind them.
        await threads.later(0, false, () => undefined);
        continue;
      }
      // No job slot free (other calls hold them all), no thread left, or a dictionary codec:
      // one page inline.
      const slot = slots[next] as SwapOffset;
      const page = pages[next++];
      if (!this.#sameStore(slot, page) && !z.store(this.type, slot, page)) {
        writes.push(this.#swapOutDevice(slot, page).catch((err) => (error ??= err)));
      }
    }
    await Promise.all(writes);
    if (error === undefined) return slots as SwapSlot[];
    if (!this.#closed) for (const slot of slots) this.free(slot as SwapSlot);
    throw error;
  }

  /**
   * Every item through `op`, at most CODEC_JOBS_MAX / 2 at once, so that a batch larger than
   * the codec threads' queue waits for room there instead of running its rest inline (and
   * leaves room for other callers); settled in the items' order.
   */
  static async #lanes<T, R>(
    items: readonly T[],
    op: (item: T, i: number) => Promise<R>,
  ): Promise<PromiseSettledResult<R>[]> {
    const settled: PromiseSettledResult<R>[] = new Array(items.length);
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < items.length; i = next++) {
        try {
          settled[i] = { status: "fulfilled", value: await op(items[i], i) };
        } catch (reason) {
          settled[i] = { status: "rejected", reason };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(items.length, CODEC_JOBS_MAX / 2) }, lane));
    return settled;
  }

  #batchCheck(items: readonly unknown[], what: string): void {
    if (!Array.isArray(items) || items.length > SWAP_BATCH_PAGES_MAX) {
      optionBad(`${what} must be an array of at most ${SWAP_BATCH_PAGES_MAX}`);
    }
  }

  /**
   * A free slot with no I/O settling on it, or -1. Taking the last free slot wakes every
   * swap-out waiting for one: none will come from I/O settling now, and each finds the space
   * full (ZSWAP_E_FULL) instead of waiting for ever.
   */
  #slotAlloc(): number {
    const slot = this.#slotMap.alloc((s) => this.#busy.has(s));
    this.#fullWake();
    return slot;
  }

  #fullWake(): void {
    if (this.#slotMap.count === this.#slotMap.slots) {
      for (const wake of this.#slotWaiters.splice(0)) wake();
    }
  }

  /**
   * A slot, once one that is free but still has I/O in flight settles: a slot is never handed out
   * while an old write to it may land. ZSWAP_E_FULL only when every slot is in use.
   */
  async #slotWait(): Promise<number> {
    for (let first = true; ; first = false) {
      if (this.#slotMap.count === this.#slotMap.slots) {
        throw new ZswapFullError(`all ${this.#slotMap.slots} slots are in use`);
      }
      if (this.#slotWaiters.length >= SLOT_WAITERS_MAX) {
        throw new ZswapBusyError(
          `${SLOT_WAITERS_MAX} swap-outs already wait for a slot whose I/O is settling`,
        );
      }
      // Free slots exist and all are busy, so some I/O is in flight and will wake us.
      assert(this.#ioCount > 0, "free slots are busy only while I/O is in flight");
      await new Promise<void>((resolve) => {
        // One that lost its slot to a newer caller keeps its place at the front.
        if (first) this.#slotWaiters.push(resolve);
        else this.#slotWaiters.unshift(resolve);
      });
      this.#openCheck();
      const slot = this.#slotAlloc();
      if (slot >= 0) return slot;
    }
  }

  // --- write-behind ---

  /**
   * Writes a swap-out's page to its slot: behind, from a copy in the swap cache, or through,
   * awaited, when every buffer holds a page whose write failed (so a device that keeps failing
   * is reported to the swap-outs, with the slot given back, and holds at most the buffers).
   */
  async #deviceWrite(slot: SwapOffset, page: Uint8Array): Promise<void> {
    for (;;) {
      const copy = this.#cache.take(slot, page);
      if (copy !== undefined) {
        this.#writeBehind(slot, copy);
        return;
      }
      if (this.#cache.writing === 0) break;
      await new Promise<void>((resolve) => this.#bufferWaiters.push(resolve));
      this.#openCheck();
    }
    await this.#io(slot, () => this.device.write(slot, page));
    this.#writeRetry();
  }

  /**
   * The cache learns how the write ended inside the tracked I/O, before the slot stops being
   * busy: once it is not, a waiting swap-out may take the slot and put its own page in the cache.
   */
  #writeBehind(slot: SwapOffset, copy: Uint8Array): void {
    void this.#io(slot, () =>
      this.device.write(slot, copy).then(
        () => this.#writeSettled(slot, true),
        () => this.#writeSettled(slot, false),
      ),
    );
  }

  #writeSettled(slot: SwapOffset, ok: boolean): void {
    this.#cache.settled(slot, ok);
    if (ok) this.#writeRetry();
    else this.#counts.swpout_fail++;
    for (const wake of this.#bufferWaiters.splice(0)) wake();
  }

  /** After a write landed, one page whose write failed is written again. */
  #writeRetry(): void {
    if (this.#closed) return;
    const again = this.#cache.retryTake();
    if (again !== undefined) this.#writeBehind(again.slot as SwapOffset, again.page);
  }

  /** Offers the page to zswap, waiting for room under the `wait` policy. */
  async #zswapStore(z: Zswap, slot: number, page: Uint8Array): Promise<boolean> {
    if (this.#whenFull !== "wait") return z.store(this.type, slot, page);
    try {
      return await z.storeWait(this.type, slot, page, this.#waitMs);
    } catch (err) {
      this.#openCheck(); // closed while it waited: say so, not that the area went away
      throw err;
    }
  }

  /**
   * Reads slot's page into `into` and resolves to where it came from (the swap map's zero bit,
   * zswap or the device). With `free`, the slot is freed too (one step, and zswap's copy is
   * dropped as it is read: an exclusive load). A device read failure rejects with ZswapIOError
   * and leaves the slot and its data as they were.
   */
  async swapIn(slot: SwapSlot, into: Uint8Array, opts?: { free?: boolean }): Promise<SwapInSource> {
    if (opts !== undefined) {
      optionsKnownCheck(opts, SWAP_IN_OPTIONS);
      if (opts.free !== undefined && typeof opts.free !== "boolean")
        optionBad(`free must be a boolean, got ${String(opts.free)}`);
    }
    return this.#swapIn(slot, into, opts?.free === true, false);
  }

  /**
   * swapIn: where the page came from, at once when it was in memory (no promise made), or a
   * promise when it needs the device or a codec thread; bad input throws.
   */
  #swapIn(
    slot: SwapSlot,
    into: Uint8Array,
    free: boolean,
    batch: boolean,
  ): SwapInSource | Promise<SwapInSource> {
    pageCheck(into);
    this.#openCheck();
    const off = this.#slotCheck(slot);
    // A deduplicated slot reads its canonical slot's page; a page others share is never
    // loaded exclusively (dedup.ts, rule 2).
    const from = (this.#dedup?.source(off) ?? off) as SwapOffset;
    const exclusive = free && from === off && !this.#dedup?.shared(off);
    let source: SwapInSource = "zswap";
    if (this.#slotMap.isZero(from)) {
      into.fill(0);
      this.#counts.swpin_zero++;
      source = "zero";
    } else if (this.#same.isSame(from)) {
      this.#same.read(from, into);
      this.#counts.swpin_same++;
      source = "same";
    } else if (this.#cache.read(from, into)) {
      this.#counts.swpin_cache++;
      source = "cache";
    } else {
      // Never a thread in a dedup space (it has none): `from` is `off` on the threaded paths.
      const z = this.zswap;
      const job =
        z === undefined || !codecIdPlain(z.storeCodecId)
          ? -1
          : (this.#threads?.takeDecompress(z.storeCodecId, batch) ?? -1);
      if (job >= 0) return this.#swapInThreaded(off, into, free, job);
      if (job === JOB_LATER) {
        const threads = this.#threads!;
        this.#ioBegin(off); // a slot freed meanwhile is not given out before this has run
        return threads.later(SHARES_DECOMPRESS, threads.offThread(z!.storeCodecId), (job) => {
          try {
            this.#openCheck();
            this.#slotCheck(slot);
          } catch (err) {
            if (job >= 0) threads.untake(job);
            throw err;
          } finally {
            this.#ioEnd(off);
          }
          return job >= 0
            ? this.#swapInThreaded(off, into, free, job)
            : this.#swapInLoad(off, from, into, free, exclusive);
        });
      }
      return this.#swapInLoad(off, from, into, free, exclusive);
    }
    if (free) this.free(slot);
    return source;
  }

  /** The zswap load of a swap-in (its device read when zswap does not hold the page). */
  #swapInLoad(
    off: SwapOffset,
    from: SwapOffset,
    into: Uint8Array,
    free: boolean,
    exclusive: boolean,
  ): SwapInSource | Promise<SwapInSource> {
    if (!(this.zswap?.load(this.type, from, into, exclusive) ?? false)) {
      return this.#swapInDevice(off, from, into, free);
    }
    if (free) this.free(off as number as SwapSlot);
    return "zswap";
  }

  /** op as I/O of `from` too when it is another slot (the canonical one of a deduplicated slot). */
  #ioShared<T>(off: SwapOffset, from: SwapOffset, op: () => Promise<T>): Promise<T> {
    return from === off ? op() : this.#io(from, op);
  }

  /**
   * The device read of a swap-in of `off`, whose page is slot `from`'s (dedup's canonical slot,
   * or `off`). Freed inside the tracked I/O: while it is in flight nobody else can be given this
   * slot, so a slot still in use here is still ours (a slot held for sharers is not freed).
   */
  #swapInDevice(
    off: SwapOffset,
    from: SwapOffset,
    into: Uint8Array,
    free: boolean,
  ): Promise<SwapInSource> {
    return this.#io(off, () =>
      this.#ioShared(off, from, async (): Promise<SwapInSource> => {
        await this.#deviceRead(from, into);
        this.#counts.pswpin++;
        if (free && this.#slotMap.isUsed(off) && !this.#dedup?.isHeld(off)) {
          this.free(off as number as SwapSlot);
        }
        return "device";
      }),
    );
  }

  /**
   * Writeback's decompression on the codec threads (zswap's OffThreadDecompress), for codecs
   * whose decompression costs more than a hand-off (SwapThreads' DECOMPRESS_INLINE); a page
   * stored with a dictionary, or with no job slot free, is read inline. It is the writeback's
   * I/O on its slot from here: flush() and close() wait for it, and the slot, were it freed
   * meanwhile, is not given out again before the writeback has seen that it was.
   */
  readonly #writebackDecompress: OffThreadDecompress = (offset, codec, fill, done) => {
    const threads = this.#threads!;
    const job = codecIdPlain(codec) ? threads.takeWriteback(codec) : -1;
    if (job < 0) return false;
    const length = fill(threads.input(job));
    this.#ioBegin(offset);
    threads.push(job, OP_DECOMPRESS, codec, length, (produced, page) => {
      if (produced === PAGE_SIZE) this.#counts.swap_codec_writeback_reads++;
      try {
        done(produced, produced === RESULT_THREAD_DIED ? undefined : page);
      } finally {
        this.#ioEnd(offset);
      }
    });
    return true;
  };

  /** Reads slot's page from the device: from its packed block, when compressed writeback put it in one. */
  async #deviceRead(slot: SwapOffset, into: Uint8Array): Promise<void> {
    if (await this.zswap?.loadPacked(this.type, slot, into)) return;
    await this.device.read(slot, into);
  }

  /**
   * swapIn with the page decompressed by a codec thread (job slot `job`). zswap's bytes are
   * copied into the job and its entry stays until the page is back, so a thread that dies loses
   * nothing; with `free`, the slot is freed then (inside the tracked I/O, as for the device).
   */
  #swapInThreaded(
    off: SwapOffset,
    into: Uint8Array,
    free: boolean,
    job: number,
  ): Promise<SwapInSource> {
    const z = this.zswap!;
    const threads = this.#threads!;
    const input = threads.input(job);
    const got = z.loadCompressed(this.type, off, input);
    const codec = Math.floor(got / LOADED_CODEC_STEP);
    const length = got % LOADED_CODEC_STEP;
    // A page stored raw, or by a codec with a dictionary (which no codec thread has): inline.
    if (got < 0 || codec === LOADED_RAW || !codecIdPlain(codec)) {
      threads.untake(job);
      if (got < 0) return this.#swapInDevice(off, off, into, free);
      if (codec === LOADED_RAW) into.set(input.subarray(0, PAGE_SIZE));
      else z.decompressLoaded(this.type, off, codec, input.subarray(0, length), into);
      if (free) this.free(off as number as SwapSlot);
      return Promise.resolve("zswap");
    }
    return this.#io(off, () =>
      threads.run(job, OP_DECOMPRESS, codec, length, (produced, page): SwapInSource => {
        if (produced !== PAGE_SIZE) throw z.decompressFailed(this.type, off, produced);
        into.set(page);
        if (free && !this.#closed && this.#slotMap.isUsed(off))
          this.free(off as number as SwapSlot);
        return "zswap";
      }),
    );
  }

  /**
   * Swaps slots in, each into its page, in one hand-off to the codec threads: resolves to where
   * each came from, or rejects with the first failure (every slot keeps its page either way; a
   * page of `into` may be filled or not). At most SWAP_BATCH_PAGES_MAX slots.
   */
  async swapInMany(
    slots: readonly SwapSlot[],
    into: readonly Uint8Array[],
  ): Promise<SwapInSource[]> {
    this.#batchCheck(slots, "slots");
    if (!Array.isArray(into) || into.length !== slots.length) {
      optionBad(`into must be an array of ${slots.length} pages, one per slot`);
    }
    for (const page of into) pageCheck(page);
    this.#openCheck();
    for (const slot of slots) this.#slotCheck(slot);
    // The pages in memory and those decompressed inline are swapped in at once, with no promise
    // each; only device reads and pages on the codec threads wait, all together (past
    // CODEC_JOBS_MAX out, the rest run inline). The first slot that failed decides the error,
    // after every slot was tried.
    const sources: SwapInSource[] = new Array(slots.length);
    let failedAt = slots.length;
    let failure: unknown;
    const fail = (i: number, err: unknown) => {
      if (i < failedAt) [failedAt, failure] = [i, err];
    };
    const reads: Promise<void>[] = [];
    for (let i = 0; i < slots.length; i++) {
      try {
        const got = this.#swapIn(slots[i], into[i], false, true);
        if (typeof got === "string") sources[i] = got;
        else
          reads.push(
            got.then(
              (source) => {
                sources[i] = source;
              },
              (err) => fail(i, err),
            ),
          );
      } catch (err) {
        fail(i, err);
      }
    }
    if (reads.length > 0) await Promise.all(reads);
    if (failedAt < slots.length) throw failure;
    return sources;
  }

  /** Gives the slot back; whatever it held is dropped. */
  free(slot: SwapSlot): void {
    this.#openCheck();
    const off = this.#slotCheck(slot);
    if (this.#dedup === undefined) this.#slotDrop(off);
    else for (const s of this.#dedup.free(off)) this.#slotDrop(s as SwapOffset);
  }

  /** Drops whatever the slot holds and gives it back. */
  #slotDrop(off: SwapOffset): void {
    this.zswap?.invalidate(this.type, off);
    this.#cache.drop(off);
    this.#same.clear(off);
    this.#slotRelease(off);
  }

  /**
   * Gives a slot back to the map, and to the first swap-out waiting for one unless I/O on it is
   * still settling (its settling wakes one then): a slot given back wakes a waiter, whatever gave
   * it back, or that waiter could wait for ever.
   */
  #slotRelease(off: number): void {
    this.#slotMap.release(off);
    if (!this.#busy.has(off)) this.#slotWaiters.shift()?.();
  }

  /**
   * Resolves once no device I/O of this space is in flight: swap-outs written behind, writebacks
   * and reads. What a measurement that should include the writes waits for before it stops.
   * I/O that the last one to land started at once (writeback going on) is waited for too.
   */
  async flush(): Promise<void> {
    while (this.#ioCount > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /**
   * Waits for all I/O in flight, then releases zswap's area and the device. Idempotent: every
   * call resolves when all of that is done, not only the first.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#slotWaiters.splice(0)) wake(); // each finds the space closed
    for (const wake of this.#bufferWaiters.splice(0)) wake();
    if (this.zswap !== undefined) {
      this.zswap.swapoff(this.type);
      if (this.#ownsZswap) this.zswap.stop();
    }
    if (this.#ioCount > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await this.#threads?.close();
    if (this.#ownsDevice) await this.device.close();
  }

  /**
   * @internal The slot map and the per-slot I/O counts, live, for tests that check or break invariants.
   * Nothing else may use this: any change through it can lose pages.
   */
  static unsafeExposeInternals(s: SwapSpace): {
    slotMap: SlotMap;
    busy: BusySlots;
    /** The codec threads, started if they were not; undefined without zswap or threads. */
    codecThreads(): CodecThreads | undefined;
  } {
    return {
      slotMap: s.#slotMap,
      busy: s.#busy,
      codecThreads: () =>
        s.#threads === undefined ? undefined : SwapThreads.unsafeCodecThreads(s.#threads),
    };
  }

  /**
   * Large folios by size (the kernel's hugepages-<size>kB/stats/): swpout and swpout_fallback of
   * this space, zswpout of its Zswap (which spaces sharing it share).
   */
  folioStats(): MthpStats {
    const own = this.#mthp.snapshot();
    return this.zswap === undefined ? own : mthpSum(own, this.zswap.folioStats());
  }

  stats(): SwapSpaceStats {
    const gauges: SwapGauges = {
      swap_slots: this.#slotMap.slots,
      swap_slots_used: this.#slotMap.count,
      swap_zero_pages: this.#slotMap.zeroCount,
      same_pages: this.#slotMap.zeroCount + this.#same.count,
      dedup_pages: this.#dedup?.sharers ?? 0,
      dedup_held_slots: this.#dedup?.held ?? 0,
      swap_io_in_flight: this.#ioCount,
      swap_cache_pages: this.#cache.size,
      swap_codec_threads: this.#threads?.alive ?? 0,
      swap_codec_jobs: this.#threads?.pending ?? 0,
    };
    return { ...this.zswap?.stats(), ...this.#counts, ...gauges };
  }
}
