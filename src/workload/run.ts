// The comparison run: one workload, the same pages, replayed through each configuration of the
// swap stack, every swap-in verified. What `zswap run` (and `npm start`) executes.

import { setImmediate } from "node:timers/promises";
import { PAGE_SIZE } from "../constants.ts";
import {
  FaultyDevice,
  FileDevice,
  type LatencyModel,
  RedisDevice,
  type SwapDevice,
  TieredDevice,
} from "../device/index.ts";
import { SwapSpace, type SwapSpaceOptions, type SwapSpaceStats } from "../swap/index.ts";
import type { Access } from "./patterns.ts";
import { type EvictionPolicy, ResidentSet } from "./resident.ts";

/** The configurations compared, from no zswap to the best we have. */
export const CONFIGS = {
  disk: { label: "disk only", space: { zswap: false } },
  zswap: { label: "zswap, no writeback", space: { writeback: false } },
  writeback: { label: "zswap + writeback", space: { writeback: true, whenFull: "reject" } },
  best: {
    label: "zswap + writeback + shrinker + wait",
    space: { writeback: true, whenFull: "wait" },
    shrinker: true,
  },
} as const satisfies Record<
  string,
  { label: string; space: Partial<SwapSpaceOptions>; shrinker?: boolean }
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
  compressor: string;
  configs: readonly ConfigName[];
  /** The swap file each configuration creates (or reuses); default an unnamed temporary one. */
  swapfile?: { path: string; reuse: boolean };
  /** A Redis server or cluster URL as the device instead of a swap file. */
  redisUrl?: string;
  /** With redisUrl: pages of an unnamed swap file in front of Redis (a TieredDevice). */
  tierPages?: number;
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
  /** Original bytes / compressed bytes of what zswap held at the end (0 without zswap). */
  compressionRatio: number;
  poolPeakBytes: number;
  /** Swap-ins whose bytes were checked: all of them (one that came back wrong stops the run). */
  verified: number;
  counters: SwapSpaceStats;
  series: Series;
}

/** Samples kept per configuration for latency percentiles; more are reservoir-sampled. */
const LATENCY_SAMPLES_MAX = 1 << 20;
/** Points per time series. */
const SERIES_POINTS = 200;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The swap file, Redis, or a swap file in front of Redis. */
async function deviceOpen(spec: RunSpec, name: ConfigName): Promise<SwapDevice> {
  const { pages: slots, redisUrl, tierPages, direct } = spec;
  if (redisUrl === undefined) return FileDevice.open({ slots, ...spec.swapfile, direct });
  // A configuration's Redis keys have their own prefix, and are removed when it closes.
  const redis = await RedisDevice.open({ slots, url: redisUrl, keyPrefix: `zswap-run-${name}` });
  if (tierPages === undefined) return redis;
  try {
    return new TieredDevice(await FileDevice.open({ slots: tierPages, direct }), redis);
  } catch (error) {
    await redis.close();
    throw error;
  }
}

