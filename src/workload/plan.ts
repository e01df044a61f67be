// A run's plan: from a checked request (what the user asked, no file touched yet) to what will
// run (pages, accesses, frames, pool, device), reading the trace and the corpus on the way. Every
// input is checked here, before any configuration opens a swap file.

import { lstat, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { compressorCreate } from "../compress/index.ts";
import {
  COMPRESS_BUFFER_BYTES,
  PAGE_SIZE,
  POOL_BYTES_MAX,
  RUN_CORPUS_PAGES_MAX,
  RUN_FRAMES_MAX,
} from "../constants.ts";
import { FileDevice, type LatencyModel, RedisDevice } from "../device/index.ts";
import { ZswapExistsError, ZswapInputError, ZswapOptionError } from "../errors.ts";
import { MAX_COMPRESSION_RATIO_DEFAULT } from "../zswap/index.ts";
import { pageClasses } from "./belady.ts";
import { capturePages } from "./capture.ts";
import { corpusRead } from "./corpus.ts";
import { dictionaryFromPages, dictionaryRead } from "./dictionary.ts";
import { GENERATED_MIX, generatePages } from "./generate.ts";
import { type PatternName, pattern } from "./patterns.ts";
import type { EvictionPolicy } from "./resident.ts";
import type { ConfigName, ConfigResult, RunSpec } from "./run.ts";
import type { ConfigSummary } from "./summary.ts";
import { type TraceFormat, traceAccesses, traceFormat, traceScan } from "./trace.ts";

export { COMPRESSOR_DEFAULT } from "../compress/index.ts";
export { LATENCY_PRESETS, redisTargetParse } from "../device/index.ts";

/** Throws ZSWAP_E_COMPRESSOR unless a compressor of that name can be loaded. */
export function compressorCheck(name: string): void {
  compressorCreate(name);
}

/** A size as asked: bytes, or a percent of the working set. */
export type SizeAsked = { bytes: number } | { percent: number };

/** What the user asked for, checked in itself; files are read by planMake. */
export interface RunRequest {
  workload:
    | {
        kind: "pattern";
        name: PatternName;
        pages: number;
        accesses: number;
        writeRatio: number;
        zipfSkew: number;
      }
    | { kind: "trace"; path: string; format: TraceFormat | undefined };
  /** Page contents: a corpus file, this process's own memory, or the generator. */
  pagesFrom: { kind: "file"; path: string } | { kind: "self" } | { kind: "generated" };
  /** Resident page frames; undefined for RESIDENT_DEFAULT. */
  resident: SizeAsked | undefined;
  pool: SizeAsked | undefined;
  compressor: string;
  configs: ConfigName[];
  /** The dict configuration's zstd dictionary file; by default one is trained on the run's pages. */
  dictionary?: string;
  policy: EvictionPolicy;
  seed: number;
  /** Measured runs of each configuration, after `warmup` runs that are not (interleaved). */
  runs: number;
  warmup: number;
  /** Each run with its own seed (seed + its index) instead of the same one. */
  varySeed: boolean;
  durationMs: number | undefined;
  deviceLatency: { model: LatencyModel; label: string } | undefined;
  /**
   * The swap device: a file (real I/O and time), memory, simulated (deterministic), or Redis
   * (`redis` says where).
   */
  device: "file" | "memory" | "redis";
  swapfile: { path: string; reuse: boolean } | undefined;
  /** Swap I/O through the OS page cache instead of O_DIRECT. */
  pageCache: boolean;
  /** Codec threads of each configuration's space (SwapSpaceOptions.threads). */
  threads: number;
  /**
   * A Redis server or cluster as the device (a URL checked by redisTargetParse), optionally with
   * a swap file of `tierFile` in front of it; else a swap file alone.
   */
  redis: { url: string; describe: string; tierFile: SizeAsked | undefined } | undefined;
}

/** What `run` was asked to do, resolved, as the report states it. */
export interface RunPlan {
  workload: string;
  pagesSource: string;
  pages: number;
  accesses: number;
  frames: number;
  poolBytes: number;
  /** Pages Belady's MIN holds: poolBytes over the mean compressed size of the pages zswap stores. */
  beladyPages: number;
  compressor: string;
  /** The dict configuration's dictionary: where it came from, its size and id; null without it. */
  dictionary: string | null;
  policy: EvictionPolicy;
  configs: ConfigName[];
  seed: number;
  runs: number;
  warmup: number;
  varySeed: boolean;
  threads: number;
  deviceLatency: string;
  /** The swap file and whether its I/O bypassed the page cache. */
  device: string;
}

/** The layout of `zswap run --json`: it changes when a field changes meaning or goes away. */
export const RUN_SCHEMA_VERSION = 1;

export interface RunReport {
  /** RUN_SCHEMA_VERSION of the tool that wrote it. */
  schemaVersion: number;
  /** The version of zswap-ts that ran. */
  version: string;
  machine: { cpu: string; cores: number; node: string; platform: string };
  plan: RunPlan;
  /** Every measured run of every configuration, in the order they ran (interleaved). */
  results: RunResult[];
  /** Each configuration over its runs, in the order of plan.configs. */
  summary: ConfigSummary[];
  /** Set when a signal stopped the run: the run it stopped, which is not in results. */
  interrupted?: { signal: string; config: ConfigName; run: number };
}

/** One measured run of a configuration: its index (1..runs) and seed, and its result. */
export type RunResult = { run: number; seed: number } & ConfigResult;

function sizeBytes(size: SizeAsked, whole: number): number {
  return "bytes" in size ? size.bytes : Math.floor((size.percent / 100) * whole);
}

/** The workload's accesses, pages and description; a trace is scanned once here. */
export async function workloadResolve(
  w: RunRequest["workload"],
  signal: AbortSignal | undefined,
): Promise<Pick<RunSpec, "accesses" | "accessCount" | "pages"> & { label: string }> {
  if (w.kind === "pattern") {
    const label = `${w.name} over ${w.pages} pages, ${w.accesses} accesses, ${Math.round(w.writeRatio * 100)}% writes`;
    const accesses = (seed: number) => pattern(w.name, { ...w, seed });
    return { accesses, accessCount: w.accesses, pages: w.pages, label };
  }
  // Read once to scan and once per configuration: a pipe would be empty the second time. A
  // missing file is left to the reader, whose error names it.
  const info = await stat(w.path).catch(() => undefined);
  if (info !== undefined && !info.isFile()) {
    throw new ZswapInputError(
      `trace ${w.path} is not a regular file: it is read once per configuration, so save it to a file first`,
    );
  }
  const format = w.format ?? (await traceFormat(w.path));
  const scan = await traceScan(w.path, format, signal);
  if (scan.pages < 2) {
    throw new ZswapInputError(`trace ${w.path} touches one page: nothing would swap`);
  }
  return {
    accesses: () => traceAccesses(w.path, format),
    accessCount: scan.accesses,
    pages: scan.pages,
    label: `trace ${w.path} (${format}, ${scan.accesses} page accesses)`,
  };
}

/**
 * Page contents, at most RUN_CORPUS_PAGES_MAX pages (a larger working set reuses them in turn).
 */
export function corpusLoad(
  from: RunRequest["pagesFrom"],
  workingSet: number,
  seed: number,
): { corpus: Uint8Array[]; source: string } {
  const pages = Math.min(workingSet, RUN_CORPUS_PAGES_MAX);
  if (from.kind === "file")
    return { corpus: corpusRead(from.path, pages), source: `corpus ${from.path}` };
  if (from.kind === "self") {
    const own = capturePages("self", pages);
    if (own.length === 0) throw new ZswapInputError("this process's memory could not be read");
    return { corpus: own, source: `this process's own memory (${own.length} pages)` };
  }
  const mix = Object.entries(GENERATED_MIX)
    .map(([k, v]) => `${v}% ${k}`)
    .join(", ");
  return { corpus: generatePages(pages, seed), source: `generated pages, seed ${seed} (${mix})` };
}

/**
 * The dict configuration's dictionary, when it runs: the file given, or one trained on the
 * corpus (the pages it then stores: a dictionary's best case, as the description says).
 */
function dictionaryResolve(
  req: RunRequest,
  corpus: readonly Uint8Array[],
): { dictionary: Uint8Array; label: string } | undefined {
  if (!req.configs.includes("dict")) return undefined;
  if (req.dictionary !== undefined) {
    const dictionary = dictionaryRead(req.dictionary);
    return { dictionary, label: `${req.dictionary} (${dictionary.length} bytes)` };
  }
  const t = dictionaryFromPages(corpus, "the run's pages");
  const label = `trained on ${t.pagesUsed} of the run's own pages (${t.dictionary.length} bytes, id ${t.id}; the pages it then stores, so a best case: give --dict for a dictionary trained elsewhere)`;
  return { dictionary: t.dictionary, label };
}

/** Mean compressed size of a sample of the corpus, for sizing the default pool. */
function compressedPageBytes(corpus: readonly Uint8Array[], compressor: string): number {
  const codec = compressorCreate(compressor);
  const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
  const step = Math.max(1, Math.floor(corpus.length / 512));
  let sum = 0;
  let n = 0;
  for (let i = 0; i < corpus.length; i += step, n++) {
    const len = codec.compress(corpus[i], dst, PAGE_SIZE);
    sum += len === 0 ? PAGE_SIZE : len;
  }
  return sum / n;
}

/** The resident frames when none are asked for: 12.5% of the working set, at least one. */
const RESIDENT_DEFAULT: SizeAsked = { percent: 12.5 };

function framesResolve(resident: SizeAsked | undefined, pages: number): number {
  const share = Math.floor(sizeBytes(resident ?? RESIDENT_DEFAULT, pages * PAGE_SIZE) / PAGE_SIZE);
  // Only a size the user gave can be too small: the default of a working set under 8 pages is 1.
  const frames = resident === undefined ? Math.max(1, share) : share;
  const at = `--resident (${frames} pages)`;
  if (frames < 1) throw new ZswapOptionError("--resident must be at least one page frame");
  if (frames >= pages) {
    throw new ZswapOptionError(
      `${at} must be smaller than the working set (${pages} pages): nothing would swap`,
    );
  }
  if (frames > RUN_FRAMES_MAX) {
    throw new ZswapOptionError(
      `${at} is more than the ${RUN_FRAMES_MAX} frames (1 GiB) modelled at most`,
    );
  }
  return frames;
}

function poolResolve(pool: SizeAsked | undefined, pages: number, swappableBytes: number): number {
  const bytes =
    pool === undefined
      ? Math.max(PAGE_SIZE, Math.floor(swappableBytes / 2))
      : sizeBytes(pool, pages * PAGE_SIZE);
  if (bytes > pages * PAGE_SIZE) {
    throw new ZswapOptionError(
      `--pool (${bytes} bytes) is larger than the working set: writeback would never run`,
    );
  }
  return Math.min(bytes, POOL_BYTES_MAX);
}

/** Refuses a --swapfile that FileDevice.open would refuse, before anything runs. */
async function swapfileCheck({ path, reuse }: { path: string; reuse: boolean }): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (info !== undefined && !reuse) {
    throw new ZswapExistsError(
      `--swapfile ${path} exists; to use an existing file you own as swap (its contents are overwritten), add --swapfile-reuse`,
    );
  }
  if (reuse && !info?.isFile()) {
    const what = info === undefined ? "does not exist" : "is not a regular file";
    throw new ZswapOptionError(
      `--swapfile ${path} ${what}: --swapfile-reuse uses an existing regular file`,
    );
  }
}

