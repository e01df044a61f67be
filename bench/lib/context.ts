// What every section gets: the options, the machine, the pages, and the sizes of this run
// (full or smoke), written down once so the printed method can quote them.

import type { Corpus } from "./corpus.ts";
import type { Machine } from "./machine.ts";
import type { PassPlan } from "./timing.ts";

export const SECTIONS = [
  "compress",
  "zswap",
  "memory",
  "tools",
  "pool",
  "device",
  "writeback",
  "threads",
  "scale",
  "policy",
  "toolbox",
  "cli",
] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  smoke: boolean;
  /** Run the scale section (4 GiB through a 1 GiB pool); off by default, it is long. */
  scale: boolean;
  /** Run the policy section (workloads and recorded traces); off by default, it is long. */
  policy: boolean;
  /** Pages of the default corpus (half captured, half generated), or the most read from a file. */
  pages: number;
  pagesFrom: string | undefined;
  only: ReadonlySet<Section>;
  seed: number;
  /** Codecs for compress/ and zswap/; when undefined, all that load without opting in. */
  codecs: readonly string[] | undefined;
}

export interface Sizes {
  /** Corpus pages when not given with --pages. */
  corpusPages: number;
  plan: PassPlan;
  /** tinybench's time and warm-up per task, ms. */
  tinybenchMs: number;
  tinybenchWarmupMs: number;
  /** Steady load+store pairs of the hot-path allocation run. */
  hotPathPairs: number;
  /** Stored pages for the metadata measurement. */
  memoryPages: number;
  /** Objects put in the pool for the packing measurement. */
  poolObjects: number;
  /** Writeback: pages of the working set, accesses measured, and a time cap per run in ms. */
  workingSetPages: number;
  accesses: number;
  runMsMax: number;
  /** Device: pages written and read per device, and swap-in latency samples. */
  devicePages: number;
  deviceLatencySamples: number;
  /** Scale: pages swapped through, and the pool bound in bytes. */
  scalePages: number;
  scalePoolBytes: number;
}

export const FULL: Sizes = {
  corpusPages: 8192,
  plan: { passesMin: 3, passesMax: 7, budgetMs: 1500 },
  tinybenchMs: 150,
  tinybenchWarmupMs: 30,
  hotPathPairs: 262_144,
  memoryPages: 1_000_000,
  poolObjects: 262_144,
  workingSetPages: 8192,
  accesses: 32_768,
  runMsMax: 4000,
  devicePages: 8192,
  deviceLatencySamples: 4000,
  scalePages: 1 << 20,
  scalePoolBytes: 2 ** 30,
};

export const SMOKE: Sizes = {
  corpusPages: 256,
  plan: { passesMin: 1, passesMax: 1, budgetMs: 0 },
  tinybenchMs: 2,
  tinybenchWarmupMs: 1,
  hotPathPairs: 1024,
  memoryPages: 4096,
  poolObjects: 2048,
  workingSetPages: 128,
  accesses: 128,
  runMsMax: 100,
  devicePages: 256,
  deviceLatencySamples: 64,
  scalePages: 1024,
  scalePoolBytes: 2 ** 20,
};

export interface Context {
  options: BenchOptions;
  sizes: Sizes;
  machine: Machine;
  corpus: Corpus;
  /** Codecs that loaded on this machine, and the one zswap uses by default. */
  codecs: readonly string[];
  defaultCodec: string;
  /** Headline lines collected from the sections, printed at the end. */
  headlines: string[];
}
