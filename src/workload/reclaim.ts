// The kernel's side of swapping, modelled over a SwapSpace: what `zswap kernel` replays through
// zswap-ts so that it meets the same pages in the same way as the machine's own zswap does.
// Where ResidentSet (resident.ts) swaps one victim out and waits for it, this driver reclaims
// the way the kernel's does:
//   1. reclaim takes a batch of victims (SWAP_CLUSTER_MAX) from the kernel's two LRU lists
//      (anon-lru.ts) and starts their swap-outs without waiting for each: a store into zswap is
//      done at once, a device write goes on in the background while the program carries on;
//   2. a frame is free again only once its page's swap-out settled (a page under writeback is
//      still in memory); a program touching such a page takes it back without any I/O;
//   3. the swap cache: a page read back from the device (or a zero page) by a read keeps its
//      slot and stays clean, so reclaiming it again writes nothing; a page loaded from zswap is
//      dirty (zswap_load drops its entry), and a write frees the slot;
//   4. `pageout` is MADV_PAGEOUT: every resident page goes out at once, references ignored.
// Every page that comes back is checked against what it must hold (pageContent).

import { PAGE_SIZE, RECLAIM_BATCH_PAGES, RECLAIM_IN_FLIGHT_MAX } from "../constants.ts";
import { ZswapDataError } from "../errors.ts";
import type { SwapSlot, SwapSpace } from "../swap/index.ts";
import { AnonLru } from "./anon-lru.ts";
import { pageContent } from "./resident.ts";

const NONE = -1;

/** A frame's state: free, holding a page, or holding a page whose swap-out is in flight. */
const FREE = 0;
const USED = 1;
const OUT = 2;

export class Reclaim {
  readonly #frameOf: Int32Array;
  readonly #slotOf: Float64Array;
  readonly #version: Uint32Array;
  readonly #dirty: Uint8Array;
  readonly #pageOf: Int32Array;
  readonly #state: Uint8Array;
  readonly #lru: AnonLru;
  /** Frames whose page was touched while its swap-out was in flight: kept once it settles. */
  readonly #rescued: Uint8Array;
  readonly #memory: Uint8Array;
  readonly #expected = new Uint8Array(PAGE_SIZE);
  readonly #free: number[] = [];
  /** Swap-outs in flight, by frame. */
  readonly #outgoing = new Map<number, Promise<void>>();
  /** Callers waiting for a swap-out to settle (a frame to free up, or room in flight). */
  #settled: (() => void)[] = [];
  /** The first swap-out that failed: every later call rethrows it. */
  #failure: unknown;

  /** Swap-ins whose page was checked against its expected bytes. */
  verified = 0;

  constructor(
    private readonly space: SwapSpace,
    private readonly corpus: readonly Uint8Array[],
    readonly pages: number,
    readonly frames: number,
  ) {
    this.#frameOf = new Int32Array(pages).fill(NONE);
    this.#slotOf = new Float64Array(pages).fill(NONE);
    this.#version = new Uint32Array(pages);
    this.#dirty = new Uint8Array(pages);
    this.#pageOf = new Int32Array(frames).fill(NONE);
    this.#state = new Uint8Array(frames);
    this.#lru = new AnonLru(frames);
    this.#rescued = new Uint8Array(frames);
    this.#memory = new Uint8Array(frames * PAGE_SIZE);
    for (let f = frames - 1; f >= 0; f--) this.#free.push(f);
  }

