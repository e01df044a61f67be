// The comparison run: one workload, the same pages, replayed through each configuration of the
// swap stack, every swap-in verified. What `zswap run` (and `npm start`) executes.

import type { Histogram, RecordableHistogram } from "node:perf_hooks";
import { setImmediate } from "node:timers/promises";
import { type Clock, SimClock } from "../clock.ts";
import { PAGE_SIZE } from "../constants.ts";
import {
  FaultyDevice,
  FileDevice,
  type LatencyModel,
  MemoryDevice,
  RedisDevice,
  type SwapDevice,
  TieredDevice,
} from "../device/index.ts";
import { SwapSpace, type SwapSpaceOptions, type SwapSpaceStats } from "../swap/index.ts";
import { packedRegionSlots, type Zswap, type ZswapOptions } from "../zswap/index.ts";
import { type PageClasses, SwapTrace } from "./belady.ts";
import {
  type LatencyDistribution,
  latencyDistribution,
  latencyHistogram,
  latencyRecord,
  latencyUsAt,
} from "./histogram.ts";
import type { Access } from "./patterns.ts";
import { type EvictionPolicy, ResidentSet } from "./resident.ts";

/**
 * zram's tools, run every `toolPeriodFrames` x `frames` accesses (`frames` accesses turn the
 * resident set over at most once): pages not swapped in for a period are idle. `idle-writeback`
 * writes them to the device every 4 turns (every turn, it sends 2.5 times LRU writeback's pages
 * to the device on the shift workload); `recompress` compresses them again with zstd every turn.
 */
const TOOL_IDLE_WRITEBACK = async (z: Zswap): Promise<void> => {
  await z.writebackNow({ type: "idle" });
  z.markIdle();
};
const TOOL_RECOMPRESS = async (z: Zswap): Promise<void> => {
  z.recompress({ type: "idle" });
  z.markIdle();
};

/**
 * The configurations compared, from no zswap to the best we have; those with `optIn` (zram's
 * tools) only run when --configs names them. `dictionary` asks for the run's zstd dictionary.
 */
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
  "idle-writeback": {
    label: "zswap + writeback + idle writeback",
    space: { writeback: true, whenFull: "reject" },
    optIn: true,
    tool: TOOL_IDLE_WRITEBACK,
    toolPeriodFrames: 4,
  },
  recompress: {
    label: "zswap + writeback + idle recompression (zstd)",
    space: { writeback: true, whenFull: "reject" },
    zswap: { recompressors: ["zstd"] },
    optIn: true,
    tool: TOOL_RECOMPRESS,
    toolPeriodFrames: 1,
  },
  dict: {
    label: "zswap + writeback, zstd with a dictionary",
    space: { writeback: true, whenFull: "reject" },
    zswap: { compressor: "zstd" },
    optIn: true,
    dictionary: true,
  },
  dedup: {
    label: "zswap + writeback + dedup",
    space: { writeback: true, whenFull: "reject", dedup: true },
    optIn: true,
  },
  "compressed-writeback": {
    label: "zswap + compressed writeback (packed)",
    space: { writeback: true, whenFull: "reject" },
    zswap: { compressedWriteback: true },
    optIn: true,
  },
} as const satisfies Record<
  string,
  {
    label: string;
    space: Partial<SwapSpaceOptions>;
    zswap?: Omit<ZswapOptions, "compressorParams">;
    optIn?: true;
    dictionary?: true;
    tool?: (z: Zswap) => Promise<void>;
    toolPeriodFrames?: number;
  }
>;
export type ConfigName = keyof typeof CONFIGS;
/** Every configuration, opt-in ones included: what --configs may name. */
export const CONFIG_NAMES_ALL = Object.keys(CONFIGS) as ConfigName[];
/** Configurations run only when named (`optIn`). */
export const CONFIG_OPT_IN = CONFIG_NAMES_ALL.filter((n) => "optIn" in CONFIGS[n]);
/** The configurations run when --configs names none. */
export const CONFIG_NAMES = CONFIG_NAMES_ALL.filter((n) => !CONFIG_OPT_IN.includes(n));

