// zswap/: Zswap.store and Zswap.load per codec, each divided by the raw codec's own figure on
// the same pages in the same run: what the cache adds to compression (index, entry table,
// LRU, pool allocation and the copy into it), while the cache fills and in a steady state. And
// what the hot path allocates on the JS heap, for every codec.

import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../../src/constants.ts";
import { Zswap } from "../../src/zswap/index.ts";
import type { Context } from "../lib/context.ts";
import { packChunks } from "../lib/pack.ts";
import { bytes, heading, note, num, rate, ratioNearTarget, table, verdict } from "../lib/report.ts";
import { type HeapCost, heapCost, median, roundsTime } from "../lib/timing.ts";
import { groupsBench } from "./groups.bench.ts";

/** The cache's share of a store or a load may cost at most this much of the codec's speed. */
const SPEED_TARGET = 0.95;
/** Codecs the targets apply to. */
const TARGET_CODECS = ["lz4", "zstd"];
/** The allocation run stops at Sizes.hotPathPairs pairs or after this long, whichever is first. */
const ALLOCATION_RUN_MS = 4000;
/**
 * Unmeasured pairs run first for at least this long, so that V8 has compiled the loop: its
 * compiled code is on the heap too, and would count as allocation (100 KiB or so).
 */
const ALLOCATION_WARMUP_MS = 500;

interface Figures {
  codec: string;
  stored: number;
  /** Pages per second: [raw codec, zswap] for each of the four passes. */
  fillStore: [number, number];
  fillLoad: [number, number];
  steadyStore: [number, number];
  steadyLoad: [number, number];
  heap: { fillStore: HeapCost; fillLoad: HeapCost; steadyStore: HeapCost; steadyLoad: HeapCost };
  /** Steady load+store pairs under the heap profiler, and how many ran. */
  pairs: HeapCost;
  pairsRun: number;
  /** Growth of V8's external memory (ArrayBuffers included) over those pairs. */
  externalGrowth: number;
}

/** The corpus compressed as zswap would: the pages that shrink, packed back to back. */
function packedMake(name: string, pages: readonly Uint8Array[], limit: number) {
  const codec = compressorCreate(name);
  const dst = Buffer.allocUnsafe(COMPRESS_BUFFER_BYTES);
  const storedIndex: number[] = [];
  const chunks: Uint8Array[] = [];
  pages.forEach((page, i) => {
    const length = codec.compress(page, dst, limit);
    if (length <= 0) return;
    storedIndex.push(i);
    chunks.push(new Uint8Array(dst.subarray(0, length))); // a copy (Buffer#slice is a view)
  });
  const { bytes: packed, at } = packChunks(chunks);
  return { codec, dst, stored: Uint32Array.from(storedIndex), at, packed };
}

