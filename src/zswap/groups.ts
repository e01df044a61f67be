// Groups: memory cgroups as zswap sees them. Swap areas sharing one Zswap belong to groups; each
// group has its own bound on the pool bytes it holds (memory.zswap.max), its own writeback switch
// (memory.zswap.writeback) and its own counters (memory.stat's zswap, zswapped, zswap_incomp,
// zswpin, zswpout, zswpwb). The pool's global bound still holds for all of them together.
//
// A row's group is its area's (an area joins a group at swapon, for its life), so the entry table
// spends no byte on it. The LRU is per group as in the kernel's per-memcg list_lru, over the one
// CLOCK: each group has its own hand, which scans the rows of its areas only (a type mask).
//
// Which group writeback takes from:
//   1. a group over its own bound: a store it declined asked for one writeback of that group's
//      oldest entry (the kernel's shrink_memcg from zswap_store, one entry a store), so a group's
//      bound never costs another group a page (test_no_invasive_cgroup_shrink);
//   2. else, for the pool's bound or the shrinker, the groups in proportion to the compressed
//      bytes each holds beyond its protected pages (zswap_shrinker_count: the LRU less
//      nr_zswap_protected, scaled by the group's compression), by stride scheduling, so the shares
//      are exact over any run of picks and no group is chosen at random;
//   3. when no group has bytes beyond its protection, the global CLOCK, over every row.
// A group with writeback off is never picked, and its rows are passed by (no device).

import { PAGE_SIZE, SWAP_AREAS_MAX, ZSWAP_GROUPS_MAX } from "../constants.ts";
import { optionBad, optionsKnownCheck, ZswapExistsError, ZswapOptionError } from "../errors.ts";
import {
  type Counts,
  countsNew,
  GROUP_COUNTER_NAMES,
  type GroupCounterName,
  type GroupGaugeName,
  ZSWAP_COUNTERS,
} from "../stats/index.ts";
import type { EntryIndex } from "../types.ts";
import type { EntryTable } from "./entries.ts";

/** A group's tunables, the cgroup files' meanings. */
export interface ZswapGroupOptions {
  /**
   * memory.zswap.max: compressed bytes the group's pages may take in the pool (default Infinity,
   * "max"); 0 keeps the group out of zswap.
   */
  maxBytes?: number;
  /**
   * memory.zswap.writeback (default true). Off: zswap never writes the group's pages to the
   * device, and a SwapSpace of the group does not write a page zswap declined either: its
   * swapOut fails (ZSWAP_E_FULL) and the caller keeps the page, as the kernel's reclaim fails.
   */
  writeback?: boolean;
}

/** A group's counters and gauges, under the kernel's memory.stat names. */
export type ZswapGroupStats = Readonly<Counts<GroupCounterName> & Counts<GroupGaugeName>>;

/** The keys of ZswapGroupOptions: any other is a typo. */
const GROUP_OPTIONS: ReadonlySet<string> = new Set(["maxBytes", "writeback"]);

/** The group every area belongs to unless swapon names another; it has no bound. */
export const GROUP_ROOT = "root";
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const NO_CURSOR = -1;
/**
 * Picks a group taken by share keeps before the shares are looked at again (a pick costs a pass
 * over the groups): the kernel's shrinker, too, takes a batch from one memcg at a time.
 */
const SHARE_BATCH = 32;

/** A group's counters: zswap's, under the same names and meanings. */
const GROUP_COUNTERS = Object.fromEntries(
  GROUP_COUNTER_NAMES.map((n) => [n, ZSWAP_COUNTERS[n]]),
) as Record<GroupCounterName, string>;

interface Group {
  readonly name: string;
  maxBytes: number;
  writeback: boolean;
  /** Compressed bytes charged (MEMCG_ZSWAP_B) and pages stored (MEMCG_ZSWAPPED), raw ones among them. */
  bytes: number;
  pages: number;
  raw: number;
  readonly counts: Counts<GroupCounterName>;
  /** The kernel's nr_zswap_protected: recent stores and device swap-ins, decayed. */
  protectedPages: number;
  /** Writebacks asked by stores declined over the bound, not yet started. */
  debt: number;
  /** This group's CLOCK hand: the row its next scan looks at first. */
  hand: number;
  /** Stride scheduling's credit for proportional picks. */
  credit: number;
  /** Areas (swap types) in the group, one bit each. */
  typeMask: number;
}

export class Groups {
  readonly #list: Group[] = [];
  readonly #byName = new Map<string, number>();
  /** Each area's group; 0 (the root) for an area not swapped on. */
  readonly #ofType = new Uint8Array(SWAP_AREAS_MAX);
  /** Areas in groups other than the root: while 0, writeback uses the global CLOCK alone. */
  #grouped = 0;
  /** The group whose hand gave the last lruOldest, NO_CURSOR for the global CLOCK. */
  #cursor = NO_CURSOR;
  /** Writebacks asked by all groups (the sum of their debts). */
  #debtTotal = 0;
  /** The group the shares chose last, and picks it has left of its batch. */
  #shared = NO_CURSOR;
  #sharedLeft = 0;

