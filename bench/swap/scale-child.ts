// The scale run's own process, so that its memory is its own: N pages swapped out through a
// SwapSpace whose zswap pool is bounded, a random half of them freed, the pool compacted, N/2
// more swapped out, then every live page swapped back in, in a seeded random order, each
// checked. The process's RSS is sampled all along and held against the bound. Started by
// scale.bench.ts with the options as JSON in argv[2]; answers over IPC.

import { PAGE_SIZE } from "../../src/constants.ts";
import { Random } from "../../src/random.ts";
import { countsNew, ZSWAP_COUNTERS } from "../../src/stats/index.ts";
import { type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { corpusBuild } from "../lib/corpus.ts";
import { gcFull } from "../lib/timing.ts";

export interface ScaleSpec {
  pages: number;
  poolBytes: number;
  compressor: string;
  /** The parent's corpus, written as a page file: the child does not capture (its peak RSS). */
  corpusFile: string;
  seed: number;
  direct: boolean;
  /** RSS may reach the baseline plus this many times the pool bound plus the metadata. */
  rssBoundFactor: number;
}

/** One phase of the run: its name, operations and seconds. */
export interface ScalePhase {
  name: string;
  ops: number;
  seconds: number;
}

export interface ScaleResult {
  pages: number;
  poolBound: number;
  poolPeak: number;
  /** RSS before the first swap-out, after a warm-up (bytes). */
  rssBase: number;
  /** process.resourceUsage().maxRSS at the end (bytes). */
  rssPeak: number;
  /** RSS samples taken, and those over baseline + 1.05 x bound + metadata then. */
  samples: number;
  samplesOver: number;
  /** The sample with the most RSS over the baseline less metadata, as a share of the bound. */
  worstShare: number;
  worstPhase: string;
  /** Metadata (zswap's metadata_bytes, the swap map) at the worst sample and at most (bytes). */
  worstMetadata: number;
  metadataPeak: number;
  /** Largest heapUsed and external seen at the samples (bytes). */
  heapPeak: number;
  externalPeak: number;
  phases: ScalePhase[];
  storedAfterOut: number;
  compactedPages: number;
  chunksGivenBack: number;
  writtenBack: number;
  deviceWrites: number;
  zswapHits: number;
  deviceReads: number;
  device: string;
}

/** Operations between two looks at the process's memory. */
const SAMPLE_EVERY = 4096;
/** Swap-outs and swap-ins of the warm-up, on a small space of its own. */
const WARMUP_OPS = 65_536;

/** Page i: a corpus page with i stamped into its first 8 bytes, so that no two are alike. */
function pageMake(corpus: readonly Uint8Array[], i: number, into: Uint8Array): void {
  into.set(corpus[i % corpus.length]);
  const view = new DataView(into.buffer, into.byteOffset, PAGE_SIZE);
  view.setUint32(0, i, true);
  view.setUint32(4, 0x5ca1e, true);
}

/** A seeded shuffle of 0..n-1. */
function shuffled(n: number, rng: Random): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Swap work on a small space of its own first, so that the baseline is a process that has run
 * this code: its compiled code and its young generation, grown by the async API's garbage.
 */
async function warmUp(spec: ScaleSpec, corpus: readonly Uint8Array[]): Promise<void> {
  const ops = Math.min(WARMUP_OPS, spec.pages);
  const space = await SwapSpace.open({
    slots: ops,
    direct: spec.direct,
    zswap: { compressor: spec.compressor, maxPoolBytes: ops * 256, shrinkerEnabled: true },
    whenFull: "wait",
  });
  const page = new Uint8Array(PAGE_SIZE);
  const slots: SwapSlot[] = [];
  for (let i = 0; i < ops; i++) {
    pageMake(corpus, i, page);
    slots.push(await space.swapOut(page));
  }
  for (const slot of slots) await space.swapIn(slot, page, { free: true });
  await space.close();
  for (let round = 0; round < 5; round++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gcFull();
  }
}

async function run(spec: ScaleSpec): Promise<ScaleResult> {
  const corpus = corpusBuild(Number.POSITIVE_INFINITY, spec.seed, spec.corpusFile).pages;
  const rng = new Random(spec.seed);
  // Every table of the run is made and written before the baseline, so that it is in it.
  const slots = new Float64Array(spec.pages).fill(-1);
  const freeOrder = shuffled(spec.pages, rng);
  const inOrder = shuffled(spec.pages, rng);
  const half = spec.pages >> 1;
  /** 1 for the indexes freed and swapped out again: they hold page N + i, the others page i. */
  const renewed = new Uint8Array(spec.pages);
  for (let k = 0; k < half; k++) renewed[freeOrder[k]] = 1;
  const page = Buffer.alloc(PAGE_SIZE);
  const expected = Buffer.alloc(PAGE_SIZE);
  await warmUp(spec, corpus);
  const space = await SwapSpace.open({
    slots: spec.pages,
    direct: spec.direct,
    zswap: { compressor: spec.compressor, maxPoolBytes: spec.poolBytes, shrinkerEnabled: true },
    whenFull: "wait",
  });
  const z = space.zswap!;
  /** The space's counters now, zswap's at 0 when it has none. */
  const c = () => ({ ...countsNew(ZSWAP_COUNTERS), ...space.stats() });
  const rssBase = process.memoryUsage.rss();
  const m = {
    samples: 0,
    samplesOver: 0,
    worstShare: Number.NEGATIVE_INFINITY,
    worstPhase: "",
    worstMetadata: 0,
    metadataPeak: 0,
    heapPeak: 0,
    externalPeak: 0,
    poolPeak: 0,
  };
  let phase = "";
  const sample = () => {
    const mem = process.memoryUsage();
    const st = z.stats();
    // The swap map: 2 bits a slot (slot-map.ts).
    const metadata = st.metadata_bytes + spec.pages / 4;
    const share = (mem.rss - rssBase - metadata) / st.pool_limit_bytes;
    m.samples++;
    if (share > spec.rssBoundFactor) m.samplesOver++;
    if (share > m.worstShare) {
      m.worstShare = share;
      m.worstPhase = phase;
      m.worstMetadata = metadata;
    }
    m.metadataPeak = Math.max(m.metadataPeak, metadata);
    m.heapPeak = Math.max(m.heapPeak, mem.heapUsed);
    m.externalPeak = Math.max(m.externalPeak, mem.external);
  };
  const phases: ScalePhase[] = [];
  /** Runs `ops` steps of a phase, sampling memory and the pool's peak as it goes. */
  const phaseRun = async (name: string, ops: number, step: (k: number) => Promise<void> | void) => {
    phase = name;
    const t0 = performance.now();
    for (let k = 0; k < ops; k++) {
      await step(k);
      if (z.poolPages > m.poolPeak) m.poolPeak = z.poolPages;
      if (k % SAMPLE_EVERY === 0) sample();
    }
    sample();
    phases.push({ name, ops, seconds: (performance.now() - t0) / 1000 });
  };
  const swapOut = async (i: number) => {
    pageMake(corpus, i, page);
    slots[i] = await space.swapOut(page);
  };
  try {
    await phaseRun("swap out N", spec.pages, swapOut);
    const storedAfterOut = z.stats().stored_pages;
    await phaseRun("free a random half", half, (k) => {
      space.free(slots[freeOrder[k]] as SwapSlot);
      slots[freeOrder[k]] = -1;
    });
    let compactedPages = 0;
    await phaseRun("compact", 1, () => {
      compactedPages = z.compact();
    });
    // N/2 new pages, N + i for each index i freed, in the freed indexes' places.
    await phaseRun("swap out N/2 more", half, async (k) => {
      const i = freeOrder[k];
      pageMake(corpus, spec.pages + i, page);
      slots[i] = await space.swapOut(page);
    });
    const zswpin0 = c().zswpin;
    const pswpin0 = c().pswpin;
    await phaseRun("swap in all", spec.pages, async (k) => {
      const i = inOrder[k];
      await space.swapIn(slots[i] as SwapSlot, page, { free: true });
      pageMake(corpus, renewed[i] === 1 ? spec.pages + i : i, expected);
      if (!page.equals(expected)) throw new Error(`page ${i} came back different`);
    });
    return {
      pages: spec.pages,
      poolBound: z.stats().pool_limit_bytes,
      poolPeak: m.poolPeak * PAGE_SIZE,
      rssBase,
      rssPeak: process.resourceUsage().maxRSS * 1024,
      samples: m.samples,
      samplesOver: m.samplesOver,
      worstShare: m.worstShare,
      worstPhase: m.worstPhase,
      worstMetadata: m.worstMetadata,
      metadataPeak: m.metadataPeak,
      heapPeak: m.heapPeak,
      externalPeak: m.externalPeak,
      phases,
      storedAfterOut,
      compactedPages,
      chunksGivenBack: Zswap.unsafeExposeInternals(z).pool.stats().chunksGivenBack,
      writtenBack: c().written_back_pages,
      deviceWrites: c().pswpout + c().zswpwb,
      zswapHits: c().zswpin - zswpin0,
      deviceReads: c().pswpin - pswpin0,
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
