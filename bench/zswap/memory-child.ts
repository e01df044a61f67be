// The memory run's own process, so that its memory is its own: one Zswap filled with N pages at
// offsets of one area, dense or spread at random over an area larger than what it holds, with the
// process's memory read before and after (each after a full GC). Started by memory.bench.ts with
// the options as JSON in argv[2]; answers over IPC.

import { PAGE_SIZE } from "../../src/constants.ts";
import { Random } from "../../src/random.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { corpusBuild } from "../lib/corpus.ts";
import { gcFull } from "../lib/timing.ts";

export interface MemorySpec {
  slots: number;
  pages: number;
  /** Offsets 0..pages-1 in order, or distinct offsets drawn at random over all the slots. */
  spread: "dense" | "random";
  compressor: string;
  corpusFile: string;
  seed: number;
}

export interface MemoryResult {
  stored: number;
  declined: number;
  /** Growth from before the first store to after the last, each after a full GC (bytes). */
  rss: number;
  heapUsed: number;
  external: number;
  poolBytes: number;
  compressedBytes: number;
  zspages: number;
  chunks: number;
  /** What the code accounts: entry rows committed, index, pool tables. */
  entryBytes: number;
  entryRows: number;
  indexBytes: number;
  poolMetadataBytes: number;
  exactGc: boolean;
}

/** The offsets to store at, in order: dense, or `pages` distinct ones drawn from all the slots. */
function offsetsMake(spec: MemorySpec): Uint32Array {
  const offsets = Uint32Array.from({ length: spec.slots }, (_, i) => i);
  if (spec.spread === "random") {
    const rng = new Random(spec.seed);
    for (let i = 0; i < spec.pages; i++) {
      const j = i + rng.below(spec.slots - i);
      [offsets[i], offsets[j]] = [offsets[j], offsets[i]];
    }
  }
  return offsets.slice(0, spec.pages);
}

/** Rounds of gcSettled at most, and the RSS change (bytes) under which memory has settled. */
const SETTLE_ROUNDS_MAX = 20;
const SETTLED_BYTES = 1 << 20;

/**
 * Full GCs until the process's RSS stops falling: WeakRef targets (chunks a pool gave back) live
 * until the job that made or read the WeakRef ends, and V8 frees array buffers' memory after a
 * GC, on another thread.
 */
async function gcSettled(): Promise<boolean> {
  let rss = process.memoryUsage.rss();
  for (let round = 0; round < SETTLE_ROUNDS_MAX; round++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (!gcFull()) return false;
    const now = process.memoryUsage.rss();
    if (Math.abs(rss - now) < SETTLED_BYTES) break;
    rss = now;
  }
  return true;
}

async function run(spec: MemorySpec): Promise<MemoryResult> {
  const pages = corpusBuild(Number.POSITIVE_INFINITY, spec.seed, spec.corpusFile).pages;
  // No warm-up: memory a warm-up leaves (compiled code aside) goes back during the fill, which
  // would hide metadata; without it, the code compiled during the fill counts as metadata.
  const offsets = offsetsMake(spec);
  const zswap = new Zswap({
    compressor: spec.compressor,
    maxPoolBytes: 2 * spec.pages * PAGE_SIZE,
  });
  zswap.swapon(0, spec.slots);
  const exactGc = await gcSettled();
  const before = process.memoryUsage();
  let stored = 0;
  let tried = 0;
  // Pages zswap declines (poor compression) are skipped, as the device would take them.
  while (stored < spec.pages) {
    if (zswap.store(0, offsets[stored], pages[tried % pages.length])) stored++;
    tried++;
    if (tried > 4 * spec.pages + pages.length) throw new Error("zswap declines most pages");
  }
  await gcSettled();
  const after = process.memoryUsage();
  const zs = zswap.stats();
  const { entries, pool } = Zswap.unsafeExposeInternals(zswap);
  const ps = pool.stats();
  return {
    stored,
    // Read after the measure, so the corpus stays alive through it (V8 may free what is dead).
    declined: tried - stored + 0 * pages.length,
    rss: after.rss - before.rss,
    heapUsed: after.heapUsed - before.heapUsed,
    external: after.external - before.external,
    poolBytes: zs.pool_total_size,
    compressedBytes: zs.compressed_bytes,
    zspages: ps.zspages,
    chunks: ps.chunks,
    entryBytes: entries.bytes,
    entryRows: entries.capacity,
    indexBytes: zs.metadata_bytes - entries.bytes - ps.metadataBytes,
    poolMetadataBytes: ps.metadataBytes,
    exactGc,
  };
}

run(JSON.parse(process.argv[2]) as MemorySpec).then((result) =>
  process.send!(result, () => process.exit(0)),
);
