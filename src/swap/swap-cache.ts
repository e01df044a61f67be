// The swap cache's write-behind half: pages on their way to the device. A swap-out that goes to
// the device copies its page into one of a fixed set of buffers and returns; the write runs in
// the background, as the kernel's reclaim writes (swap_writepage's bio completes later), and until
// it lands a swap-in of the slot is served from the buffer.
//
// A buffer's life, for slot s:
//   1. taken by a swap-out (WRITING) while s's write is in flight;
//   2. the write lands: the buffer is free again;
//   3. the write fails: the page stays (FAILED), readable, until a write of it lands or s is
//      freed; the swap layer writes it again after its next write that lands (the device works
//      again), as the kernel redirties a page whose swap write failed;
//   4. s is freed: a FAILED buffer is free at once; a WRITING one once its write settles (the
//      device may still be reading it), marked FREED meanwhile.

import { assert } from "../assert.ts";
import { PAGE_SIZE } from "../constants.ts";

const WRITING = 1;
const FAILED = 2;
const FREED = 3;

export class SwapCache {
  readonly #buffers: Uint8Array[] = [];
  readonly #free: number[] = [];
  /** Slot -> buffer index, for every slot with a buffer. */
  readonly #bufferOf = new Map<number, number>();
  /** Per buffer: WRITING, FAILED or FREED (meaningless while free). */
  readonly #state: Uint8Array;
  /** Buffers whose write is in flight. */
  writing = 0;
  /** Pages held because their write failed. */
  failed = 0;

  constructor(readonly buffersMax: number) {
    const arena = new ArrayBuffer(buffersMax * PAGE_SIZE);
    for (let i = 0; i < buffersMax; i++) {
      this.#buffers.push(new Uint8Array(arena, i * PAGE_SIZE, PAGE_SIZE));
      this.#free.push(buffersMax - 1 - i);
    }
    this.#state = new Uint8Array(buffersMax);
  }

  /** Pages held: in flight, or kept after a failed write. */
  get size(): number {
    return this.#bufferOf.size;
  }

  /** A copy of `page` for slot's write, in a buffer now WRITING; undefined when none is free. */
  take(slot: number, page: Uint8Array): Uint8Array | undefined {
    // The swap layer hands out a slot only once its I/O settled, and the cache learns of the
    // settling first: an older page of the slot is gone by then.
    assert(!this.#bufferOf.has(slot), "the swap cache holds one page of a slot at most");
    const b = this.#free.pop();
    if (b === undefined) return undefined;
    this.#buffers[b].set(page);
    this.#bufferOf.set(slot, b);
    this.#state[b] = WRITING;
    this.writing++;
    return this.#buffers[b];
  }

  /** Copies slot's page into `into`; false when the cache does not hold it. */
  read(slot: number, into: Uint8Array): boolean {
    const b = this.#bufferOf.get(slot);
    if (b === undefined || this.#state[b] === FREED) return false;
    into.set(this.#buffers[b]);
    return true;
  }

  /** Slot's write settled: its buffer goes free, or keeps the page when the write failed. */
  settled(slot: number, ok: boolean): void {
    const b = this.#bufferOf.get(slot)!;
    this.writing--;
    if (ok || this.#state[b] === FREED) this.#release(slot, b);
    else {
      this.#state[b] = FAILED;
      this.failed++;
    }
  }

  /** A slot whose write failed, its buffer WRITING again for another try; undefined if none. */
  retryTake(): { slot: number; page: Uint8Array } | undefined {
    for (const [slot, b] of this.#bufferOf) {
      if (this.#state[b] !== FAILED) continue;
      this.#state[b] = WRITING;
      this.failed--;
      this.writing++;
      return { slot, page: this.#buffers[b] };
    }
    return undefined;
  }

  /** The slot was freed: its page is dropped (once its write, if any, has settled). */
  drop(slot: number): void {
    const b = this.#bufferOf.get(slot);
    if (b === undefined) return;
    if (this.#state[b] === WRITING) this.#state[b] = FREED;
    else if (this.#state[b] === FAILED) {
      this.failed--;
      this.#release(slot, b);
    }
  }

  #release(slot: number, b: number): void {
    this.#bufferOf.delete(slot);
    this.#free.push(b);
  }
}
