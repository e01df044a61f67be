// The comparison run: one workload, the same pages, replayed through each configuration of the
// swap stack, every swap-in verified. What `zswap run` (and `npm start`) executes.

import { setImmediate } from "node:timers/promises";
import { type Clock, SimClock } from "../clock.ts";
import { PAGE_SIZE } from "../constants.ts";
import {
  FaultyDevice,
  FileDevice,
  type LatencyModel,
  MemoryDevice,
  type SwapDevice,
} from "../device/index.ts";
import { SwapSpace, type SwapSpaceOptions, type SwapSpaceStats } from "../swap/index.ts";
import type { ZswapOptions } from "../zswap/index.ts";
import { type PageClasses, SwapTrace } from "./belady.ts";
import type { Access } from "./patterns.ts";
import { type EvictionPolicy, ResidentSet } from "./resident.ts";

/** The configurations compared, from no zswap to the best we have. */
export const CONFIGS = {
  disk: { label: "disk only", space: { zswap: false } },
  zswap: { label: "zswap, no writeback", space: { writeback: false } },
  writeback: { label: "zswap + writeback", space: { writeback: true, whenFull: "reject" } },
  "writeback-adaptive": {
    label: "zswap + writeback (dip)",
    space: { writeback: true, whenFull: "reject" },
    zswap: { writebackPolicy: "dip" },
  },
  best: {
    label: "zswap + writeback (dip) + shrinker + wait",
    space: { writeback: true, whenFull: "wait" },
    zswap: { writebackPolicy: "dip", shrinkerEnabled: true },
  },
} as const satisfies Record<
  string,
  { label: string; space: Partial<SwapSpaceOptions>; zswap?: ZswapOptions }
>;
export type ConfigName = keyof typeof CONFIGS;
export const CONFIG_NAMES = Object.keys(CONFIGS) as ConfigName[];

export interface RunSpec {
  /** A fresh iterator over the same accesses, once per configuration. */
  accesses: () => AsyncIterable<Access> | Iterable<Access>;
  /** Accesses the iterator yields (for progress and sampling). */
  accessCount: number;
  /** Pages of the working set: page ids are 0..pages-1. */
  pages: number;
  corpus: readonly Uint8Array[];
  frames: number;
  policy: EvictionPolicy;
  poolBytes: number;
  /** The corpus pages' classes, for Belady's MIN. */
  pageClasses: PageClasses;
  /** Pages Belady's MIN holds (the plan's beladyPages). */
  beladyPages: number;
  compressor: string;
  configs: readonly ConfigName[];
  /**
   * The device: a swap file (real I/O, real time), or memory, simulated: virtual time for the
   * wait policy, writeback's backoff and modelled latency, so a seed fixes the whole run.
   */
  device: "file" | "memory";
  /** The swap file each configuration creates (or reuses); default an unnamed temporary one. */
  swapfile?: { path: string; reuse: boolean };
  /** Bypass the OS page cache (O_DIRECT), so the device costs what the disk costs. */
  direct: boolean;
  deviceLatency?: LatencyModel;
  seed: number;
  /** Stop a configuration after this many ms (the rest of its accesses are skipped). */
  durationMs?: number;
  /** Called about every 1% of a configuration's accesses. */
  onProgress?: (config: ConfigName, done: number) => void;
}

/** Points of a configuration's run over time: one per sample, at the same access counts. */
export interface Series {
  accesses: number[];
  seconds: number[];
  poolBytes: number[];
  /** zswap hits / swap-ins within the sample's window. */
  hitRatio: number[];
  deviceReads: number[];
  deviceWrites: number[];
  /** Median swap-in latency within the window, µs. */
  swapInP50Us: number[];
}