export interface RunSpec {
  /** A fresh iterator over the accesses of a seed (a trace ignores it), once per run. */
  accesses: (seed: number) => AsyncIterable<Access> | Iterable<Access>;
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
  /** The zstd dictionary of the `dict` configuration (needed when it runs). */
  dictionary?: Uint8Array;
  configs: readonly ConfigName[];
  /**
   * The device: a swap file (real I/O, real time), memory, simulated (virtual time for the wait
   * policy, writeback's backoff and modelled latency, so a seed fixes the whole run), or Redis.
   */
  device: "file" | "memory" | "redis";
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
  /** Codec threads of each configuration's space (default 0: the replay swaps one at a time). */
  threads?: number;
  /** Called about every 1% of a configuration's accesses. */
  onProgress?: (config: ConfigName, done: number) => void;
  /** Called as a configuration's run starts, with what a live view may read while it goes. */
  onStart?: (config: ConfigName, live: LiveRun) => void;
}

/** A configuration's run as it goes: read only (its space is closed once the run ends). */
export interface LiveRun {
  readonly series: Readonly<Series>;
  /** Every swap-in's latency so far. */
  readonly latencies: Histogram;
  readonly space: SwapSpace;
}

/**
 * Points of a configuration's run over time: one per sample, at the same access counts. A window
 * without the data a point needs has null there; a series that cannot apply (a pool's, without
 * zswap) is absent.
 */
export interface Series {
  accesses: number[];
  seconds: number[];
  poolBytes?: number[];
  /** zswap hits / swap-ins (zero pages aside) within the sample's window. */
  hitRatio?: (number | null)[];
  deviceReads: number[];
  deviceWrites: number[];
  /** Median swap-in latency within the window, µs. */
  swapInP50Us: (number | null)[];
}