async function openSpace(
  spec: RunSpec,
  name: ConfigName,
): Promise<{ space: SwapSpace; device: SwapDevice }> {
  const config = CONFIGS[name];
  const inner = await deviceOpen(spec, name);
  const device =
    spec.deviceLatency === undefined
      ? inner
      : new FaultyDevice(inner, { seed: spec.seed, latency: spec.deviceLatency });
  const zswap =
    "zswap" in config.space
      ? (false as const)
      : {
          maxPoolBytes: spec.poolBytes,
          compressor: spec.compressor,
          shrinkerEnabled: "shrinker" in config && config.shrinker,
        };
  try {
    return {
      space: await SwapSpace.open({ ...config.space, slots: spec.pages, device, zswap }),
      device,
    };
  } catch (err) {
    await device.close();
    throw err;
  }
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
  const { space, device } = await openSpace(spec, name);
  const resident = new ResidentSet(space, spec.corpus, spec.frames, spec.policy);
  const latencies = new Float64Array(LATENCY_SAMPLES_MAX);
  let samples = 0;
  let latencySum = 0;
  let reservoir = spec.seed >>> 0 || 1;
  // The window's own latencies: once the reservoir is full it holds no window in order. At most
  // one swap-in per access, so a window holds at most accessCount / SERIES_POINTS of them.
  let window: number[] = [];
  resident.onSwapIn = (us) => {
    latencySum += us;
    window.push(us);
    if (samples < LATENCY_SAMPLES_MAX) latencies[samples] = us;
    else {
      reservoir = (Math.imul(reservoir, 1664525) + 1013904223) >>> 0;
      const j = reservoir % (samples + 1);
      if (j < LATENCY_SAMPLES_MAX) latencies[j] = us;
    }
    samples++;
  };
  const series: Series = {
    accesses: [],
    seconds: [],
    poolBytes: [],
    hitRatio: [],
    deviceReads: [],
    deviceWrites: [],
    swapInP50Us: [],
  };
  const every = Math.max(1, Math.floor(spec.accessCount / SERIES_POINTS));
  const progressEvery = Math.max(1, Math.floor(spec.accessCount / 100));
  let last = { zswpin: 0, pswpin: 0 };
  let poolPeak = 0;
  const t0 = performance.now();
  let n = 0;
  let counters: SwapSpaceStats;
  let seconds: number;
  try {
    for await (const a of spec.accesses()) {
      await resident.access(a.page, a.write);
      n++;
      const pool = space.zswap?.pool.pagesUsed ?? 0;
      if (pool > poolPeak) poolPeak = pool;
      if (n % every === 0) {
        const s = space.counters;
        const ins = s.zswpin - last.zswpin + (s.pswpin - last.pswpin);
        series.accesses.push(n);
        series.seconds.push((performance.now() - t0) / 1000);
        series.poolBytes.push(pool * PAGE_SIZE);
        series.hitRatio.push(ins === 0 ? 0 : (s.zswpin - last.zswpin) / ins);
        series.deviceReads.push(s.pswpin);
        series.deviceWrites.push(s.pswpout + s.zswpwb);
        series.swapInP50Us.push(percentile(Float64Array.from(window).sort(), 50));
        window = [];
        last = { zswpin: s.zswpin, pswpin: s.pswpin };
      }
      if (n % progressEvery === 0) {
        spec.onProgress?.(name, n);
        if (spec.durationMs !== undefined && performance.now() - t0 > spec.durationMs) break;
        // Swap-ins served from the pool never leave the microtask queue: let signals in.
        await setImmediate();
      }
      if (signal?.aborted) break;
    }
    counters = space.stats();
    seconds = (performance.now() - t0) / 1000;
  } finally {
    await space.close();
    await device.close();
  }
  signal?.throwIfAborted();
  const sorted = latencies.subarray(0, Math.min(samples, LATENCY_SAMPLES_MAX)).slice().sort();
  const zswapIns = counters.zswpin;
  const stored = counters.compressed_bytes ?? 0;
  return {
    name,
    label: CONFIGS[name].label,
    accesses: n,
    seconds,
    accessesPerSecond: n / seconds,
    swapIns: samples,
    swapInLatencyUs: {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      p999: percentile(sorted, 99.9),
      mean: samples === 0 ? 0 : latencySum / samples,
    },
    deviceReads: counters.pswpin,
    deviceWrites: counters.pswpout + counters.zswpwb,
    zswapHitRatio: zswapIns + counters.pswpin === 0 ? 0 : zswapIns / (zswapIns + counters.pswpin),
    compressionRatio: stored === 0 ? 0 : (counters.Zswapped ?? 0) / stored,
    poolPeakBytes: poolPeak * PAGE_SIZE,
    verified: resident.verified,
    counters,
    series,
  };
}
