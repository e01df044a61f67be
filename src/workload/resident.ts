// The resident-set model: the part of the kernel that decides what to swap. A process has a
// fixed number of page frames; touching a page that is not resident faults it in through the
// SwapSpace, and making room evicts a resident page (CLOCK, or a two-list active/inactive LRU)
// and swaps it out. Writes change a page deterministically, so every swap-in can be checked
// against what the page must hold.

import { PAGE_SIZE } from "../constants.ts";
import { ZswapDataError } from "../errors.ts";
import type { SwapSlot, SwapSpace } from "../swap/index.ts";
import { grown } from "../typed-arrays.ts";

export type EvictionPolicy = "clock" | "lru2";

const NONE = -1;

/** Writes what `page` holds after `version` writes into `into`: its corpus page, then a stamp. */
export function pageContent(
  corpus: readonly Uint8Array[],
  page: number,
  version: number,
  into: Uint8Array,
): void {
  into.set(corpus[page % corpus.length]);
  if (version === 0) return;
  const view = new DataView(into.buffer, into.byteOffset, PAGE_SIZE);
  // A stamp at the front and one 8-byte word further in: a small change, as real writes are.
  view.setUint32(0, page, true);
  view.setUint32(4, version, true);
  const at = (Math.imul(version, 0x9e3779b1) >>> 0) % (PAGE_SIZE / 8);
  view.setFloat64(at * 8, version + page / 1e9, true);
}

export class ResidentSet {
  private frameOf = new Int32Array(0);
  private slotOf = new Float64Array(0);
  private version = new Uint32Array(0);
  private readonly pageOf: Int32Array;
  private readonly referenced: Uint8Array;
  private readonly memory: Uint8Array;
  private readonly expected = new Uint8Array(PAGE_SIZE);
  private used = 0;
  private hand = 0;
  // lru2: inactive and active lists through the frames (head = newest); NONE-terminated.
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly active: Uint8Array;
  private readonly heads = [NONE, NONE];
  private readonly tails = [NONE, NONE];
  private activeCount = 0;

  /** Swap-ins whose page was checked against its expected bytes. */
  verified = 0;
  /** Accesses to a resident page. */
  hits = 0;
  /** Swap-in latencies in µs, for the runner's percentiles. */
  onSwapIn: ((us: number) => void) | undefined;
  /** Told each swap-out (with the page's writes so far) and swap-in, in order: for Belady's MIN. */
  swapTrace: { out(page: number, version: number): void; in(page: number): void } | undefined;

  constructor(
    private readonly space: SwapSpace,
    private readonly corpus: readonly Uint8Array[],
    readonly frames: number,
    private readonly policy: EvictionPolicy,
  ) {
    this.pageOf = new Int32Array(frames).fill(NONE);
    this.referenced = new Uint8Array(frames);
    this.memory = new Uint8Array(frames * PAGE_SIZE);
    this.prev = new Int32Array(frames).fill(NONE);
    this.next = new Int32Array(frames).fill(NONE);
    this.active = new Uint8Array(frames);
  }

  private frameBytes(f: number): Uint8Array {
    return this.memory.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE);
  }

  /** Grows the per-page tables to hold `page` (traces reveal their pages as they go). */
  private pageTables(page: number): void {
    if (page < this.frameOf.length) return;
    const n = Math.max(page + 1, this.frameOf.length * 2, 1024);
    this.frameOf = grown(this.frameOf, n, NONE);
    this.slotOf = grown(this.slotOf, n, NONE);
    this.version = grown(this.version, n);
  }

  // --- lru2 lists ---

  private listPush(f: number, list: number): void {
    this.active[f] = list;
    this.prev[f] = NONE;
    this.next[f] = this.heads[list];
    if (this.heads[list] !== NONE) this.prev[this.heads[list]] = f;
    this.heads[list] = f;
    if (this.tails[list] === NONE) this.tails[list] = f;
    if (list === 1) this.activeCount++;
  }

  private listRemove(f: number): void {
    const list = this.active[f];
    const p = this.prev[f];
    const n = this.next[f];
    if (p !== NONE) this.next[p] = n;
    else this.heads[list] = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tails[list] = p;
    if (list === 1) this.activeCount--;
  }

  /** A resident page was touched: CLOCK sets its bit; lru2 promotes it or refreshes it. */
  private touched(f: number): void {
    if (this.policy === "clock") {
      this.referenced[f] = 1;
      return;
    }
    this.listRemove(f);
    this.listPush(f, 1);
    // The active list keeps at most half the frames; its oldest go back to inactive.
    while (this.activeCount > this.frames / 2) {
      const old = this.tails[1];
      this.listRemove(old);
      this.listPush(old, 0);
    }
  }

  private victim(): number {
    if (this.policy === "lru2") return this.tails[0] !== NONE ? this.tails[0] : this.tails[1];
    for (;;) {
      const f = this.hand;
      this.hand = (this.hand + 1) % this.frames;
      if (this.referenced[f] === 0) return f;
      this.referenced[f] = 0;
    }
  }

  /** A frame to fault into: a free one, or one whose page was swapped out. */
  private async frameTake(): Promise<number> {
    if (this.used < this.frames) return this.used++;
    const f = this.victim();
    const page = this.pageOf[f];
    this.swapTrace?.out(page, this.version[page]);
    this.slotOf[page] = await this.space.swapOut(this.frameBytes(f));
    this.frameOf[page] = NONE;
    if (this.policy === "lru2") this.listRemove(f);
    return f;
  }

  /** Touches `page`; resolves once it is resident (and written, for a write). */
  async access(page: number, write: boolean): Promise<void> {
    this.pageTables(page);
    let f = this.frameOf[page];
    if (f !== NONE) {
      this.hits++;
      this.touched(f);
    } else {
      f = await this.frameTake();
      const bytes = this.frameBytes(f);
      const slot = this.slotOf[page];
      if (slot === NONE) {
        pageContent(this.corpus, page, this.version[page], bytes); // first touch
      } else {
        this.swapTrace?.in(page);
        const t0 = performance.now();
        await this.space.swapIn(slot as SwapSlot, bytes, { free: true });
        this.onSwapIn?.((performance.now() - t0) * 1000);
        this.slotOf[page] = NONE;
        this.check(page, bytes);
      }
      this.frameOf[page] = f;
      this.pageOf[f] = page;
      if (this.policy === "clock") this.referenced[f] = 1;
      else this.listPush(f, 0);
    }
    if (write) pageContent(this.corpus, page, ++this.version[page], this.frameBytes(f));
  }

  private check(page: number, got: Uint8Array): void {
    pageContent(this.corpus, page, this.version[page], this.expected);
    if (!Buffer.from(got.buffer, got.byteOffset, PAGE_SIZE).equals(this.expected)) {
      throw new ZswapDataError(
        `page ${page} (version ${this.version[page]}) came back from swap with different bytes`,
      );
    }
    this.verified++;
  }
}