export interface ConfigResult {
  name: ConfigName;
  label: string;
  accesses: number;
  seconds: number;
  accessesPerSecond: number;
  swapIns: number;
  swapInLatencyUs: { p50: number; p99: number; p999: number; mean: number };
  /** Pages read from the device (pswpin). */
  deviceReads: number;
  /** Pages written to the device: direct swap-outs (pswpout) plus writeback (zswpwb). */
  deviceWrites: number;
  /** Swap-ins served by zswap / swap-ins that were not zero pages. */
  zswapHitRatio: number;
  /** Belady's MIN's hit ratio on this configuration's swap-outs and swap-ins (belady.ts). */
  beladyHitRatio: number | null;
  /** zswapHitRatio / beladyHitRatio; null when MIN was not computed or had no hit. */
  ofBelady: number | null;
  /** Original bytes / compressed bytes of what zswap held at the end (0 without zswap). */
  compressionRatio: number;
  poolPeakBytes: number;
  /** Swap-ins whose bytes were checked: all of them (one that came back wrong stops the run). */
  verified: number;
  counters: SwapSpaceStats;
  series: Series;
}

/** Swap-ins of pages that were not zero-filled: from zswap, the device or the swap cache. */
function swapInsStored(st: SwapSpaceStats): number {
  return (st.zswpin ?? 0) + st.pswpin + st.swpin_cache;
}

/** Samples kept per configuration for latency percentiles; more are reservoir-sampled. */
const LATENCY_SAMPLES_MAX = 1 << 20;
/** Points per time series. */
const SERIES_POINTS = 200;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The configuration's device, over a swap file or simulated memory, with modelled latency. */
async function deviceOpen(spec: RunSpec, clock: Clock | undefined): Promise<SwapDevice> {
  const inner =
    spec.device === "memory"
      ? new MemoryDevice({ slots: spec.pages })
      : await FileDevice.open({ slots: spec.pages, ...spec.swapfile, direct: spec.direct });
  if (spec.deviceLatency === undefined) return inner;
  return new FaultyDevice(inner, { seed: spec.seed, latency: spec.deviceLatency, clock });
}

async function spaceOpen(
  spec: RunSpec,
  name: ConfigName,
  clock: Clock | undefined,
): Promise<{ space: SwapSpace; device: SwapDevice }> {
  const config = CONFIGS[name];
  const device = await deviceOpen(spec, clock);
  const zswap =
    "zswap" in config.space
      ? (false as const)
      : {
          ...("zswap" in config ? config.zswap : {}),
          maxPoolBytes: spec.poolBytes,
          compressor: spec.compressor,
        };
  try {
    const options = { ...config.space, slots: spec.pages, device, zswap, clock };
    return { space: await SwapSpace.open(options), device };
  } catch (err) {
    await device.close();
    throw err;
  }
}

/** Swap-in latencies (a reservoir of samples, and the current window's) and the run's series. */
class Recorder {
  readonly latencies = new Float64Array(LATENCY_SAMPLES_MAX);
  samples = 0;
  latencySum = 0;
  readonly series: Series = {
    accesses: [],
    seconds: [],
    poolBytes: [],
    hitRatio: [],
    deviceReads: [],
    deviceWrites: [],
    swapInP50Us: [],
  };
  poolPeak = 0;
  #reservoir: number;
  // The window's own latencies: once the reservoir is full it holds no window in order. At most
  // one swap-in per access, so a window holds at most accessCount / SERIES_POINTS of them.
  #window: number[] = [];
  #last = { zswpin: 0, ins: 0 };

  constructor(seed: number) {
    this.#reservoir = seed >>> 0 || 1;
  }

  swapIn(us: number): void {
    this.latencySum += us;
    this.#window.push(us);
    if (this.samples < LATENCY_SAMPLES_MAX) this.latencies[this.samples] = us;
    else {
      this.#reservoir = (Math.imul(this.#reservoir, 1664525) + 1013904223) >>> 0;
      const j = this.#reservoir % (this.samples + 1);
      if (j < LATENCY_SAMPLES_MAX) this.latencies[j] = us;
    }
    this.samples++;
  }

