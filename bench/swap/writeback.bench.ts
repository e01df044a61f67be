// writeback: a working set twice the pool, swapped in and out through SwapSpace, for each
// full-pool policy (reject, wait) with and without the shrinker, over each device; against disk
// only (no zswap) on the same device and sequence, and against an exact LRU of the same capacity
// simulated on the same sequence (how close writeback's order comes to LRU's).

import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../../src/constants.ts";
import {
  FaultyDevice,
  FileDevice,
  LATENCY_PRESETS,
  latencyDescribe,
  MemoryDevice,
  type SwapDevice,
} from "../../src/device/index.ts";
import { Random } from "../../src/random.ts";
import { countsNew, ZSWAP_COUNTERS } from "../../src/stats/index.ts";
import { type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import { Zswap } from "../../src/zswap/index.ts";
import type { Context } from "../lib/context.ts";
import {
  bytes,
  heading,
  line,
  note,
  num,
  percent,
  rate,
  ratio,
  table,
  verdict,
} from "../lib/report.ts";
import { percentile } from "../lib/timing.ts";

/** zswap's hit ratio over the exact LRU's, on the same sequence and capacity. */
const LRU_TARGET = 0.95;
/** Zipf exponent of page popularity. */
const ZIPF_SKEW = 1;

interface Policy {
  label: string;
  zswap: boolean;
  whenFull: "reject" | "wait";
  shrinker: boolean;
}

const POLICIES: readonly Policy[] = [
  { label: "disk only (baseline)", zswap: false, whenFull: "reject", shrinker: false },
  { label: "reject", zswap: true, whenFull: "reject", shrinker: false },
  { label: "reject + shrinker", zswap: true, whenFull: "reject", shrinker: true },
  { label: "wait", zswap: true, whenFull: "wait", shrinker: false },
  { label: "wait + shrinker", zswap: true, whenFull: "wait", shrinker: true },
];

interface DeviceKind {
  label: string;
  open: (slots: number) => Promise<SwapDevice>;
}

interface Workload {
  /** Page p of the working set holds this corpus page. */
  pageOf: (p: number) => Uint8Array;
  /** 1 when zswap would take page p (it shrinks under the limit). */
  admitted: Uint8Array;
  /** Page ids: the first `warm` accesses are not measured. */
  sequence: Uint32Array;
  warm: number;
  pages: number;
  poolBytes: number;
  compressedBytes: number;
}

interface RunResult {
  policy: Policy;
  accesses: number;
  seconds: number;
  inUs: Float64Array;
  outUsMean: number;
  zswapHits: number;
  deviceReads: number;
  deviceWrites: number;
  writtenBack: number;
  rejects: number;
  /** Mean stored pages over the measured accesses: the LRU's capacity. */
  storedMean: number;
  poolPeak: number;
  poolBound: number;
  lruHits: number;
}

/** Zipf(skew) over `pages`, popularity ranks scattered over the pages by a seeded permutation. */
function zipfSequence(pages: number, count: number, seed: number): Uint32Array {
  const rng = new Random(seed);
  const cdf = new Float64Array(pages);
  let sum = 0;
  for (let k = 0; k < pages; k++) {
    sum += 1 / (k + 1) ** ZIPF_SKEW;
    cdf[k] = sum;
  }
  const perm = Uint32Array.from({ length: pages }, (_, i) => i);
  for (let i = pages - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const x = rng.next() * sum;
    let lo = 0;
    let hi = pages - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    out[i] = perm[lo];
  }
  return out;
}

function workloadMake(ctx: Context): Workload {
  const pages = ctx.sizes.workingSetPages;
  const corpus = ctx.corpus.pages;
  const pageOf = (p: number) => corpus[p % corpus.length];
  const codec = compressorCreate(ctx.defaultCodec);
  const limit = Math.floor(
    (PAGE_SIZE * new Zswap({ compressor: ctx.defaultCodec }).options.maxCompressionRatio) / 100,
  );
  const dst = Buffer.allocUnsafe(COMPRESS_BUFFER_BYTES);
  const admitted = new Uint8Array(pages);
  let compressedBytes = 0;
  for (let p = 0; p < pages; p++) {
    const n = codec.compress(pageOf(p), dst, limit);
    admitted[p] = n > 0 ? 1 : 0;
    compressedBytes += n;
  }
  const warm = pages;
  return {
    pageOf,
    admitted,
    sequence: zipfSequence(pages, warm + ctx.sizes.accesses, ctx.options.seed),
    warm,
    pages,
    poolBytes: Math.max(64 * PAGE_SIZE, Math.floor(compressedBytes / 2)),
    compressedBytes,
  };
}

/**
 * Hits of an exact LRU cache of `capacity` pages on the same events, counted over the accesses
 * from `warm` to `end`: swap-out inserts the page as newest (if zswap would take it at all),
 * evicting the oldest beyond capacity; swap-in hits if the page is there and removes it
 * (exclusive, like zswap's loads).
 */
function lruHits(w: Workload, end: number, capacity: number): number {
  const NONE = -1;
  const prev = new Int32Array(w.pages).fill(NONE);
  const next = new Int32Array(w.pages).fill(NONE);
  const inCache = new Uint8Array(w.pages);
  let head = NONE; // newest
  let tail = NONE; // oldest
  let size = 0;
  const unlink = (p: number) => {
    if (prev[p] !== NONE) next[prev[p]] = next[p];
    else head = next[p];
    if (next[p] !== NONE) prev[next[p]] = prev[p];
    else tail = prev[p];
    inCache[p] = 0;
    size--;
  };
  const swapOut = (p: number) => {
    if (w.admitted[p] === 0 || capacity <= 0) return;
    prev[p] = NONE;
    next[p] = head;
    if (head !== NONE) prev[head] = p;
    head = p;
    if (tail === NONE) tail = p;
    inCache[p] = 1;
    size++;
    if (size > capacity) unlink(tail);
  };
  for (let p = 0; p < w.pages; p++) swapOut(p);
  let hits = 0;
  for (let k = 0; k < end; k++) {
    const p = w.sequence[k];
    if (inCache[p] === 1) {
      if (k >= w.warm) hits++;
      unlink(p);
    }
    swapOut(p);
  }
  return hits;
}

async function runOne(
  ctx: Context,
  w: Workload,
  device: SwapDevice,
  policy: Policy,
): Promise<RunResult> {
  const space = await SwapSpace.open({
    slots: 2 * w.pages,
    device,
    zswap: policy.zswap
      ? {
          compressor: ctx.defaultCodec,
          maxPoolBytes: w.poolBytes,
          shrinkerEnabled: policy.shrinker,
        }
      : false,
    ...(policy.zswap ? { whenFull: policy.whenFull } : {}),
  });
  /** The space's counters now, zswap's at 0 when it has none. */
  const c = () => ({ ...countsNew(ZSWAP_COUNTERS), ...space.stats() });
  const z = space.zswap;
  const slotOf = new Float64Array(w.pages);
  const page = new Uint8Array(PAGE_SIZE);
  const inUs = new Float64Array(w.sequence.length - w.warm);
  let poolPeak = 0;
  try {
    for (let p = 0; p < w.pages; p++) slotOf[p] = await space.swapOut(w.pageOf(p));
    let zswpin0 = 0;
    let pswpin0 = 0;
    let writes0 = 0;
    let written0 = 0;
    let rejects0 = 0;
    let outUs = 0;
    let storedSum = 0;
    let t0 = 0;
    let k = 0;
    for (; k < w.sequence.length; k++) {
      if (k === w.warm) {
        zswpin0 = c().zswpin;
        pswpin0 = c().pswpin;
        writes0 = c().pswpout + c().zswpwb;
        written0 = c().written_back_pages;
        rejects0 = c().pool_limit_hit + c().reject_alloc_fail + c().reject_reclaim_fail;
        t0 = performance.now();
      }
      const p = w.sequence[k];
      const a = performance.now();
      await space.swapIn(slotOf[p] as SwapSlot, page, { free: true });
      const b = performance.now();
      if (!Buffer.from(page.buffer, page.byteOffset, PAGE_SIZE).equals(w.pageOf(p))) {
        throw new Error(`${policy.label}: page ${p} came back from swap with different bytes`);
      }
      const b2 = performance.now();
      slotOf[p] = await space.swapOut(page);
      const d = performance.now();
      if (k >= w.warm) {
        inUs[k - w.warm] = (b - a) * 1000;
        outUs += (d - b2) * 1000;
        if (z !== undefined) {
          storedSum += z.stats().stored_pages;
          if (z.poolPages > poolPeak) poolPeak = z.poolPages;
        }
        if (d - t0 > ctx.sizes.runMsMax) {
          k++;
          break;
        }
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const measured = k - w.warm;
    const storedMean = measured === 0 ? 0 : storedSum / measured;
    return {
      policy,
      accesses: measured,
      seconds,
      inUs: inUs.slice(0, measured).sort(),
      outUsMean: measured === 0 ? 0 : outUs / measured,
      zswapHits: c().zswpin - zswpin0,
      deviceReads: c().pswpin - pswpin0,
      deviceWrites: c().pswpout + c().zswpwb - writes0,
      writtenBack: c().written_back_pages - written0,
      rejects: c().pool_limit_hit + c().reject_alloc_fail + c().reject_reclaim_fail - rejects0,
      storedMean,
      poolPeak: poolPeak * PAGE_SIZE,
      poolBound: z === undefined ? 0 : z.options.poolPagesMax * PAGE_SIZE,
      lruHits: policy.zswap ? lruHits(w, k, Math.round(storedMean)) : 0,
    };
  } finally {
    await space.close();
  }
}

function devicesMake(ctx: Context): DeviceKind[] {
  const kinds: DeviceKind[] = [
    { label: "file, page cache", open: (slots) => FileDevice.open({ slots }) },
  ];
  if (ctx.machine.direct) {
    kinds.push({
      label: "file, O_DIRECT",
      open: (slots) => FileDevice.open({ slots, direct: true }),
    });
  }
  kinds.push({
    label: `modelled SSD (${latencyDescribe(LATENCY_PRESETS.ssd)})`,
    open: async (slots) =>
      new FaultyDevice(new MemoryDevice({ slots }), {
        seed: ctx.options.seed,
        latency: LATENCY_PRESETS.ssd,
      }),
  });
  return kinds;
}

export async function writebackBench(ctx: Context): Promise<void> {
  heading("writeback: a working set twice the pool");
  const w = workloadMake(ctx);
  const devices = devicesMake(ctx);
  note(
    `Method: a working set of ${num(w.pages)} corpus pages (${bytes(w.pages * PAGE_SIZE)}; ` +
      `${num(w.admitted.reduce((a, b) => a + b, 0))} of them shrink under zswap's limit, to ` +
      `${bytes(w.compressedBytes)} with ${ctx.defaultCodec}) is swapped out once, then accessed ` +
      `in a seeded Zipf(${ZIPF_SKEW}) order: each access swaps the page in (freeing its slot, an ` +
      `exclusive load) and swaps it straight out again, one access at a time, every page ` +
      `checked byte for byte. So swap-ins/s = swap-outs/s = accesses/s. The pool bound is half ` +
      `the working set's compressed size, ${bytes(w.poolBytes)}. The first ${num(w.warm)} ` +
      `accesses warm up; then up to ${num(ctx.sizes.accesses)} accesses or ` +
      `${ctx.sizes.runMsMax / 1000} s are measured. zswap hit = swap-ins served by zswap / all ` +
      `swap-ins. Exact LRU: the same swap-ins and swap-outs replayed into an LRU cache that ` +
      `admits what zswap would (pages that shrink under the limit) and holds as many pages as ` +
      `zswap held on average over the measured accesses (its mean stored_pages), so the ` +
      `comparison is of order, not size. "× disk" is accesses/s over disk only's on the same ` +
      `device and sequence.`,
  );
  const all: { device: string; results: RunResult[] }[] = [];
  for (const kind of devices) {
    const results: RunResult[] = [];
    for (const policy of POLICIES) {
      const device = await kind.open(2 * w.pages);
      try {
        results.push(await runOne(ctx, w, device, policy));
      } finally {
        await device.close();
      }
    }
    all.push({ device: kind.label, results });
    const base = results[0];
    line(`Device: ${kind.label}`);
    line();
    table(
      [
        "policy",
        "swap-ins/s = swap-outs/s",
        "× disk",
        "swap-in p50 µs",
        "p99 µs",
        "p99.9 µs",
        "swap-out mean µs",
        "zswap hit",
        "LRU hit",
        "÷ LRU",
        "dev reads",
        "dev writes",
        "written back",
        "declined",
        "pool peak / bound",
      ],
      results.map((r) => {
        const ins = r.accesses;
        const hit = r.policy.zswap ? r.zswapHits / ins : Number.NaN;
        const lru = r.policy.zswap ? r.lruHits / ins : Number.NaN;
        return [
          r.policy.label,
          rate(r.accesses / r.seconds),
          ratio(r.accesses / r.seconds / (base.accesses / base.seconds)),
          num(percentile(r.inUs, 50)),
          num(percentile(r.inUs, 99)),
          num(percentile(r.inUs, 99.9)),
          num(r.outUsMean),
          r.policy.zswap ? percent(hit) : "—",
          r.policy.zswap ? percent(lru) : "—",
          r.policy.zswap ? (hit / lru).toFixed(3) : "—",
          r.deviceReads,
          r.deviceWrites,
          r.writtenBack,
          r.rejects,
          r.policy.zswap ? `${bytes(r.poolPeak)} / ${bytes(r.poolBound)}` : "—",
        ];
      }),
    );
  }
  note(
    `"declined": stores zswap refused for room (pool_limit_hit + reject_alloc_fail + ` +
      `reject_reclaim_fail), whose pages went to the device; pages declined for poor ` +
      `compression are not counted there. ÷ LRU target: >= ${LRU_TARGET}.`,
  );
  // Headline: the worst ratio to LRU over every zswap run, and the file device's p99s.
  let worst: { r: RunResult; device: string } | undefined;
  for (const { device, results } of all) {
    for (const r of results) {
      if (!r.policy.zswap) continue;
      const x = r.zswapHits / r.lruHits;
      if (worst === undefined || x < worst.r.zswapHits / worst.r.lruHits) worst = { r, device };
    }
  }
  if (worst !== undefined) {
    const x = worst.r.zswapHits / worst.r.lruHits;
    ctx.headlines.push(
      `writeback: zswap hit ratio / exact LRU's >= ${x.toFixed(3)} in every run (worst: ` +
        `${worst.r.policy.label}, ${worst.device}); target >= ${LRU_TARGET}: ` +
        `${verdict(x, LRU_TARGET, "floor")}`,
    );
  }
  for (const { device, results } of all) {
    const base = results[0];
    const best = results
      .slice(1)
      .reduce((a, b) => (b.accesses / b.seconds > a.accesses / a.seconds ? b : a));
    ctx.headlines.push(
      `writeback over ${device}: ${rate(best.accesses / best.seconds)} accesses/s ` +
        `(${best.policy.label}; ${ratio(best.accesses / best.seconds / (base.accesses / base.seconds))} × disk only), ` +
        `swap-in p50/p99/p99.9 ${num(percentile(best.inUs, 50))} / ${num(percentile(best.inUs, 99))} / ` +
        `${num(percentile(best.inUs, 99.9))} µs`,
    );
  }
}