/**
 * Opens and closes a one-slot device on the Redis server or cluster, so that one that cannot be
 * reached, or refuses this user, fails before anything runs (ZswapIOError naming the address).
 */
async function redisReach(redis: { url: string; describe: string }): Promise<string> {
  const device = await RedisDevice.open({ slots: 1, url: redis.url, keyPrefix: "zswap-run" });
  await device.close();
  return `${device.target.cluster ? "redis cluster" : "redis"} ${redis.describe} (each configuration under its own key prefix, removed after)`;
}

/** Pages of the swap file in front of Redis: at least one, fewer than the working set. */
function tierPagesResolve(tier: SizeAsked, pages: number): number {
  const tierPages = Math.floor(sizeBytes(tier, pages * PAGE_SIZE) / PAGE_SIZE);
  if (tierPages < 1 || tierPages >= pages) {
    throw new ZswapOptionError(
      `--tier-file (${tierPages} pages) must be 1 page or more and smaller than the working set (${pages} pages)`,
    );
  }
  return tierPages;
}

/** Each configuration's device: a swap file, Redis, or a swap file in front of Redis. */
async function deviceResolve(
  req: RunRequest,
  pages: number,
): Promise<{ direct: boolean; label: string; tierPages: number | undefined }> {
  if (req.device === "memory") {
    const label = "memory, simulated (virtual time: a seed fixes the run)";
    return { direct: false, label, tierPages: undefined };
  }
  if (req.redis !== undefined) {
    const tier = req.redis.tierFile;
    const tierPages = tier === undefined ? undefined : tierPagesResolve(tier, pages);
    const redis = await redisReach(req.redis);
    if (tierPages === undefined) return { direct: false, label: redis, tierPages };
    const direct = !req.pageCache && (await FileDevice.directSupported());
    const file = `an unnamed swap file of ${tierPages} pages (${direct ? "O_DIRECT" : "page cache"})`;
    return { direct, label: `${file}, its oldest pages moved to ${redis}`, tierPages };
  }
  return { ...(await fileResolve(req)), tierPages: undefined };
}

