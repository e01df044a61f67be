// Zswap's tunables (the kernel's module parameters), their defaults, and their validation.
// Validation runs whole before anything is applied, so a bad option changes nothing.

import os from "node:os";
import {
  COMPRESSOR_DEFAULT,
  type CompressorParams,
  compressorCreate,
  dictionaryCheck,
} from "../compress/index.ts";
import {
  PAGE_SIZE,
  POOL_BYTES_MAX,
  POOL_PAGES_MAX,
  RECOMPRESSORS_MAX,
  WRITEBACK_IN_FLIGHT_DEFAULT,
  WRITEBACK_IN_FLIGHT_MAX,
} from "../constants.ts";
import { optionBad, optionsKnownCheck } from "../errors.ts";
import { WRITEBACK_POLICY_NAMES, type WritebackPolicyName } from "./policy.ts";

export interface ZswapOptions {
  /** Codec for new stores: lz4 (the default), lz4hc, zstd, deflate, or lzo (GPL, opt-in). */
  compressor?: string;
  /**
   * The compressor's parameters (zram's algorithm_params): `dictionary`, a zstd dictionary (as
   * `zswap dict train` makes), for the zstd compressor. Given with `compressor` or alone, they
   * apply to that codec; a change of `compressor` without them drops them. Pages stored with an
   * older dictionary stay readable (up to DICTS_KEPT_MAX dictionaries in use at once).
   */
  compressorParams?: CompressorParams;
  /** Pool bound in bytes, at most POOL_BYTES_MAX (just under 16 GiB). Give this or maxPoolPercent, not both. */
  maxPoolBytes?: number;
  /**
   * Pool bound as a percent of memoryBytes (the kernel's max_pool_percent, default 20), capped at
   * POOL_BYTES_MAX (16 GiB): on a machine of more than 80 GiB the default is that cap.
   */
  maxPoolPercent?: number;
  /** The memory maxPoolPercent is a share of. Default: this machine's (os.totalmem()). */
  memoryBytes?: number;
  /** Once full, refuse stores until the pool is below this percent of its bound (default 90). */
  acceptThresholdPercent?: number;
  /** Decline pages whose compressed size is above this percent of a page (the 2013 writeback patch's, 80). */
  maxCompressionRatio?: number;
  /** What to do with a page above maxCompressionRatio: decline it, or keep it uncompressed. */
  incompressible?: "reject" | "store-raw";
  /** Free the entry when it is loaded (today's zswap) or keep it (the 2013 writeback patch's). Default true. */
  exclusiveLoads?: boolean;
  /** Hard bound on writebacks in flight, 1..WRITEBACK_IN_FLIGHT_MAX (the 2013 writeback patch's 64). */
  writebacksInFlightMax?: number;
  /** Proactive writeback that keeps the pool below shrinkerTargetPercent (shrinker_enabled). */
  shrinkerEnabled?: boolean;
  /** The shrinker's target, percent of the pool bound (default 88: just under the default accept
   *  threshold, so the pool stays nearly full yet rarely reaches its bound). */
  shrinkerTargetPercent?: number;
  /**
   * What writeback takes first: `lru`, the oldest entry (the kernel's), or `dip`, which places
   * new entries as LRU or as BIP does, whichever two shadow pools show would serve more swap-ins.
   */
  writebackPolicy?: WritebackPolicyName;
  /**
   * Codecs recompress() tries after the primary one, in priority order, at most
   * RECOMPRESSORS_MAX (zram's recomp_algorithm): e.g. ["zstd"] behind lz4. Default none.
   */
  recompressors?: readonly string[];
  /**
   * The recompressors' parameters: `dictionary`, a zstd dictionary for the `zstd` recompressor
   * (zram's algorithm_params for a recomp_algorithm). Kept while `recompressors` names zstd;
   * dropped when a change of `recompressors` without them does not. Pages recompressed with an
   * older dictionary stay readable, as for compressorParams.
   */
  recompressorParams?: CompressorParams;
  /** Bound writebackNow by the budget writebackLimitSet gives (zram's writeback_limit_enable). */
  writebackLimitEnable?: boolean;
  /**
   * Writeback writes compressed bytes, packed several to a block, into the device's slots after
   * the area's (the packed region: a device larger than the area is needed), instead of each
   * page decompressed to its own slot. Fixed at construction. Default false.
   */
  compressedWriteback?: boolean;
}

