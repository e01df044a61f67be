// Two devices as one: writes land on a small, fast upper device (a local file), and the tier's
// own writeback moves the pages written longest ago down to a large lower device (Redis) in the
// background, so zswap -> file -> Redis. Slot s of the tier is slot s of the lower device; in
// the upper device it borrows any free slot while it lives there.
//
// Per slot s, `place[s]` is the upper slot holding it, or NONE (then the lower device holds it,
// or nothing was written and it reads as zeros). Slots in the upper device with no write and no
// migration in flight sit on an LRU list by last write; a migration takes the oldest:
//   1. take s off the list and mark it MIGRATING; read its upper slot u into a buffer;
//   2. write the buffer to the lower device at s     <- an await: anything may happen
//   3. if s was written meanwhile (DIRTY: the write went to u, in place), keep it in u, newest on
//      the list; on success otherwise, place[s] = NONE and u is free; on failure, put s back on
//      the list (oldest: it goes first next time) and pause, doubling, like zswap's writeback.
// This is safe because:
//   1. s keeps u until the lower copy is acknowledged, so a read during a migration is served
//      from u, and a failed migration loses nothing;
//   2. a write to s while it lives in the upper device goes to u in place, never elsewhere, so
//      the lower copy cannot shadow a newer one (DIRTY makes step 3 keep u);
//   3. a slot being written is not on the list, so no migration copies a page half written;
//   4. an upper slot is reused only once no read of it is in flight (a read queued in the
//      upper device could otherwise find another slot's newer page);
//   5. a write to a slot that is not in the upper device, while the upper device is full, goes
//      straight to the lower device (nothing waits for a migration).

import { Backoff } from "../backoff.ts";
import {
  PAGE_SIZE,
  TIER_MIGRATIONS_IN_FLIGHT_MAX,
  TIER_RESIDENT_PERCENT_MAX,
} from "../constants.ts";
import { ZswapOptionError } from "../errors.ts";
import type { SwapOffset } from "../types.ts";
import { deviceCheck } from "./check.ts";
import type { SwapDevice } from "./device.ts";
import { InFlight } from "./in-flight.ts";
import { PageDevice } from "./page-device.ts";

const NONE = -1;
/** Flags of a tier slot: being migrated; written while being migrated; written now. */
const MIGRATING = 1;
const DIRTY = 2;
const WRITING = 4;

/** What the tier did; each counter moves when the event happens. */
export interface TierCounters {
  /** A page moved from the upper to the lower device (its lower write acknowledged). */
  migrated: number;
  /** A migration's read or lower write failed; the page stayed in the upper device. */
  migrateFailed: number;
  /** A write went straight to the lower device: the upper device was full. */
  writtenAround: number;
}

export class TieredDevice extends PageDevice {
  readonly slots: number;
  readonly describe: string;
  /** Upper slot of each tier slot, or NONE. */
  private readonly place: Int32Array;
  private readonly flags: Uint8Array;
  /** LRU of tier slots in the upper device, by last write: prev/next links, NONE-terminated. */
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private oldest = NONE;
  private newest = NONE;
  private readonly upperFree: number[] = [];
  /** Reads in flight of each upper slot, and whether it is to be freed when the last ends. */
  private readonly readers: Uint32Array;
  private readonly freeWhenRead: Uint8Array;
  private readonly buffers: Uint8Array[] = [];
  private readonly migrations = new InFlight();
  private readonly backoff = new Backoff(() => this.kick());
  private stopped = false;
  private readonly count: TierCounters = { migrated: 0, migrateFailed: 0, writtenAround: 0 };

  /** Owns both devices: close() closes them. The lower device sets the tier's size. */
  constructor(
    readonly upper: SwapDevice,
    readonly lower: SwapDevice,
  ) {
    super();
    deviceCheck(upper);
    deviceCheck(lower);
    if (upper.slots >= lower.slots) {
      throw new ZswapOptionError(
        `the upper device (${upper.slots} slots) must be smaller than the lower (${lower.slots})`,
      );
    }
    this.slots = lower.slots;
    this.place = new Int32Array(this.slots).fill(NONE);
    this.flags = new Uint8Array(this.slots);
    this.prev = new Int32Array(this.slots).fill(NONE);
    this.next = new Int32Array(this.slots).fill(NONE);
    this.readers = new Uint32Array(upper.slots);
    this.freeWhenRead = new Uint8Array(upper.slots);
    for (let u = upper.slots - 1; u >= 0; u--) this.upperFree.push(u);
    for (let i = 0; i < TIER_MIGRATIONS_IN_FLIGHT_MAX; i++) {
      this.buffers.push(new Uint8Array(PAGE_SIZE));
    }
    this.describe = `tiered: ${upper.describe}, its oldest pages moved to ${lower.describe}`;
  }

