// The public API. What is not exported here is internal and may change.

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
  RedisDevice,
  type RedisDeviceOptions,
  type SwapDevice,
  type TierCounters,
  TieredDevice,
} from "./device/index.ts";
export {
  ZswapArgumentError,
  ZswapDataError,
  ZswapError,
  type ZswapErrorCode,
  ZswapIOError,
  ZswapStateError,
} from "./errors.ts";
export {
  type CounterName,
  Counters,
  statsJson,
  statsPrometheus,
  statsText,
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
  type ZswapGauges,
  type ZswapOptions,
  type ZswapStats,
} from "./zswap/index.ts";
