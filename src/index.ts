// The public API. What is not exported here is internal and may change.

export {
  COMPRESSOR_NAMES,
  type CompressorName,
  compressorsAvailable,
} from "./compress/index.ts";
export { PAGE_SIZE, SWAP_AREAS_MAX } from "./constants.ts";
export {
  ZswapArgumentError,
  ZswapDataError,
  ZswapError,
  type ZswapErrorCode,
  ZswapStateError,
} from "./errors.ts";
export { statsJson, statsPrometheus, statsText } from "./stats/index.ts";
export {
  type RejectReason,
  Zswap,
  type ZswapGauges,
  type ZswapOptions,
  type ZswapStats,
} from "./zswap/index.ts";
