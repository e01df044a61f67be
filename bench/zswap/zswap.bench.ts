// zswap/: Zswap.store and Zswap.load per codec, each divided by the raw codec's own figure on
// the same pages in the same run: what the cache adds to compression (index, entry table,
// LRU, pool allocation and the copy into it). And what the hot path allocates on the JS heap.

import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../../src/constants.ts";
import { Zswap } from "../../src/zswap/index.ts";
import type { Context } from "../lib/context.ts";
import { packChunks } from "../lib/pack.ts";
import {
  bytes,
  heading,
  note,
  num,
  rate,
  ratio,
  ratioNearTarget,
  table,
  verdict,
} from "../lib/report.ts";
import { type HeapCost, heapCost, median, roundsTime } from "../lib/timing.ts";

/** The cache's share of a store or load may cost at most this much of the codec's speed. */
const STORE_TARGET = 0.9;
const LOAD_TARGET = 0.9;
/** Codecs the targets apply to. */
const TARGET_CODECS = ["lz4", "lzo"];

interface Figures {
  codec: string;
  stored: number;
  rawStore: number;
  zswapStore: number;
  rawLoad: number;
  zswapLoad: number;
  heap: { rawStore: HeapCost; zswapStore: HeapCost; rawLoad: HeapCost; zswapLoad: HeapCost };
  /** Pairs per second: one load then one store of the same page, at constant occupancy. */
  rawPair: number;
  zswapPair: number;
  /** The heap cost of one pass of such pairs (one per stored page). */
  steady: HeapCost;
  /** The heap cost of Sizes.hotPathPairs such pairs (codecs with targets only). */
  long: HeapCost | undefined;
}

function codecBench(ctx: Context, name: string): Figures {
  const pages = ctx.corpus.pages;
  const n = pages.length;
  const zswap = new Zswap({ compressor: name, maxPoolBytes: 2 * n * PAGE_SIZE });
  zswap.swapon(0, n);
  const limit = Math.floor((PAGE_SIZE * zswap.options.maxCompressionRatio) / 100);

  // The raw codec, called as zswap calls it: same pages, same limit, a reused buffer.
  const codec = compressorCreate(name);
  const dst = Buffer.allocUnsafe(COMPRESS_BUFFER_BYTES);
  const out = new Uint8Array(PAGE_SIZE);
  const storedIndex: number[] = [];
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const length = codec.compress(pages[i], dst, limit);
    if (length > 0) {
      storedIndex.push(i);
      chunks.push(new Uint8Array(dst.subarray(0, length))); // a copy (Buffer#slice is a view)
    }
  }
  const stored = Uint32Array.from(storedIndex);
  const { bytes: packed, at } = packChunks(chunks);
  const m = stored.length;

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

  for (let k = 0; k < m; k++) {
    const produced = codec.decompress(packed, at[k], at[k + 1], out);
    if (produced !== PAGE_SIZE || !Buffer.from(out).equals(pages[stored[k]])) {
      throw new Error(`${name}: page ${stored[k]} did not decompress to itself`);
    }
  }

  // The cache must take exactly the pages the codec shrank under the limit, and give them back
  // (this also warms every pass up).
  zswapStore();
  if (zswap.stats().stored_pages !== m) {
    throw new Error(`${name}: zswap stored ${zswap.stats().stored_pages} pages, the codec ${m}`);
  }
  for (let k = 0; k < m; k++) {
    if (!zswap.load(0, stored[k], out) || !Buffer.from(out).equals(pages[stored[k]])) {
      throw new Error(`${name}: page ${stored[k]} did not come back from zswap`);
    }
  }

  const rounds = roundsTime([rawStore, zswapStore, rawLoad, zswapLoad], ctx.sizes.plan, 0);
  const [rs, zs, rl, zl] = rounds.times;
  const [hrs, hzs, hrl, hzl] = rounds.heap;
  const heap = { rawStore: hrs, zswapStore: hzs, rawLoad: hrl, zswapLoad: hzl };

  // Steady state: the cache holds the corpus; each step loads a page (freeing its entry) and
  // stores it again, so its pool slot is reused and no zspage is made or dropped. Baseline: the
  // raw codec decompressing then compressing the same page.
  zswapStore();
  const rawPair = () => {
    for (let k = 0; k < m; k++) {
      codec.decompress(packed, at[k], at[k + 1], out);
      codec.compress(out, dst, limit);
    }
  };
  const zswapPair = () => {
    for (let k = 0; k < m; k++) {
      zswap.load(0, stored[k], out);
      zswap.store(0, stored[k], out);
    }
  };
  const pairs = roundsTime([rawPair, zswapPair], ctx.sizes.plan);
  // And a long run of them for the codecs with targets, long enough for GCs to show.
  let long: HeapCost | undefined;
  if (TARGET_CODECS.includes(name)) {
    long = heapCost(() => {
      for (let j = 0; j < ctx.sizes.hotPathPairs; j++) {
        const i = stored[j % m];
        zswap.load(0, i, out);
        zswap.store(0, i, out);
      }
    }).cost;
  }
  zswap.swapoff(0);

  return {
    codec: name,
    stored: m,
    rawStore: n / (median(rs) / 1000),
    zswapStore: n / (median(zs) / 1000),
    rawLoad: m / (median(rl) / 1000),
    zswapLoad: m / (median(zl) / 1000),
    heap,
    rawPair: m / (median(pairs.times[0]) / 1000),
    zswapPair: m / (median(pairs.times[1]) / 1000),
    steady: pairs.heap[1],
    long,
  };
}