export interface ConfigResult {
  name: ConfigName;
  label: string;
  accesses: number;
  seconds: number;
  accessesPerSecond: number;
  swapIns: number;
  /** Percentiles of every swap-in's latency, and their distribution. */
  swapInLatencyUs: {
    p50: number;
    p99: number;
    p999: number;
    mean: number;
    distribution: LatencyDistribution;
  };
  /** Pages read from the device (pswpin). */
  deviceReads: number;
  /**
   * Pages written to the device: direct swap-outs (pswpout) plus writeback's, a page each or a
   * block of packed pages each (bd_write_bytes / PAGE_SIZE).
   */
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

/** Pages written to the device: direct swap-outs and writeback's pages and packed blocks. */
function deviceWritesOf(st: SwapSpaceStats): number {
  return st.pswpout + (st.bd_write_bytes ?? 0) / PAGE_SIZE;
}

/** Points per time series. */
const SERIES_POINTS = 200;

/** The configuration's inner device: a swap file, simulated memory, Redis, or a file before Redis. */
async function deviceInner(spec: RunSpec, name: ConfigName): Promise<SwapDevice> {
  const { redisUrl, tierPages, direct } = spec;
  const config = CONFIGS[name];
  // Compressed writeback packs pages into blocks after the slots.
  const packed = "zswap" in config && "compressedWriteback" in config.zswap;
  const slots = spec.pages + (packed ? packedRegionSlots(spec.pages) : 0);
  if (spec.device === "memory") return new MemoryDevice({ slots });
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

/** The configuration's device, with modelled latency on the run's clock when asked. */
export async function deviceOpen(
  spec: RunSpec,
  name: ConfigName,
  clock: Clock | undefined,
): Promise<SwapDevice> {
  const inner = await deviceInner(spec, name);
  if (spec.deviceLatency === undefined) return inner;
  return new FaultyDevice(inner, { seed: spec.seed, latency: spec.deviceLatency, clock });
}

async function spaceOpen(
  spec: RunSpec,
  name: ConfigName,
  clock: Clock | undefined,
): Promise<{ space: SwapSpace; device: SwapDevice }> {
  const config = CONFIGS[name];
  const device = await deviceOpen(spec, name, clock);
  const zswap =
    "zswap" in config.space
      ? (false as const)
      : {
          compressor: spec.compressor,
          ...("zswap" in config ? config.zswap : {}),
          ...("dictionary" in config ? { compressorParams: { dictionary: spec.dictionary } } : {}),
          maxPoolBytes: spec.poolBytes,
        };
  try {
    const options = {
      ...config.space,
      slots: spec.pages,
      device,
      zswap,
      clock,
      threads: spec.threads ?? 0,
    };
    return { space: await SwapSpace.open(options), device };
  } catch (err) {
    await device.close();
    throw err;
  }
}

/** Swap-in latencies (every one, in the run's histogram and the window's) and the run's series. */
class Recorder {
  readonly latencies = latencyHistogram();
  samples = 0;
  latencySum = 0;
  readonly series: Series;
  poolPeak = 0;
  readonly #window = latencyHistogram();
  #last = { zswpin: 0, ins: 0 };

  constructor(
    zswap: boolean,
    readonly also?: RecordableHistogram,
  ) {
    const pool = zswap ? { poolBytes: [], hitRatio: [] } : {};
    this.series = {
      accesses: [],
      seconds: [],
      ...pool,
      deviceReads: [],
      deviceWrites: [],
      swapInP50Us: [],
    };
  }

  swapIn(us: number): void {
    this.latencySum += us;
    this.samples++;
    latencyRecord(this.latencies, us);
    latencyRecord(this.#window, us);
    if (this.also !== undefined) latencyRecord(this.also, us);
  }

  /** A point of the series after `n` accesses, `seconds` into the run. */
  point(n: number, seconds: number, st: SwapSpaceStats): void {
    const zswpin = st.zswpin ?? 0;
    const ins = swapInsStored(st) - this.#last.ins;
    const s = this.series;
    s.accesses.push(n);
    s.seconds.push(seconds);
    s.poolBytes?.push(st.pool_total_size ?? 0);
    s.hitRatio?.push(ins === 0 ? null : (zswpin - this.#last.zswpin) / ins);
    s.deviceReads.push(st.pswpin);
    s.deviceWrites.push(deviceWritesOf(st));
    s.swapInP50Us.push(this.#window.count === 0 ? null : latencyUsAt(this.#window, 50));
    this.#window.reset();
    this.#last = { zswpin, ins: swapInsStored(st) };
  }

  latencyUs(): ConfigResult["swapInLatencyUs"] {
    const h = this.latencies;
    return {
      p50: latencyUsAt(h, 50),
      p99: latencyUsAt(h, 99),
      p999: latencyUsAt(h, 99.9),
      mean: this.samples === 0 ? 0 : this.latencySum / this.samples,
      distribution: latencyDistribution(h),
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
  const config = CONFIGS[name];
  const tool = "tool" in config ? config.tool : undefined;
  const toolEvery = Math.max(1, spec.frames * ("tool" in config ? config.toolPeriodFrames : 1));
  const t0 = performance.now();
  let n = 0;
  for await (const a of spec.accesses(spec.seed)) {
    const access = resident.access(a.page, a.write);
    await (clock === undefined ? access : clock.run(access));
    n++;
    if (tool !== undefined && space.zswap !== undefined && n % toolEvery === 0) {
      const work = tool(space.zswap);
      await (clock === undefined ? work : clock.run(work));
    }
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
 * of `signal` stops it, closes its space and device, and rejects with the signal's reason. Every
 * swap-in's latency is also counted in `latencies`, when given (a configuration's runs together).
 */
export async function runConfig(
  spec: RunSpec,
  name: ConfigName,
  signal?: AbortSignal,
  latencies?: RecordableHistogram,
): Promise<ConfigResult> {
  const clock = spec.device === "memory" ? new SimClock() : undefined;
  const { space, device } = await spaceOpen(spec, name, clock);
  const resident = new ResidentSet(space, spec.corpus, spec.frames, spec.policy);
  const rec = new Recorder(space.zswap !== undefined, latencies);
  resident.onSwapIn = (us) => rec.swapIn(us);
  spec.onStart?.(name, { series: rec.series, latencies: rec.latencies, space });
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
    deviceWrites: deviceWritesOf(counters),
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