function codecBench(ctx: Context, name: string): Figures {
  const pages = ctx.corpus.pages;
  const n = pages.length;
  const zswap = new Zswap({ compressor: name, maxPoolBytes: 2 * n * PAGE_SIZE });
  zswap.swapon(0, n);
  const limit = Math.floor((PAGE_SIZE * zswap.options.maxCompressionRatio) / 100);
  // The raw codec, called as zswap calls it: same pages, same limit, a reused buffer.
  const { codec, dst, stored, at, packed } = packedMake(name, pages, limit);
  const m = stored.length;
  const out = new Uint8Array(PAGE_SIZE);
  // The steady passes work on every other stored page; the others stay in the cache throughout.
  const half = stored.filter((_, k) => k % 2 === 0);
  const halfK = Uint32Array.from({ length: half.length }, (_, j) => 2 * j);

  const rawStore = () => {
    for (let i = 0; i < n; i++) codec.compress(pages[i], dst, limit);
  };
  const rawLoad = () => {
    for (let k = 0; k < m; k++) codec.decompress(packed, at[k], at[k + 1], out);
  };
  const zswapStore = () => {
    for (let i = 0; i < n; i++) zswap.store(0, i, pages[i]);
  };
  // Exclusive loads (the default) free each entry: after the pass the cache is empty again.
  const zswapLoad = () => {
    for (let k = 0; k < m; k++) zswap.load(0, stored[k], out);
  };
  const rawHalfStore = () => {
    for (const i of half) codec.compress(pages[i], dst, limit);
  };
  const rawHalfLoad = () => {
    for (const k of halfK) codec.decompress(packed, at[k], at[k + 1], out);
  };
  const zswapHalfStore = () => {
    for (const i of half) zswap.store(0, i, pages[i]);
  };
  const zswapHalfLoad = () => {
    for (const i of half) zswap.load(0, i, out);
  };

  // The cache must take exactly the pages the codec shrank under the limit, and give them back.
  for (let k = 0; k < m; k++) {
    const produced = codec.decompress(packed, at[k], at[k + 1], out);
    if (produced !== PAGE_SIZE || !Buffer.from(out).equals(pages[stored[k]])) {
      throw new Error(`${name}: page ${stored[k]} did not decompress to itself`);
    }
  }
  zswapStore();
  if (zswap.stats().stored_pages !== m) {
    throw new Error(`${name}: zswap stored ${zswap.stats().stored_pages} pages, the codec ${m}`);
  }
  for (let k = 0; k < m; k++) {
    if (!zswap.load(0, stored[k], out) || !Buffer.from(out).equals(pages[stored[k]])) {
      throw new Error(`${name}: page ${stored[k]} did not come back from zswap`);
    }
  }

  const fill = roundsTime([rawStore, zswapStore, rawLoad, zswapLoad], ctx.sizes.plan, 0);
  // Steady: the cache holds every page; a round loads half of them (freeing their entries) and
  // stores them again, so their pool slots are reused and occupancy swings between 1/2 and 1.
  zswapStore();
  const steady = roundsTime(
    [rawHalfLoad, zswapHalfLoad, rawHalfStore, zswapHalfStore],
    ctx.sizes.plan,
  );
  const pairs = pairsRun(zswap, half, out, ctx.sizes.hotPathPairs);
  zswap.swapoff(0);

  const perSecond = (ms: number[], count: number) => count / (median(ms) / 1000);
  const [fs, fz, ls, lz] = fill.times;
  const [sls, slz, sss, ssz] = steady.times;
  return {
    codec: name,
    stored: m,
    fillStore: [perSecond(fs, n), perSecond(fz, n)],
    fillLoad: [perSecond(ls, m), perSecond(lz, m)],
    steadyStore: [perSecond(sss, half.length), perSecond(ssz, half.length)],
    steadyLoad: [perSecond(sls, half.length), perSecond(slz, half.length)],
    heap: {
      fillStore: fill.heap[1],
      fillLoad: fill.heap[3],
      steadyStore: steady.heap[3],
      steadyLoad: steady.heap[1],
    },
    ...pairs,
  };
}

/**
 * Steady load+store pairs on a full cache under the heap profiler: up to `pairsMax`, or as many
 * as ALLOCATION_RUN_MS allows (the slow codecs), in batches of the pages given.
 */
function pairsRun(zswap: Zswap, half: Uint32Array, out: Uint8Array, pairsMax: number) {
  const external = () => process.memoryUsage().external;
  const warmupStarted = performance.now();
  do {
    for (const i of half) {
      zswap.load(0, i, out);
      zswap.store(0, i, out);
    }
  } while (performance.now() - warmupStarted < ALLOCATION_WARMUP_MS);
  const externalBefore = external();
  let pairsRun = 0;
  const started = performance.now();
  const { cost } = heapCost(() => {
    while (pairsRun < pairsMax && performance.now() - started < ALLOCATION_RUN_MS) {
      for (let j = 0; j < half.length && pairsRun < pairsMax; j++, pairsRun++) {
        zswap.load(0, half[j], out);
        zswap.store(0, half[j], out);
      }
    }
  });
  return { pairs: cost, pairsRun, externalGrowth: external() - externalBefore };
}

/** Heap bytes allocated per operation. */
function perOp(cost: HeapCost, ops: number): string {
  return num(cost.allocatedBytes / Math.max(1, ops));
}

/** A speed cell: zswap's pages/s and its ratio to the raw codec's, with the target's verdict. */
function speedCells(f: Figures, pass: [number, number]): string[] {
  const r = pass[1] / pass[0];
  const target = TARGET_CODECS.includes(f.codec);
  return [
    `${rate(pass[0])} / ${rate(pass[1])}`,
    target
      ? `${ratioNearTarget(r, SPEED_TARGET)}: ${verdict(r, SPEED_TARGET, "floor")}`
      : ratioNearTarget(r, SPEED_TARGET),
  ];
}

