// The scale run's own process, so that its peak RSS is its own: N pages swapped out through a
// SwapSpace whose zswap pool is bounded, then swapped back in, in a seeded random order, each
// checked. Started by scale.bench.ts with the options as JSON in argv[2]; answers over IPC.

import { PAGE_SIZE } from "../../src/constants.ts";
import { Random } from "../../src/random.ts";
import { countsNew, ZSWAP_COUNTERS } from "../../src/stats/index.ts";
import { type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import { corpusBuild } from "../lib/corpus.ts";

export interface ScaleSpec {
  pages: number;
  poolBytes: number;
  compressor: string;
  /** The parent's corpus, written as a page file: the child does not capture (its peak RSS). */
  corpusFile: string;
  seed: number;
  direct: boolean;
}

export interface ScaleResult {
  corpus: string;
  pages: number;
  poolBound: number;
  poolPeak: number;
  /** RSS once the corpus is built, before the first swap-out (bytes). */
  rssBase: number;
  /** process.resourceUsage().maxRSS at the end (bytes). */
  rssPeak: number;
  /** Largest heapUsed and external seen at the samples (bytes). */
  heapPeak: number;
  externalPeak: number;
  outSeconds: number;
  inSeconds: number;
  storedAfterOut: number;
  compressedAfterOut: number;
  writtenBack: number;
  deviceWrites: number;
  zswapHits: number;
  deviceReads: number;
  zeroPages: number;
  device: string;
}

/** Operations between two looks at the process's memory. */
const SAMPLE_EVERY = 4096;

/** Page i: a corpus page with i stamped into its first 8 bytes, so that no two are alike. */
function pageMake(corpus: readonly Uint8Array[], i: number, into: Uint8Array): void {
  into.set(corpus[i % corpus.length]);
  const view = new DataView(into.buffer, into.byteOffset, PAGE_SIZE);
  view.setUint32(0, i, true);
  view.setUint32(4, 0x5ca1e, true);
}

async function run(spec: ScaleSpec): Promise<ScaleResult> {
  const corpus = corpusBuild(Number.POSITIVE_INFINITY, spec.seed, spec.corpusFile);
  const space = await SwapSpace.open({
    slots: spec.pages,
    direct: spec.direct,
    zswap: { compressor: spec.compressor, maxPoolBytes: spec.poolBytes, shrinkerEnabled: true },
    whenFull: "wait",
  });
  const z = space.zswap!;
  /** The space's counters now, zswap's at 0 when it has none. */
  const c = () => ({ ...countsNew(ZSWAP_COUNTERS), ...space.stats() });
  const slots = new Float64Array(spec.pages);
  const page = new Uint8Array(PAGE_SIZE);
  const expected = new Uint8Array(PAGE_SIZE);
  let poolPeak = 0;
  let heapPeak = 0;
  let externalPeak = 0;
  const sample = () => {
    const m = process.memoryUsage();
    if (m.heapUsed > heapPeak) heapPeak = m.heapUsed;
    if (m.external > externalPeak) externalPeak = m.external;
  };
  const rssBase = process.memoryUsage().rss;
  try {
    let t0 = performance.now();
    for (let i = 0; i < spec.pages; i++) {
      pageMake(corpus.pages, i, page);
      slots[i] = await space.swapOut(page);
      if (z.poolPages > poolPeak) poolPeak = z.poolPages;
      if (i % SAMPLE_EVERY === 0) sample();
    }
    const outSeconds = (performance.now() - t0) / 1000;
    const afterOut = space.stats();
    const rng = new Random(spec.seed);
    const order = Uint32Array.from({ length: spec.pages }, (_, i) => i);
    for (let i = spec.pages - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const zswpin0 = c().zswpin;
    const pswpin0 = c().pswpin;
    t0 = performance.now();
    for (let k = 0; k < spec.pages; k++) {
      const i = order[k];
      await space.swapIn(slots[i] as SwapSlot, page, { free: true });
      pageMake(corpus.pages, i, expected);
      if (!Buffer.from(page).equals(expected)) throw new Error(`page ${i} came back different`);
      if (z.poolPages > poolPeak) poolPeak = z.poolPages;
      if (k % SAMPLE_EVERY === 0) sample();
    }
    const inSeconds = (performance.now() - t0) / 1000;
    sample();
    return {
      corpus: corpus.describe,
      pages: spec.pages,
      poolBound: afterOut.pool_limit_bytes ?? 0,
      poolPeak: poolPeak * PAGE_SIZE,
      rssBase,
      rssPeak: process.resourceUsage().maxRSS * 1024,
      heapPeak,
      externalPeak,
      outSeconds,
      inSeconds,
      storedAfterOut: afterOut.stored_pages ?? 0,
      compressedAfterOut: afterOut.compressed_bytes ?? 0,
      writtenBack: c().written_back_pages,
      deviceWrites: c().pswpout + c().zswpwb,
      zswapHits: c().zswpin - zswpin0,
      deviceReads: c().pswpin - pswpin0,
      zeroPages: c().swpout_zero,
      device: space.device.describe,
    };
  } finally {
    await space.close();
  }
}

run(JSON.parse(process.argv[2]) as ScaleSpec).then(
  (result) => {
    process.send!(result, () => process.exit(0));
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
