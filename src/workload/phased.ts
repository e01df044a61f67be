// The phased run `zswap kernel` makes on both sides, here through zswap-ts: the same pages, the
// same accesses, in the same four phases as the kernel's helper (src/kernel/helper.c):
//   fill     every page of the working set written once, in order, into `frames` of memory
//   pageout  every resident page pushed out (MADV_PAGEOUT)
//   replay   the accesses: a write gives a page its next version, a read checks it
//   reread   every page read back in order and checked
// The driver is reclaim.ts (the kernel's way of reclaiming); a snapshot of the counters closes
// each phase.

import { assert } from "../assert.ts";
import { PAGE_SIZE } from "../constants.ts";
import { ZswapOptionError } from "../errors.ts";
import { SwapSpace, type SwapSpaceStats } from "../swap/index.ts";
import type { Access } from "./patterns.ts";
import { Reclaim } from "./reclaim.ts";

export const PHASES = ["fill", "pageout", "replay", "reread"] as const;
export type Phase = (typeof PHASES)[number];

/** An access as the helper reads it: the page, with this bit set for a write. */
export const ACCESS_WRITE = 0x8000_0000;

/** Accesses packed for the helper and for phasedRun: page | ACCESS_WRITE, at most `max`. */
export async function accessesEncode(
  accesses: AsyncIterable<Access> | Iterable<Access>,
  pages: number,
  max: number,
): Promise<Uint32Array> {
  let out = new Uint32Array(1024);
  let n = 0;
  for await (const a of accesses) {
    if (n === max) throw new ZswapOptionError(`the workload has more than ${max} accesses`);
    assert(a.page >= 0 && a.page < pages, "a workload's pages are 0..pages-1");
    if (n === out.length) {
      const grown = new Uint32Array(Math.min(max, out.length * 2));
      grown.set(out);
      out = grown;
    }
    out[n++] = a.write ? (a.page | ACCESS_WRITE) >>> 0 : a.page;
  }
  return out.slice(0, n);
}

/** What zswap-ts runs: the kernel's parameters, mapped to ours. */
export interface PhasedSpec {
  pages: number;
  corpus: readonly Uint8Array[];
  accesses: Uint32Array;
  /** Page frames: the memory cgroup's limit. */
  frames: number;
  poolBytes: number;
  compressor: string;
  acceptThresholdPercent: number;
  shrinker: boolean;
  whenFull: "reject" | "wait";
  /** The folder of the swap file, and whether it bypasses the page cache. */
  folder: string;
  direct: boolean;
  /** Called as each phase ends. */
  onPhase?: (phase: Phase, seconds: number) => void;
}

export interface PhaseResult {
  phase: Phase;
  seconds: number;
  /** The counters and gauges once the phase is over. */
  after: SwapSpaceStats;
}

export interface PhasedResult {
  before: SwapSpaceStats;
  phases: PhaseResult[];
  /** Swap-ins whose bytes were checked: every one. */
  verified: number;
}

async function phaseRun(
  phase: Phase,
  spec: PhasedSpec,
  driver: Reclaim,
  signal: AbortSignal | undefined,
): Promise<void> {
  const step = async (i: number, page: number, write: boolean) => {
    await driver.access(page, write);
    if ((i & 1023) === 0) signal?.throwIfAborted();
  };
  if (phase === "pageout") return driver.pageout();
  if (phase === "replay") {
    const a = spec.accesses;
    for (let i = 0; i < a.length; i++) await step(i, a[i] & ~ACCESS_WRITE, a[i] >= ACCESS_WRITE);
  } else {
    // fill and reread read every page in order; fill's reads are first touches, which write
    // each page's first content (a new page is a dirty page)
    for (let page = 0; page < spec.pages; page++) await step(page, page, false);
  }
  await driver.drain();
}

/** Runs the four phases through a fresh SwapSpace; an abort of `signal` stops it and closes it. */
export async function phasedRun(spec: PhasedSpec, signal?: AbortSignal): Promise<PhasedResult> {
  const space = await SwapSpace.open({
    slots: 2 * spec.pages,
    folder: spec.folder,
    direct: spec.direct,
    whenFull: spec.whenFull,
    zswap: {
      compressor: spec.compressor,
      maxPoolBytes: Math.floor(spec.poolBytes / PAGE_SIZE) * PAGE_SIZE,
      acceptThresholdPercent: spec.acceptThresholdPercent,
      // The kernel stores a page as it is when it does not compress below a page.
      maxCompressionRatio: 100,
      incompressible: "store-raw",
      shrinkerEnabled: spec.shrinker,
    },
  });
  const driver = new Reclaim(space, spec.corpus, spec.pages, spec.frames);
  const result: PhasedResult = { before: space.stats(), phases: [], verified: 0 };
  try {
    for (const phase of PHASES) {
      const t0 = performance.now();
      await phaseRun(phase, spec, driver, signal);
      const seconds = (performance.now() - t0) / 1000;
      result.phases.push({ phase, seconds, after: space.stats() });
      spec.onPhase?.(phase, seconds);
    }
  } finally {
    await driver.drain().catch(() => {});
    await space.close();
  }
  result.verified = driver.verified;
  return result;
}