  /** A snapshot of what the tier did, and how many pages its upper device holds now. */
  get counters(): Readonly<TierCounters & { upperResident: number }> {
    return { ...this.count, upperResident: this.upper.slots - this.upperFree.length };
  }

  protected async pageRead(slot: SwapOffset, into: Uint8Array): Promise<void> {
    const u = this.place[slot];
    if (u === NONE) return this.lower.read(slot, into);
    this.readers[u]++;
    try {
      await this.upper.read(u as SwapOffset, into);
    } finally {
      if (--this.readers[u] === 0 && this.freeWhenRead[u]) {
        this.freeWhenRead[u] = 0;
        this.upperFree.push(u);
      }
    }
  }

  protected async pageWrite(slot: SwapOffset, page: Uint8Array): Promise<void> {
    let u = this.place[slot];
    if (u === NONE) {
      if (this.upperFree.length === 0) {
        this.count.writtenAround++;
        return this.lower.write(slot, page);
      }
      u = this.upperFree.pop()!;
      this.place[slot] = u;
    } else if (this.flags[slot] & MIGRATING) {
      this.flags[slot] |= DIRTY;
    } else {
      this.lruDel(slot);
    }
    this.flags[slot] |= WRITING;
    try {
      await this.upper.write(u as SwapOffset, page);
    } finally {
      this.flags[slot] &= ~WRITING;
      if (!(this.flags[slot] & MIGRATING)) this.lruAddNewest(slot);
      this.kick();
    }
  }

  /** Starts migrations while the upper device is fuller than its bound and the bounds allow. */
  private kick(): void {
    const residentMax = Math.floor((this.upper.slots * TIER_RESIDENT_PERCENT_MAX) / 100);
    while (
      !this.stopped &&
      !this.backoff.pausing &&
      this.buffers.length > 0 &&
      this.oldest !== NONE &&
      this.upper.slots - this.upperFree.length > residentMax
    ) {
      const slot = this.oldest;
      this.lruDel(slot);
      this.flags[slot] = MIGRATING;
      void this.migrations.track(() => this.migrate(slot as SwapOffset, this.buffers.pop()!));
    }
  }

  private async migrate(slot: SwapOffset, buffer: Uint8Array): Promise<void> {
    const u = this.place[slot];
    let ok = true;
    try {
      await this.upper.read(u as SwapOffset, buffer);
      await this.lower.write(slot, buffer);
    } catch {
      ok = false;
    }
    this.buffers.push(buffer);
    const dirty = (this.flags[slot] & DIRTY) !== 0;
    this.flags[slot] &= ~(MIGRATING | DIRTY);
    if (ok && !dirty) {
      this.place[slot] = NONE;
      this.upperRelease(u);
      this.count.migrated++;
      this.backoff.reset();
    } else if (dirty) {
      // Written meanwhile: the write in flight, or done, puts it back on the list.
      if (!(this.flags[slot] & WRITING)) this.lruAddNewest(slot);
    } else {
      this.lruAddOldest(slot);
      this.count.migrateFailed++;
      this.backoff.pause();
    }
    this.kick();
  }

  /** Frees upper slot u, or lets its last reader free it: a read in flight may still be queued. */
  private upperRelease(u: number): void {
    if (this.readers[u] > 0) this.freeWhenRead[u] = 1;
    else this.upperFree.push(u);
  }

  /** Stops migrating, waits for migrations in flight, then closes both devices. */
  protected async shutdown(): Promise<void> {
    this.stopped = true;
    this.backoff.stop();
    await this.migrations.drained();
    const closed = await Promise.allSettled([this.upper.close(), this.lower.close()]);
    for (const result of closed) if (result.status === "rejected") throw result.reason;
  }

  // --- the LRU of slots in the upper device ---

  private lruAddNewest(slot: number): void {
    this.prev[slot] = this.newest;
    this.next[slot] = NONE;
    if (this.newest === NONE) this.oldest = slot;
    else this.next[this.newest] = slot;
    this.newest = slot;
  }

  private lruAddOldest(slot: number): void {
    this.next[slot] = this.oldest;
    this.prev[slot] = NONE;
    if (this.oldest === NONE) this.newest = slot;
    else this.prev[this.oldest] = slot;
    this.oldest = slot;
  }

  private lruDel(slot: number): void {
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p === NONE) this.oldest = n;
    else this.next[p] = n;
    if (n === NONE) this.newest = p;
    else this.prev[n] = p;
    this.prev[slot] = NONE;
    this.next[slot] = NONE;
  }
}