  /** A point of the series after `n` accesses, `seconds` into the run. */
  point(n: number, seconds: number, st: SwapSpaceStats): void {
    const zswpin = st.zswpin ?? 0;
    const ins = swapInsStored(st) - this.#last.ins;
    const s = this.series;
    s.accesses.push(n);
    s.seconds.push(seconds);
    s.poolBytes.push(st.pool_total_size ?? 0);
    s.hitRatio.push(ins === 0 ? 0 : (zswpin - this.#last.zswpin) / ins);
    s.deviceReads.push(st.pswpin);
    s.deviceWrites.push(st.pswpout + (st.zswpwb ?? 0));
    s.swapInP50Us.push(percentile(Float64Array.from(this.#window).sort(), 50));
    this.#window = [];
    this.#last = { zswpin, ins: swapInsStored(st) };
  }

  latencyUs(): ConfigResult["swapInLatencyUs"] {
    const n = Math.min(this.samples, LATENCY_SAMPLES_MAX);
    const sorted = this.latencies.subarray(0, n).slice().sort();
    return {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      p999: percentile(sorted, 99.9),
      mean: this.samples === 0 ? 0 : this.latencySum / this.samples,
    };
  }
}

/** Replays the accesses through `resident`; returns how many ran (a duration or a signal stops it). */
async function replay(
  spec: RunSpec,
  name: ConfigName,
  space: SwapSpace,
  resident: ResidentSet,
  rec: Recorder,
  clock: SimClock | undefined,
  signal: AbortSignal | undefined,
): Promise<number> {
  const every = Math.max(1, Math.floor(spec.accessCount / SERIES_POINTS));
  const progressEvery = Math.max(1, Math.floor(spec.accessCount / 100));
  const t0 = performance.now();
  let n = 0;
  for await (const a of spec.accesses()) {
    const access = resident.access(a.page, a.write);
    await (clock === undefined ? access : clock.run(access));
    n++;
    const pool = space.zswap?.poolPages ?? 0;
    if (pool > rec.poolPeak) rec.poolPeak = pool;
    if (n % every === 0) rec.point(n, (performance.now() - t0) / 1000, space.stats());
    if (n % progressEvery === 0) {
      spec.onProgress?.(name, n);
      if (spec.durationMs !== undefined && performance.now() - t0 > spec.durationMs) break;
      // Swap-ins served from the pool never leave the microtask queue: let signals in.
      await setImmediate();
    }
    if (signal?.aborted) break;
  }
  return n;
}

/**
 * Runs one configuration; a swap-in that comes back wrong rejects with ZswapDataError. An abort
 * of `signal` stops it, closes its space and device, and rejects with the signal's reason.
 */
export async function runConfig(
  spec: RunSpec,
  name: ConfigName,
  signal?: AbortSignal,
): Promise<ConfigResult> {
  const clock = spec.device === "memory" ? new SimClock() : undefined;
  const { space, device } = await spaceOpen(spec, name, clock);
  const resident = new ResidentSet(space, spec.corpus, spec.frames, spec.policy);
  const rec = new Recorder(spec.seed);
  resident.onSwapIn = (us) => rec.swapIn(us);
  const trace = new SwapTrace(spec.pageClasses, spec.pages);
  resident.swapTrace = trace;
  const settle = <T>(work: Promise<T>) => (clock === undefined ? work : clock.run(work));
  const t0 = performance.now();
  let n: number;
  let seconds: number;
  let counters: SwapSpaceStats;
  try {
    n = await replay(spec, name, space, resident, rec, clock, signal);
    // What is still being written (behind, or back) is part of the run's time.
    await settle(space.flush());
    seconds = (performance.now() - t0) / 1000;
    counters = space.stats();
  } finally {
    await settle(space.close());
    await device.close();
  }
  signal?.throwIfAborted();
  const zswapIns = counters.zswpin ?? 0;
  const stored = counters.compressed_bytes ?? 0;
  const ins = swapInsStored(counters);
  const hitRatio = ins === 0 ? 0 : zswapIns / ins;
  const belady = trace.minHitRatio(spec.beladyPages) ?? null;
  return {
    name,
    label: CONFIGS[name].label,
    accesses: n,
    seconds,
    accessesPerSecond: n / seconds,
    swapIns: rec.samples,
    swapInLatencyUs: rec.latencyUs(),
    deviceReads: counters.pswpin,
    deviceWrites: counters.pswpout + (counters.zswpwb ?? 0),
    zswapHitRatio: hitRatio,
    beladyHitRatio: belady,
    ofBelady: belady === null || belady === 0 ? null : hitRatio / belady,
    compressionRatio: stored === 0 ? 0 : (counters.Zswapped ?? 0) / stored,
    poolPeakBytes: rec.poolPeak * PAGE_SIZE,
    verified: resident.verified,
    counters,
    series: rec.series,
  };
}