export function zswapBench(ctx: Context): void {
  heading("zswap/: store and load against the raw codec");
  const { plan } = ctx.sizes;
  const n = ctx.corpus.pages.length;
  note(
    `Method: one Zswap per codec (defaults: maxCompressionRatio 80, incompressible pages ` +
      `rejected, exclusive loads), pool bound 2× the corpus so nothing is refused for room, one ` +
      `swap area of ${n} slots. Filling: a store pass stores every corpus page to its own ` +
      `offset into an empty cache, a load pass loads back every stored page (freeing it), so the ` +
      `cache fills and empties each round, as when a pool grows (its arenas keep or take back ` +
      `their chunks, as a pool that refills does). Steady: with the cache full, a load pass loads ` +
      `every other stored page (freeing it) and a store pass stores those pages again, so their ` +
      `pool slots are reused and occupancy swings between a half and all. The raw passes call ` +
      `the same codec the same way (same limit, a reused buffer, decompressing from one packed ` +
      `buffer) on the same pages. Passes to be compared run interleaved, ${plan.passesMin}..` +
      `${plan.passesMax} rounds (more while under ${plan.budgetMs} ms) after a checked warm-up ` +
      `(every stored page must come back intact from the codec and from zswap); figures are ` +
      `median passes. Ratio = zswap pages/s ÷ raw codec pages/s; target >= ${SPEED_TARGET} for ` +
      `${TARGET_CODECS.join(" and ")}.`,
  );
  const all = ctx.codecs.map((name) => codecBench(ctx, name));
  table(
    [
      "codec",
      "pages stored",
      "filling store: raw / zswap pages/s",
      "÷ raw",
      "filling load: raw / zswap",
      "÷ raw",
      "steady store: raw / zswap",
      "÷ raw",
      "steady load: raw / zswap",
      "÷ raw",
    ],
    all.map((f) => [
      f.codec,
      f.stored,
      ...speedCells(f, f.fillStore),
      ...speedCells(f, f.fillLoad),
      ...speedCells(f, f.steadyStore),
      ...speedCells(f, f.steadyLoad),
    ]),
  );
  for (const f of all.filter((x) => TARGET_CODECS.includes(x.codec))) {
    const cell = (what: string, pass: [number, number]) => {
      const r = pass[1] / pass[0];
      return `${what} ${ratioNearTarget(r, SPEED_TARGET)} (${verdict(r, SPEED_TARGET, "floor")})`;
    };
    ctx.headlines.push(
      `zswap ${f.codec} ÷ raw codec, target >= ${SPEED_TARGET}: ${cell("filling store", f.fillStore)}, ` +
        `${cell("filling load", f.fillLoad)}, ${cell("steady store", f.steadyStore)}, ` +
        `${cell("steady load", f.steadyLoad)}`,
    );
  }
  allocationReport(ctx, all);
  groupsBench(ctx);
}

function allocationReport(ctx: Context, all: readonly Figures[]): void {
  note(
    `Allocation on the hot path: v8.GCProfiler around each timed pass of the last round, and ` +
      `around a run of steady load+store pairs on a full cache, after ${ALLOCATION_WARMUP_MS} ms of ` +
      `unmeasured ones (V8's compiled code is on its heap too) (up to ` +
      `${num(ctx.sizes.hotPathPairs)} pairs or ${ALLOCATION_RUN_MS} ms). Bytes allocated on the ` +
      `JS heap = growth + what every GC in between reclaimed, per operation; every Buffer or ` +
      `typed array made per page shows there (64 bytes or more each), its memory outside the heap ` +
      `too. External growth: V8's external memory (ArrayBuffers included) after the pairs less ` +
      `before, for memory the codecs' bindings keep. Target: no allocation per page (under 1 B ` +
      `per pair).`,
  );
  table(
    [
      "codec",
      "filling store B/page",
      "filling load B/page",
      "steady store B/page",
      "steady load B/page",
      "pairs run",
      "JS heap per pair",
      "GCs",
      "GC ms",
      "external growth",
      "target: < 1 B per pair",
    ],
    all.map((f) => {
      const perPair = f.pairs.allocatedBytes / Math.max(1, f.pairsRun);
      return [
        f.codec,
        perOp(f.heap.fillStore, ctx.corpus.pages.length),
        perOp(f.heap.fillLoad, f.stored),
        perOp(f.heap.steadyStore, Math.ceil(f.stored / 2)),
        perOp(f.heap.steadyLoad, Math.ceil(f.stored / 2)),
        f.pairsRun,
        `${num(perPair)} B`,
        f.pairs.gcCount,
        num(f.pairs.gcMs),
        bytes(f.externalGrowth),
        verdict(perPair, 1, "ceiling"),
      ];
    }),
  );
  const missed = all.filter((f) => f.pairs.allocatedBytes / Math.max(1, f.pairsRun) >= 1);
  ctx.headlines.push(
    `zswap hot path, JS heap allocated per steady load+store pair: ` +
      all
        .map((f) => `${f.codec} ${num(f.pairs.allocatedBytes / Math.max(1, f.pairsRun))} B`)
        .join(", ") +
      `; target < 1 B: ${missed.length === 0 ? "met" : `missed for ${missed.map((f) => f.codec).join(", ")}`}`,
  );
}