/** Heap bytes allocated per operation. */
function perOp(cost: HeapCost, ops: number): string {
  return num(cost.allocatedBytes / Math.max(1, ops));
}

/** GC time per million operations, ms. */
function gcPerMillion(cost: HeapCost, ops: number): string {
  return num((cost.gcMs * 1e6) / Math.max(1, ops));
}

export function zswapBench(ctx: Context): void {
  heading("zswap/: store and load against the raw codec");
  const { plan } = ctx.sizes;
  const n = ctx.corpus.pages.length;
  note(
    `Method: one Zswap per codec (defaults: maxCompressionRatio 80, incompressible pages ` +
      `rejected, exclusive loads), pool bound 2× the corpus so nothing is refused for room, one ` +
      `swap area of ${n} slots. Fill: a store pass stores every corpus page to its own offset, ` +
      `a load pass loads back every stored page (freeing it), so each round starts from an ` +
      `empty cache and every zspage is made anew, as when a real pool grows. Steady: with the ` +
      `cache full, each stored page is loaded (freed) and stored again, so its pool slot is ` +
      `reused and no zspage comes or goes. The raw passes call the same codec the same way ` +
      `(same limit, a reused buffer, decompressing from one packed buffer) on the same pages. ` +
      `Passes to be compared run interleaved, ${plan.passesMin}..${plan.passesMax} rounds (more ` +
      `while under ${plan.budgetMs} ms) after a checked warm-up (every stored page must come ` +
      `back intact from the codec and from zswap); figures are median passes. Ratio = zswap ` +
      `pages/s ÷ raw codec pages/s.`,
  );
  const all = ctx.codecs.map((name) => codecBench(ctx, name));
  table(
    [
      "codec",
      "pages stored",
      "raw compress pages/s",
      "store pages/s",
      "store ÷ raw",
      "raw decompress pages/s",
      "load pages/s",
      "load ÷ raw",
      "steady pairs/s",
      "÷ raw pair",
      "target: store, load >= 0.90",
    ],
    all.map((f) => {
      const s = f.zswapStore / f.rawStore;
      const l = f.zswapLoad / f.rawLoad;
      const target = TARGET_CODECS.includes(f.codec)
        ? `${verdict(s, STORE_TARGET, "floor")}, ${verdict(l, LOAD_TARGET, "floor")}`
        : "(no target)";
      return [
        f.codec,
        f.stored,
        rate(f.rawStore),
        rate(f.zswapStore),
        ratioNearTarget(s, STORE_TARGET),
        rate(f.rawLoad),
        rate(f.zswapLoad),
        ratioNearTarget(l, LOAD_TARGET),
        rate(f.zswapPair),
        ratio(f.zswapPair / f.rawPair),
        target,
      ];
    }),
  );
  for (const f of all) {
    if (!TARGET_CODECS.includes(f.codec)) continue;
    const s = f.zswapStore / f.rawStore;
    const l = f.zswapLoad / f.rawLoad;
    ctx.headlines.push(
      `zswap ${f.codec}: store ${ratioNearTarget(s, STORE_TARGET)} × raw compress (target >= ` +
        `${STORE_TARGET}: ${verdict(s, STORE_TARGET, "floor")}), load ` +
        `${ratioNearTarget(l, LOAD_TARGET)} × raw decompress (target >= ` +
        `${LOAD_TARGET}: ${verdict(l, LOAD_TARGET, "floor")}); steady load+store ` +
        `${ratio(f.zswapPair / f.rawPair)} × raw`,
    );
  }

  note(
    `Allocation on the hot path: v8.GCProfiler around each pass of the last round; bytes ` +
      `allocated on the JS heap = growth + what every GC in between reclaimed, per page; GC ` +
      `time is the pauses' total, scaled to a million operations (0 when no GC fell in the ` +
      `pass). Fill passes make every zspage anew (JS objects each: see memory below); ` +
      `the steady pass makes none, so what it allocates is per page.`,
  );
  table(
    [
      "codec",
      "raw compress B/page",
      "store B/page",
      "store GC ms /1M",
      "raw decompress B/page",
      "load B/page",
      "load GC ms /1M",
      "steady B/pair",
      "steady GC ms /1M pairs",
    ],
    all.map((f) => [
      f.codec,
      perOp(f.heap.rawStore, n),
      perOp(f.heap.zswapStore, n),
      gcPerMillion(f.heap.zswapStore, n),
      perOp(f.heap.rawLoad, f.stored),
      perOp(f.heap.zswapLoad, f.stored),
      gcPerMillion(f.heap.zswapLoad, f.stored),
      perOp(f.steady, f.stored),
      gcPerMillion(f.steady, f.stored),
    ]),
  );
  const pairs = ctx.sizes.hotPathPairs;
  note(
    `Hot path over ${num(pairs)} steady load+store pairs in one run (codecs with targets), ` +
      `under v8.GCProfiler:`,
  );
  const long = all.filter((f) => f.long !== undefined);
  table(
    ["codec", "JS heap allocated", "per pair", "GCs", "GC ms", "GC ms per million pairs"],
    long.map((f) => {
      const h = f.long!;
      return [
        f.codec,
        bytes(h.allocatedBytes),
        `${num(h.allocatedBytes / pairs)} B`,
        h.gcCount,
        num(h.gcMs),
        num((h.gcMs * 1e6) / pairs),
      ];
    }),
  );
  for (const f of long) {
    const h = f.long!;
    ctx.headlines.push(
      `zswap ${f.codec} hot path: ${num(h.allocatedBytes / pairs)} B of JS heap allocated per ` +
        `load+store pair in steady state (the raw codec alone: ${perOp(f.heap.rawStore, n)} B ` +
        `per compress, ${perOp(f.heap.rawLoad, f.stored)} B per decompress), ` +
        `${num((h.gcMs * 1e6) / pairs)} ms of GC per million pairs; target: no allocation ` +
        `per page: ${h.allocatedBytes / pairs < 1 ? "met" : "missed"}`,
    );
  }
}
