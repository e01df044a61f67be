// The public API. What is not exported here (or from ./testing.ts, the `zswap-ts/testing` entry
// of fault injection and simulated time) is internal and may change.

export { ZswapInvariantError } from "./assert.ts";
export { type Clock, type ClockTimer, REAL_CLOCK } from "./clock.ts";
export {
  COMPRESSOR_NAMES,
  type CompressorName,
  type CompressorParams,
  compressorsAvailable,
  dictionaryTrain,
} from "./compress/index.ts";
export {
  DICTS_KEPT_MAX,
  PACKED_BLOCK_PAGES,
  PAGE_SIZE,
  POOL_BYTES_MAX,
  SWAP_AREAS_MAX,
} from "./constants.ts";
export {
  FileDevice,
  type FileDeviceOptions,
  MemoryDevice,
  type MemoryDeviceOptions,
  RedisDevice,
  type RedisDeviceOptions,
  type SwapDevice,
  type TierCounters,
  TieredDevice,
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
  ZswapMachineError,
  ZswapOffsetError,
  ZswapOptionError,
  ZswapPageSizeError,
  ZswapSlotError,
  ZswapStateError,
  ZswapSwapTypeError,
  ZswapThreadError,
} from "./errors.ts";
export type { HttpServer, HttpServerOptions } from "./http-server.ts";
export {
  type CounterName,
  type Counts,
  type GaugeName,
  isCounter,
  METRICS_CONTENT_TYPE,
  metricName,
  type StatName,
  type StatsRecord,
  type StatsSample,
  SWAP_COUNTERS,
  SWAP_GAUGES,
  type SwapCounterName,
  type SwapGaugeName,
  statsJson,
  statsPrometheus,
  statsText,
  ZSWAP_COUNTERS,
  ZSWAP_GAUGES,
  type ZswapCounterName,
  type ZswapGaugeName,
} from "./stats/index.ts";
export {
  type MetricsSpaces,
  metricsSamples,
  metricsServe,
  metricsText,
  type SwapGauges,
  type SwapInSource,
  type SwapSlot,
  SwapSpace,
  type SwapSpaceOptions,
  type SwapSpaceStats,
} from "./swap/index.ts";
export type { PageCount, SwapOffset, SwapType } from "./types.ts";
export {
  GROUP_ROOT,
  packedRegionSlots,
  type RecompressResult,
  type RecompressType,
  type RejectReason,
  type WritebackType,
  Zswap,
  type ZswapConfig,
  type ZswapDeps,
  type ZswapGauges,
  type ZswapGroupOptions,
  type ZswapGroupStats,
  type ZswapOptions,
  type ZswapStats,
} from "./zswap/index.ts";