  constructor() {
    this.add(GROUP_ROOT, {});
  }

  // --- tunables ---

  static #optionsCheck(o: ZswapGroupOptions): void {
    optionsKnownCheck(o, GROUP_OPTIONS);
    const max = o.maxBytes;
    if (max !== undefined && !(typeof max === "number" && max >= 0 && !Number.isNaN(max))) {
      optionBad(`maxBytes must be a number >= 0 (Infinity for no bound), got ${String(max)}`);
    }
    if (o.writeback !== undefined && typeof o.writeback !== "boolean") {
      optionBad(`writeback must be true or false, got ${String(o.writeback)}`);
    }
  }

  /** Makes a group; ZSWAP_E_EXISTS when the name is taken, ZSWAP_E_OPTION past the bound. */
  add(name: string, o: ZswapGroupOptions): void {
    if (typeof name !== "string" || !NAME.test(name)) {
      optionBad(`a group name is 1-64 letters, digits, '_', '.' or '-', got ${String(name)}`);
    }
    if (this.#byName.has(name)) throw new ZswapExistsError(`group ${name} exists already`);
    if (this.#list.length >= ZSWAP_GROUPS_MAX) {
      optionBad(`at most ${ZSWAP_GROUPS_MAX} groups, the root included`);
    }
    Groups.#optionsCheck(o);
    this.#byName.set(name, this.#list.length);
    this.#list.push({
      name,
      maxBytes: o.maxBytes ?? Number.POSITIVE_INFINITY,
      writeback: o.writeback ?? true,
      bytes: 0,
      pages: 0,
      raw: 0,
      counts: countsNew(GROUP_COUNTERS),
      protectedPages: 0,
      debt: 0,
      hand: 1,
      credit: 0,
      typeMask: 0,
    });
  }

  /** Changes a group's tunables at run time, all or nothing. The root has none (as in cgroup v2). */
  configure(name: string, o: ZswapGroupOptions): void {
    const g = this.#list[this.idOf(name)]!;
    Groups.#optionsCheck(o);
    if (g.name === GROUP_ROOT) optionBad("the root group has no zswap.max or zswap.writeback");
    g.maxBytes = o.maxBytes ?? g.maxBytes;
    g.writeback = o.writeback ?? g.writeback;
    if (!g.writeback) this.#debtClear(g);
  }

  idOf(name: string): number {
    const id = this.#byName.get(name);
    if (id === undefined) throw new ZswapOptionError(`no group is named ${String(name)}`);
    return id;
  }

  get names(): string[] {
    return this.#list.map((g) => g.name);
  }

  /** Area `type` joins group `name` (at swapon). */
  attach(type: number, name: string): void {
    const id = this.idOf(name);
    this.#ofType[type] = id;
    this.#list[id]!.typeMask |= 1 << type;
    if (id !== 0) this.#grouped++;
  }

  /** Area `type` leaves its group (at swapoff, once its entries are gone). */
  detach(type: number): void {
    const id = this.#ofType[type]!;
    this.#list[id]!.typeMask &= ~(1 << type);
    if (id !== 0) this.#grouped--;
    this.#ofType[type] = 0;
  }

  writebackOn(type: number): boolean {
    return this.#list[this.#ofType[type]!]!.writeback;
  }

  // --- charging (obj_cgroup_may_zswap, obj_cgroup_charge_zswap, obj_cgroup_uncharge_zswap) ---

  /**
   * True when area `type`'s group may store `length` more bytes (0: the check before
   * compressing, whether the group is at its bound already). When it may not and its writeback
   * is on, one writeback of its oldest entry is asked for (shrink_memcg).
   */
  mayStore(type: number, length: number): boolean {
    const g = this.#list[this.#ofType[type]!]!;
    if (g.bytes + length <= g.maxBytes && (length > 0 || g.bytes < g.maxBytes)) return true;
    if (g.writeback && g.pages > g.debt) {
      g.debt++;
      this.#debtTotal++;
    }
    return false;
  }

  charge(type: number, length: number, raw: boolean): void {
    const g = this.#list[this.#ofType[type]!]!;
    g.bytes += length;
    g.pages++;
    if (raw) g.raw++;
    this.#protect(g);
  }

  uncharge(type: number, length: number, raw: boolean): void {
    const g = this.#list[this.#ofType[type]!]!;
    g.bytes -= length;
    g.pages--;
    if (raw) g.raw--;
  }

  /** An entry of area `type` was recompressed: `delta` bytes more (fewer when negative); raw no more. */
  recharge(type: number, delta: number, wasRaw: boolean): void {
    const g = this.#list[this.#ofType[type]!]!;
    g.bytes += delta;
    if (wasRaw) g.raw--;
  }

  /**
   * nr_zswap_protected: one more on each store and on each swap-in the device served (a page
   * written back too early), halved whenever it passes a quarter of the group's pages.
   */
  #protect(g: Group): void {
    g.protectedPages++;
    if (g.protectedPages > g.pages / 4) g.protectedPages = Math.floor(g.protectedPages / 2);
  }

  count(type: number, counter: GroupCounterName, n = 1): void {
    this.#list[this.#ofType[type]!]!.counts[counter] += n;
  }

  /** A load missed: the page is read from the device (zswap_folio_swapin). */
  missed(type: number): void {
    this.#protect(this.#list[this.#ofType[type]!]!);
  }

  // --- which LRU writeback takes from ---

  /** Some group declined a store over its bound and has asked for a writeback. */
  get wanted(): boolean {
    return this.#debtTotal > 0;
  }

  /** A writeback of e started: it pays one writeback its group asked for, if any. */
  started(t: EntryTable, e: EntryIndex): void {
    const g = this.#list[this.#ofType[t.type[e]]!]!;
    if (g.debt > 0) {
      g.debt--;
      this.#debtTotal--;
    }
  }

  /** The oldest entry writeback should look at next (see the head of this file); 0 for none. */
  lruOldest(t: EntryTable, groupsOnly: boolean): EntryIndex {
    if (!groupsOnly && this.#grouped === 0) return this.#global(t);
    for (let excluded = 0; ; ) {
      let id = this.#debtor(excluded);
      if (id === NO_CURSOR) {
        if (groupsOnly) return 0 as EntryIndex;
        id = this.#share(excluded);
        if (id === NO_CURSOR) return this.#global(t);
      }
      const g = this.#list[id]!;
      const e = t.lruOldestIn(g.hand, g.typeMask);
      if (e !== 0) {
        this.#cursor = id;
        g.hand = e;
        return e;
      }
      this.#debtClear(g); // nothing of it on the LRU now: what it asked for cannot be done
      this.#sharedLeft = 0;
      excluded |= 1 << id;
    }
  }

  /** Moves the hand past e, which the last lruOldest gave (its second chance). */
  lruRotate(t: EntryTable, e: EntryIndex): void {
    if (this.#cursor === NO_CURSOR) t.lruRotate(e);
    else this.#list[this.#cursor]!.hand = e + 1;
  }

  #global(t: EntryTable): EntryIndex {
    this.#cursor = NO_CURSOR;
    return t.lruOldest();
  }

  #debtClear(g: Group): void {
    this.#debtTotal -= g.debt;
    g.debt = 0;
  }

  static #eligible(g: Group, id: number, excluded: number): boolean {
    return g.writeback && g.pages > 0 && ((excluded >>> id) & 1) === 0;
  }

  /** A group that asked for writebacks and may give them, NO_CURSOR for none. */
  #debtor(excluded: number): number {
    if (this.#debtTotal === 0) return NO_CURSOR;
    const list = this.#list;
    for (let id = 0; id < list.length; id++) {
      const g = list[id]!;
      if (g.debt > 0 && Groups.#eligible(g, id, excluded)) return id;
    }
    return NO_CURSOR;
  }

  /**
   * A group by stride scheduling over freeable bytes, kept for SHARE_BATCH picks; NO_CURSOR when
   * no group holds bytes beyond its protection.
   */
  #share(excluded: number): number {
    const list = this.#list;
    const kept = this.#shared;
    if (this.#sharedLeft > 0 && Groups.#eligible(list[kept]!, kept, excluded)) {
      this.#sharedLeft--;
      return kept;
    }
    let total = 0;
    for (let id = 0; id < list.length; id++) {
      const g = list[id]!;
      if (Groups.#eligible(g, id, excluded)) total += Groups.#freeable(g);
    }
    if (total === 0) return NO_CURSOR;
    let best = NO_CURSOR;
    for (let id = 0; id < list.length; id++) {
      const g = list[id]!;
      if (!Groups.#eligible(g, id, excluded)) continue;
      g.credit += Groups.#freeable(g) / total;
      if (best === NO_CURSOR || g.credit > list[best]!.credit) best = id;
    }
    list[best]!.credit -= 1;
    this.#shared = best;
    this.#sharedLeft = SHARE_BATCH - 1;
    return best;
  }

  /** zswap_shrinker_count: pages beyond protection, scaled by the group's compression. */
  static #freeable(g: Group): number {
    const pages = Math.max(0, g.pages - g.protectedPages);
    return g.pages === 0 ? 0 : (pages * g.bytes) / g.pages;
  }

  // --- stats ---

  stats(name: string): ZswapGroupStats {
    const g = this.#list[this.idOf(name)]!;
    return {
      ...g.counts,
      zswap: g.bytes,
      zswapped: g.pages * PAGE_SIZE,
      zswap_incomp: g.raw,
      zswap_max: g.maxBytes,
      zswap_writeback: g.writeback ? 1 : 0,
    };
  }
}