export interface ZswapConfig {
  compressor: string;
  compressorParams: CompressorParams;
  poolPagesMax: number;
  acceptThresholdPercent: number;
  maxCompressionRatio: number;
  incompressible: "reject" | "store-raw";
  exclusiveLoads: boolean;
  writebacksInFlightMax: number;
  shrinkerEnabled: boolean;
  shrinkerTargetPercent: number;
  writebackPolicy: WritebackPolicyName;
  recompressors: readonly string[];
  recompressorParams: CompressorParams;
  writebackLimitEnable: boolean;
  compressedWriteback: boolean;
}

const MAX_POOL_PERCENT_DEFAULT = 20;
const ACCEPT_THRESHOLD_PERCENT_DEFAULT = 90;
/** maxCompressionRatio's default: the 2013 writeback patch's. */
export const MAX_COMPRESSION_RATIO_DEFAULT = 80;
const SHRINKER_TARGET_PERCENT_DEFAULT = 88;

function optionNumber(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    optionBad(`${name} must be a number in ${min}..${max}, got ${String(v)}`);
  }
  return v;
}

const KNOWN = new Set<string>([
  "compressor",
  "compressorParams",
  "maxPoolBytes",
  "maxPoolPercent",
  "memoryBytes",
  "acceptThresholdPercent",
  "maxCompressionRatio",
  "incompressible",
  "exclusiveLoads",
  "writebacksInFlightMax",
  "shrinkerEnabled",
  "shrinkerTargetPercent",
  "writebackPolicy",
  "recompressors",
  "recompressorParams",
  "writebackLimitEnable",
  "compressedWriteback",
]);

/** The pool's bound in pages: from maxPoolBytes, a percent of memory (capped), or the base's. */
function poolPagesResolve(opts: ZswapOptions, base: ZswapConfig | undefined): number {
  if (opts.maxPoolBytes !== undefined && opts.maxPoolPercent !== undefined) {
    optionBad("give maxPoolBytes or maxPoolPercent, not both");
  }
  if (opts.maxPoolBytes !== undefined) {
    const bytes = optionNumber("maxPoolBytes", opts.maxPoolBytes, 0, POOL_BYTES_MAX);
    return Math.floor(bytes / PAGE_SIZE);
  }
  if (opts.maxPoolPercent === undefined && base !== undefined) {
    if (opts.memoryBytes !== undefined) optionBad("memoryBytes needs maxPoolPercent");
    return base.poolPagesMax;
  }
  const percent = optionNumber(
    "maxPoolPercent",
    opts.maxPoolPercent ?? MAX_POOL_PERCENT_DEFAULT,
    0,
    100,
  );
  const memory = optionNumber("memoryBytes", opts.memoryBytes ?? os.totalmem(), 0, 2 ** 52);
  return Math.min(POOL_PAGES_MAX, Math.floor((memory * percent) / 100 / PAGE_SIZE));
}

/** The recompressors: known codec names, each once, at most RECOMPRESSORS_MAX. */
function recompressorsResolve(v: unknown): readonly string[] {
  if (!Array.isArray(v) || v.length > RECOMPRESSORS_MAX) {
    optionBad(`recompressors must be an array of at most ${RECOMPRESSORS_MAX} codec names`);
  }
  for (const name of v) compressorCreate(name); // throws if unknown or unavailable
  if (new Set(v).size !== v.length) optionBad("recompressors names a codec twice");
  return [...v];
}

function optionBoolean(name: string, v: unknown): boolean {
  if (typeof v !== "boolean") optionBad(`${name} must be a boolean`);
  return v;
}

/**
 * The recompressors' parameters: those given (for zstd among them), else the base's while zstd
 * stays among them.
 */
function recompressorParamsResolve(
  opts: ZswapOptions,
  recompressors: readonly string[],
  base?: ZswapConfig,
): CompressorParams {
  const zstd = recompressors.includes("zstd");
  if (opts.recompressorParams === undefined) return zstd ? (base?.recompressorParams ?? {}) : {};
  const why = zstd ? undefined : "which recompressors does not name";
  return paramsCheck(opts.recompressorParams, "recompressorParams", why);
}

/**
 * The codec's parameters: those given (checked, the dictionary copied so the caller's buffer
 * may change), else the base's while the codec stays the same.
 */