/** Where each configuration's swap file goes, and whether it bypasses the page cache. */
async function fileResolve(req: RunRequest): Promise<{ direct: boolean; label: string }> {
  if (req.swapfile !== undefined) await swapfileCheck(req.swapfile);
  const folder = req.swapfile === undefined ? undefined : dirname(req.swapfile.path);
  const direct = !req.pageCache && (await FileDevice.directSupported(folder));
  const file =
    req.swapfile === undefined
      ? "an unnamed temporary swap file"
      : req.swapfile.reuse
        ? `${req.swapfile.path} (reused)`
        : `${req.swapfile.path} (created, unlinked once open)`;
  return {
    direct,
    label: `${file}, ${direct ? "page cache bypassed (O_DIRECT)" : "through the OS page cache"}`,
  };
}

/** Resolves a request into the plan the report states and the spec each configuration runs. */
export async function planMake(
  req: RunRequest,
  signal?: AbortSignal,
): Promise<{ plan: RunPlan; spec: Omit<RunSpec, "onProgress"> }> {
  const w = await workloadResolve(req.workload, signal);
  const frames = framesResolve(req.resident, w.pages);
  const { corpus, source } = corpusLoad(req.pagesFrom, w.pages, req.seed);
  const poolBytes = poolResolve(
    req.pool,
    w.pages,
    (w.pages - frames) * compressedPageBytes(corpus, req.compressor),
  );
  const device = await deviceResolve(req, w.pages);
  const dict = dictionaryResolve(req, corpus);
  const classes = pageClasses(corpus, req.compressor, MAX_COMPRESSION_RATIO_DEFAULT);
  const beladyPages = Math.floor(poolBytes / classes.storedBytesMean);
  const plan: RunPlan = {
    workload: w.label,
    pagesSource: source,
    pages: w.pages,
    accesses: w.accessCount,
    frames,
    poolBytes,
    beladyPages,
    compressor: req.compressor,
    dictionary: dict?.label ?? null,
    policy: req.policy,
    configs: req.configs,
    seed: req.seed,
    runs: req.runs,
    warmup: req.warmup,
    varySeed: req.varySeed,
    threads: req.threads,
    deviceLatency: req.deviceLatency?.label ?? "none (the device's own)",
    device: device.label,
  };
  const spec = {
    ...w,
    corpus,
    frames,
    policy: req.policy,
    poolBytes,
    pageClasses: classes,
    beladyPages,
    compressor: req.compressor,
    dictionary: dict?.dictionary,
    configs: req.configs,
    device: req.device,
    swapfile: req.swapfile,
    redisUrl: req.redis?.url,
    tierPages: device.tierPages,
    direct: device.direct,
    deviceLatency: req.deviceLatency?.model,
    seed: req.seed,
    durationMs: req.durationMs,
    threads: req.threads,
  };
  return { plan, spec };
}
