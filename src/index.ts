// The public API. What is not exported here is internal and may change.

export { ZswapInvariantError } from "./assert.ts";
export {
  COMPRESSOR_NAMES,
  type CompressorName,
  compressorsAvailable,
} from "./compress/index.ts";
export { PAGE_SIZE, POOL_BYTES_MAX, SWAP_AREAS_MAX } from "./constants.ts";
export {
  type FaultCounters,
  FaultyDevice,
  type FaultyDeviceOptions,
  FileDevice,
  type FileDeviceOptions,
  LATENCY_PRESETS,
  type LatencyModel,
  MemoryDevice,
  type SwapDevice,
} from "./device/index.ts";
export {
  ZswapAreaError,
  ZswapArgumentError,
  ZswapBusyError,
  ZswapClosedError,
  ZswapCompressorError,
  ZswapDataError,
  ZswapError,
  type ZswapErrorCode,
  ZswapExistsError,
  ZswapFullError,
  ZswapInputError,
  ZswapIOError,
  ZswapOffsetError,
  ZswapOptionError,
  ZswapPageSizeError,
  ZswapSlotError,
  ZswapStateError,
  ZswapSwapTypeError,
} from "./errors.ts";
export {
  type CounterName,
  isCounter,
  SWAP_COUNTERS,
  statsJson,
  statsPrometheus,
  statsText,
  ZSWAP_COUNTERS,
} from "./stats/index.ts";
export {
  type SwapGauges,
  type SwapSlot,
  SwapSpace,
  type SwapSpaceOptions,
  type SwapSpaceStats,
} from "./swap/index.ts";
export {
  type RejectReason,
  Zswap,
  type ZswapDeps,
  type ZswapGauges,
  type ZswapOptions,
  type ZswapStats,
} from "./zswap/index.ts";