  #bytes(f: number): Uint8Array {
    return this.#memory.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE);
  }

  // --- swap-out ---

  /**
   * Starts page-out of frame f's page, off the LRU lists: dropped when a clean copy is in its
   * slot, else swapped out.
   */
  #evict(f: number): void {
    const page = this.#pageOf[f];
    if (this.#dirty[page] === 0 && this.#slotOf[page] !== NONE) {
      this.#unmap(f);
      return;
    }
    this.#state[f] = OUT;
    const out = this.space.swapOut(this.#bytes(f)).then(
      (slot) => this.#outSettled(f, slot),
      (error: unknown) => {
        this.#failure ??= error;
        this.#outSettled(f, NONE);
      },
    );
    this.#outgoing.set(f, out);
  }

  #outSettled(f: number, slot: number): void {
    const page = this.#pageOf[f];
    this.#outgoing.delete(f);
    this.#slotOf[page] = slot;
    this.#dirty[page] = slot === NONE ? 1 : 0;
    if (this.#rescued[f] === 1 || slot === NONE) {
      this.#rescued[f] = 0;
      this.#state[f] = USED;
      this.#lru.add(f);
    } else this.#unmap(f);
    for (const wake of this.#settled.splice(0)) wake();
  }

  #unmap(f: number): void {
    this.#frameOf[this.#pageOf[f]] = NONE;
    this.#pageOf[f] = NONE;
    this.#state[f] = FREE;
    this.#free.push(f);
  }

  /** Waits until some swap-out in flight settles. */
  #settle(): Promise<void> {
    return new Promise((resolve) => this.#settled.push(resolve));
  }

  /** One reclaim pass: up to RECLAIM_BATCH_PAGES victims, their page-outs started. */
  #reclaim(): void {
    for (let taken = 0; taken < RECLAIM_BATCH_PAGES; taken++) {
      if (this.#outgoing.size >= RECLAIM_IN_FLIGHT_MAX) return;
      const f = this.#lru.victim(RECLAIM_BATCH_PAGES);
      if (f === NONE) return;
      this.#evict(f);
    }
  }

  /** A free frame, reclaiming as the kernel does when there is none. */
  async #frameGet(): Promise<number> {
    while (this.#free.length === 0) {
      this.#failed();
      this.#reclaim();
      if (this.#free.length === 0) await this.#settle();
    }
    return this.#free.pop()!;
  }

  #failed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  // --- swap-in ---

  /** Brings `page` into frame f: its first content, or its slot's page (checked). */
  async #fault(page: number, f: number, write: boolean): Promise<void> {
    const bytes = this.#bytes(f);
    const slot = this.#slotOf[page] as SwapSlot;
    this.#dirty[page] = 1;
    if (this.#slotOf[page] === NONE) {
      pageContent(this.corpus, page, this.#version[page], bytes);
      return;
    }
    // A read keeps the slot of a page that came from the device or the zero bit (clean, in the
    // swap cache); zswap's copy is dropped as it is read, so that page is dirty.
    const source = await this.space.swapIn(slot, bytes, { free: write });
    if (write || source === "zswap") {
      if (!write) this.space.free(slot);
      this.#slotOf[page] = NONE;
    } else this.#dirty[page] = 0;
    this.#check(page, bytes);
  }

  #check(page: number, got: Uint8Array): void {
    pageContent(this.corpus, page, this.#version[page], this.#expected);
    if (!Buffer.from(got.buffer, got.byteOffset, PAGE_SIZE).equals(this.#expected)) {
      throw new ZswapDataError(
        `page ${page} (version ${this.#version[page]}) came back from swap with different bytes`,
      );
    }
    this.verified++;
  }

  // --- the program's side ---

  /** Touches `page` (a write gives it its next version); resolves once that is done. */
  async access(page: number, write: boolean): Promise<void> {
    this.#failed();
    let f = this.#frameOf[page];
    if (f !== NONE && this.#state[f] === OUT) {
      this.#rescued[f] = 1; // back from under writeback: no I/O, as from the swap cache
      await this.#outgoing.get(f);
      this.#failed();
    }
    if (f === NONE) {
      f = await this.#frameGet();
      this.#frameOf[page] = f;
      this.#pageOf[f] = page;
      this.#state[f] = USED;
      await this.#fault(page, f, write);
      this.#lru.add(f);
    }
    this.#lru.touch(f);
    if (!write) return;
    pageContent(this.corpus, page, ++this.#version[page], this.#bytes(f));
    this.#dirty[page] = 1;
    const slot = this.#slotOf[page];
    if (slot !== NONE) {
      this.space.free(slot as SwapSlot); // its copy is stale now
      this.#slotOf[page] = NONE;
    }
  }

  /** MADV_PAGEOUT over everything: every resident page goes out, then their I/O settles. */
  async pageout(): Promise<void> {
    for (let f = 0; f < this.frames; f++) {
      while (this.#outgoing.size >= RECLAIM_IN_FLIGHT_MAX) await this.#settle();
      if (this.#state[f] !== USED) continue;
      this.#lru.remove(f);
      this.#evict(f);
    }
    await this.drain();
  }

  /** Waits for every swap-out in flight; rethrows the first that failed. */
  async drain(): Promise<void> {
    while (this.#outgoing.size > 0) await this.#settle();
    this.#failed();
  }
}
