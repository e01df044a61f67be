// Zswap's tunables (the kernel's module parameters), their defaults, and their validation.
// Validation runs whole before anything is applied, so a bad option changes nothing.

import os from "node:os";
import { COMPRESSOR_DEFAULT, compressorCreate } from "../compress/index.ts";
import { PAGE_SIZE, WRITEBACK_IN_FLIGHT_DEFAULT, WRITEBACK_IN_FLIGHT_MAX } from "../constants.ts";
import { optionBad } from "../errors.ts";

export interface ZswapOptions {
  /** Codec for new stores: lz4 (the default), lz4hc, zstd, deflate, or lzo (GPL, opt-in). */
  compressor?: string;
  /** Pool bound in bytes. Give this or maxPoolPercent, not both. */
  maxPoolBytes?: number;
  /** Pool bound as a percent of memoryBytes (the kernel's max_pool_percent, default 20). */
  maxPoolPercent?: number;
  /** The memory maxPoolPercent is a share of. Default: this machine's (os.totalmem()). */
  memoryBytes?: number;
  /** Once full, refuse stores until the pool is below this percent of its bound (default 90). */
  acceptThresholdPercent?: number;
  /** Decline pages whose compressed size is above this percent of a page (the seed's, 80). */
  maxCompressionRatio?: number;
  /** What to do with a page above maxCompressionRatio: decline it, or keep it uncompressed. */
  incompressible?: "reject" | "store-raw";
  /** Free the entry when it is loaded (today's zswap) or keep it (the seed's). Default true. */
  exclusiveLoads?: boolean;
  /** Hard bound on writebacks in flight, 1..WRITEBACK_IN_FLIGHT_MAX (the seed's 64). */
  writebacksInFlightMax?: number;
  /** Proactive writeback that keeps the pool below shrinkerTargetPercent (shrinker_enabled). */
  shrinkerEnabled?: boolean;
  /** The shrinker's target, percent of the pool bound (default 88: just under the default accept
   *  threshold, so the pool stays nearly full yet rarely reaches its bound). */
  shrinkerTargetPercent?: number;
}

export interface ZswapConfig {
  compressor: string;
  poolPagesMax: number;
  acceptThresholdPercent: number;
  maxCompressionRatio: number;
  incompressible: "reject" | "store-raw";
  exclusiveLoads: boolean;
  writebacksInFlightMax: number;
  shrinkerEnabled: boolean;
  shrinkerTargetPercent: number;
}

const MAX_POOL_PERCENT_DEFAULT = 20;
const ACCEPT_THRESHOLD_PERCENT_DEFAULT = 90;
const MAX_COMPRESSION_RATIO_DEFAULT = 80;
const SHRINKER_TARGET_PERCENT_DEFAULT = 88;

function optionNumber(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    optionBad(`${name} must be a number in ${min}..${max}, got ${String(v)}`);
  }
  return v;
}

/** Resolves options over a base config (the defaults, or the current config when reconfiguring). */
export function configResolve(opts: ZswapOptions, base?: ZswapConfig): ZswapConfig {
  if (typeof opts !== "object" || opts === null) optionBad("options must be an object");
  const known = new Set([
    "compressor",
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
  ]);
  for (const key of Object.keys(opts)) if (!known.has(key)) optionBad(`unknown option "${key}"`);

  const compressor = opts.compressor ?? base?.compressor ?? COMPRESSOR_DEFAULT;
  if (opts.compressor !== undefined) compressorCreate(opts.compressor); // throws if unavailable

  if (opts.maxPoolBytes !== undefined && opts.maxPoolPercent !== undefined) {
    optionBad("give maxPoolBytes or maxPoolPercent, not both");
  }
  let poolPagesMax: number;
  if (opts.maxPoolBytes !== undefined) {
    poolPagesMax = Math.floor(
      optionNumber("maxPoolBytes", opts.maxPoolBytes, 0, 2 ** 52) / PAGE_SIZE,
    );
  } else if (opts.maxPoolPercent !== undefined || base === undefined) {
    const percent = optionNumber(
      "maxPoolPercent",
      opts.maxPoolPercent ?? MAX_POOL_PERCENT_DEFAULT,
      0,
      100,
    );
    const memory = optionNumber("memoryBytes", opts.memoryBytes ?? os.totalmem(), 0, 2 ** 52);
    poolPagesMax = Math.floor((memory * percent) / 100 / PAGE_SIZE);
  } else {
    if (opts.memoryBytes !== undefined) optionBad("memoryBytes needs maxPoolPercent");
    poolPagesMax = base.poolPagesMax;
  }

  const incompressible = opts.incompressible ?? base?.incompressible ?? "reject";
  if (incompressible !== "reject" && incompressible !== "store-raw") {
    optionBad(`incompressible must be "reject" or "store-raw", got ${String(incompressible)}`);
  }
  const exclusiveLoads = opts.exclusiveLoads ?? base?.exclusiveLoads ?? true;
  if (typeof exclusiveLoads !== "boolean") optionBad("exclusiveLoads must be a boolean");
  const shrinkerEnabled = opts.shrinkerEnabled ?? base?.shrinkerEnabled ?? false;
  if (typeof shrinkerEnabled !== "boolean") optionBad("shrinkerEnabled must be a boolean");
  const writebacksInFlightMax = optionNumber(
    "writebacksInFlightMax",
    opts.writebacksInFlightMax ?? base?.writebacksInFlightMax ?? WRITEBACK_IN_FLIGHT_DEFAULT,
    1,
    WRITEBACK_IN_FLIGHT_MAX,
  );
  if (!Number.isInteger(writebacksInFlightMax))
    optionBad("writebacksInFlightMax must be an integer");

  return {
    compressor,
    poolPagesMax,
    acceptThresholdPercent: optionNumber(
      "acceptThresholdPercent",
      opts.acceptThresholdPercent ??
        base?.acceptThresholdPercent ??
        ACCEPT_THRESHOLD_PERCENT_DEFAULT,
      0,
      100,
    ),
    maxCompressionRatio: optionNumber(
      "maxCompressionRatio",
      opts.maxCompressionRatio ?? base?.maxCompressionRatio ?? MAX_COMPRESSION_RATIO_DEFAULT,
      0,
      100,
    ),
    incompressible,
    exclusiveLoads,
    writebacksInFlightMax,
    shrinkerEnabled,
    shrinkerTargetPercent: optionNumber(
      "shrinkerTargetPercent",
      opts.shrinkerTargetPercent ?? base?.shrinkerTargetPercent ?? SHRINKER_TARGET_PERCENT_DEFAULT,
      0,
      100,
    ),
  };
}