function paramsResolve(
  opts: ZswapOptions,
  compressor: string,
  base?: ZswapConfig,
): CompressorParams {
  const p = opts.compressorParams;
  if (p === undefined) {
    return compressor === base?.compressor ? base.compressorParams : {};
  }
  const why = compressor === "zstd" ? undefined : `not "${compressor}"`;
  return paramsCheck(p, "compressorParams", why);
}

/**
 * Parameters `p` of option `name` checked, the dictionary copied so the caller's buffer may
 * change; a dictionary only for zstd (`notZstd` says why the codec they are for is not).
 */
function paramsCheck(
  p: CompressorParams,
  name: string,
  notZstd: string | undefined,
): CompressorParams {
  if (typeof p !== "object" || p === null) optionBad(`${name} must be an object`);
  for (const key of Object.keys(p)) {
    if (key !== "dictionary") optionBad(`unknown ${name} option "${key}"`);
  }
  if (p.dictionary === undefined) return {};
  if (notZstd !== undefined) optionBad(`${name}.dictionary is for the zstd compressor, ${notZstd}`);
  dictionaryCheck(p.dictionary, `${name}.dictionary`);
  return { dictionary: p.dictionary.slice() };
}

/** Resolves options over a base config (the defaults, or the current config when reconfiguring). */
export function configResolve(opts: ZswapOptions, base?: ZswapConfig): ZswapConfig {
  optionsKnownCheck(opts, KNOWN);
  const compressor = opts.compressor ?? base?.compressor ?? COMPRESSOR_DEFAULT;
  if (opts.compressor !== undefined) compressorCreate(opts.compressor); // throws if unavailable
  const incompressible = opts.incompressible ?? base?.incompressible ?? "reject";
  if (incompressible !== "reject" && incompressible !== "store-raw") {
    optionBad(`incompressible must be "reject" or "store-raw", got ${String(incompressible)}`);
  }
  const writebackPolicy = opts.writebackPolicy ?? base?.writebackPolicy ?? "lru";
  const recompressors =
    opts.recompressors !== undefined
      ? recompressorsResolve(opts.recompressors)
      : (base?.recompressors ?? []);
  if (!WRITEBACK_POLICY_NAMES.includes(writebackPolicy)) {
    optionBad(
      `writebackPolicy must be one of ${WRITEBACK_POLICY_NAMES.join(", ")}, got ${String(writebackPolicy)}`,
    );
  }
  const percent = (name: keyof ZswapConfig & keyof ZswapOptions, fallback: number) =>
    optionNumber(name, opts[name] ?? base?.[name] ?? fallback, 0, 100);
  const writebacksInFlightMax = optionNumber(
    "writebacksInFlightMax",
    opts.writebacksInFlightMax ?? base?.writebacksInFlightMax ?? WRITEBACK_IN_FLIGHT_DEFAULT,
    1,
    WRITEBACK_IN_FLIGHT_MAX,
  );
  if (!Number.isInteger(writebacksInFlightMax)) {
    optionBad("writebacksInFlightMax must be an integer");
  }
  return {
    compressor,
    compressorParams: paramsResolve(opts, compressor, base),
    poolPagesMax: poolPagesResolve(opts, base),
    acceptThresholdPercent: percent("acceptThresholdPercent", ACCEPT_THRESHOLD_PERCENT_DEFAULT),
    maxCompressionRatio: percent("maxCompressionRatio", MAX_COMPRESSION_RATIO_DEFAULT),
    incompressible,
    exclusiveLoads: optionBoolean(
      "exclusiveLoads",
      opts.exclusiveLoads ?? base?.exclusiveLoads ?? true,
    ),
    writebacksInFlightMax,
    shrinkerEnabled: optionBoolean(
      "shrinkerEnabled",
      opts.shrinkerEnabled ?? base?.shrinkerEnabled ?? false,
    ),
    shrinkerTargetPercent: percent("shrinkerTargetPercent", SHRINKER_TARGET_PERCENT_DEFAULT),
    writebackPolicy,
    recompressors,
    recompressorParams: recompressorParamsResolve(opts, recompressors, base),
    writebackLimitEnable: optionBoolean(
      "writebackLimitEnable",
      opts.writebackLimitEnable ?? base?.writebackLimitEnable ?? false,
    ),
    compressedWriteback: optionBoolean(
      "compressedWriteback",
      opts.compressedWriteback ?? base?.compressedWriteback ?? false,
    ),
  };
}
