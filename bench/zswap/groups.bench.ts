// zswap/ groups: what groups cost, measured against the same work without them in one run.
// 1. The hot path: steady store and load with the area in a bounded group (both charge checks,
//    the group's counters) against the area in the root, on the default codec.
// 2. Writeback's pick: the next entry to write back from a CLOCK of R rows, through the global
//    hand, and through the hands of groups taken in proportion (groups.ts), for groups of equal
//    shares and for a group holding 1% of the rows (its hand skips the others' rows).

import { PAGE_SIZE } from "../../src/constants.ts";
import type { SwapOffset, SwapType } from "../../src/types.ts";
import { EntryTable, REFERENCED } from "../../src/zswap/entries.ts";
import { Groups } from "../../src/zswap/groups.ts";
import { Zswap } from "../../src/zswap/index.ts";
import type { Context } from "../lib/context.ts";
import { heading, note, num, rate, ratio, table } from "../lib/report.ts";
import { median, roundsTime } from "../lib/timing.ts";

/** Rows of the pick benchmark's table. */
const PICK_ROWS = 262_144;
/** Picks a pass makes. */
const PICKS = 100_000;

/** A full cache of the corpus in area 0, in group `group` (the root when undefined). */
function cacheFull(ctx: Context, group: string | undefined): Zswap {
  const n = ctx.corpus.pages.length;
  const z = new Zswap({ compressor: ctx.defaultCodec, maxPoolBytes: 2 * n * PAGE_SIZE });
  if (group !== undefined) z.groupAdd(group, { maxBytes: 2 * n * PAGE_SIZE });
  z.swapon(0, n, undefined, group);
  for (let i = 0; i < n; i++) z.store(0, i, ctx.corpus.pages[i]!);
  return z;
}

function hotPath(ctx: Context) {
  const out = new Uint8Array(PAGE_SIZE);
  const plain = cacheFull(ctx, undefined);
  const grouped = cacheFull(ctx, "tenant");
  const half = ctx.corpus.pages.map((_, i) => i).filter((i) => i % 2 === 0);
  const loads = (z: Zswap) => () => {
    for (const i of half) z.load(0, i, out);
  };
  const stores = (z: Zswap) => () => {
    for (const i of half) z.store(0, i, ctx.corpus.pages[i]!);
  };
  const { times } = roundsTime(
    [loads(plain), loads(grouped), stores(plain), stores(grouped)],
    ctx.sizes.plan,
  );
  plain.swapoff(0);
  grouped.swapoff(0);
  const perSecond = (ms: number[]) => half.length / (median(ms) / 1000);
  return {
    load: [perSecond(times[0]!), perSecond(times[1]!)],
    store: [perSecond(times[2]!), perSecond(times[3]!)],
  };
}

/** A table of PICK_ROWS unreferenced entries; row r in area types[r % types.length]. */
function tableFill(types: readonly number[]): EntryTable {
  const t = new EntryTable();
  for (let r = 0; r < PICK_ROWS; r++) {
    const e = t.rowPeek();
    t.entryAlloc(e, types[r % types.length]! as SwapType, r as SwapOffset, 0, false, 0);
    t.flags[e]! &= ~REFERENCED;
    t.lruAdd(e);
  }
  return t;
}

/** ns per pick: the oldest entry and its rotation, as writeback passes an entry by. */
function picks(pick: () => number, rotate: (e: number) => void, ctx: Context): number {
  const pass = () => {
    for (let i = 0; i < PICKS; i++) rotate(pick());
  };
  const { times } = roundsTime([pass], ctx.sizes.plan);
  return (median(times[0]!) * 1e6) / PICKS;
}

function pickCosts(ctx: Context) {
  const global = tableFill([0]);
  const globalNs = picks(
    () => global.lruOldest(),
    (e) => global.lruRotate(e as never),
    ctx,
  );
  const run = (types: number[], groupsOf: string[]) => {
    const t = tableFill(types);
    const g = new Groups();
    for (const name of new Set(groupsOf)) if (name !== "root") g.add(name, {});
    for (const [type, name] of groupsOf.entries()) g.attach(type, name);
    for (let r = 0; r < PICK_ROWS; r++) g.charge(types[r % types.length]!, 1000, false);
    return picks(
      () => g.lruOldest(t, false),
      (e) => g.lruRotate(t, e as never),
      ctx,
    );
  };
  // Four groups of equal shares, rows interleaved.
  const equalNs = run([0, 1, 2, 3], ["a", "b", "c", "d"]);
  // A group of 1% of the rows beside one of 99%: half the picks go to each only if their bytes
  // beyond protection are equal; here the shares follow the rows, so the small group's hand
  // skips about 99 rows a pick, 1% of the time.
  const skew = Array.from({ length: 100 }, (_, i) => (i === 0 ? 1 : 0));
  const skewNs = run(skew, ["big", "small"]);
  return { globalNs, equalNs, skewNs };
}

export function groupsBench(ctx: Context): void {
  heading("zswap/: groups against none", 3);
  note(
    `Method: (1) two caches of the corpus (${ctx.defaultCodec}, pool 2× the corpus), one with its ` +
      `area in the root, one in a group bounded at 2× the corpus (so nothing is refused); steady ` +
      `passes load every other page (freeing it) and store it again, interleaved, median passes. ` +
      `(2) an entry table of ${num(PICK_ROWS)} unreferenced entries; a pass makes ${num(PICKS)} ` +
      `picks of writeback's next entry, each rotated as writeback passes an entry by: through ` +
      `the global CLOCK (no groups), through four groups of equal shares (rows interleaved), and ` +
      `through a group of 1% of the rows beside one of 99%. A row's group is its area's: no ` +
      `byte per row.`,
  );
  const hot = hotPath(ctx);
  const pick = pickCosts(ctx);
  table(
    ["pass", "no groups", "groups", "groups ÷ none"],
    [
      [
        "steady store, pages/s",
        rate(hot.store[0]!),
        rate(hot.store[1]!),
        ratio(hot.store[1]! / hot.store[0]!),
      ],
      [
        "steady load, pages/s",
        rate(hot.load[0]!),
        rate(hot.load[1]!),
        ratio(hot.load[1]! / hot.load[0]!),
      ],
      [
        "pick, 4 equal groups, ns",
        num(pick.globalNs),
        num(pick.equalNs),
        ratio(pick.equalNs / pick.globalNs),
      ],
      [
        "pick, 1% + 99% groups, ns",
        num(pick.globalNs),
        num(pick.skewNs),
        ratio(pick.skewNs / pick.globalNs),
      ],
    ],
  );
  ctx.headlines.push(
    `zswap groups ÷ none: steady store ${ratio(hot.store[1]! / hot.store[0]!)}, steady load ` +
      `${ratio(hot.load[1]! / hot.load[0]!)}; writeback's pick ${num(pick.equalNs)} ns (4 groups) ` +
      `and ${num(pick.skewNs)} ns (1% + 99%) against ${num(pick.globalNs)} ns (global CLOCK)`,
  );
}
