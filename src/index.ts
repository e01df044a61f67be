// The public API. What is not exported here (or from ./testing.ts, the `zswap-ts/testing` entry
// of fault injection and simulated time) is internal and may change.

export { ZswapInvariantError } from "./assert.ts";
export { type Clock, type ClockTimer, REAL_CLOCK } from "./clock.ts";
export {
  COMPRESSOR_NAMES,
  type CompressorName,
  compressorsAvailable,
} from "./compress/index.ts";
export { PAGE_SIZE, POOL_BYTES_MAX, SWAP_AREAS_MAX } from "./constants.ts";
export {
  FileDevice,
  type FileDeviceOptions,
  MemoryDevice,
  type MemoryDeviceOptions,
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
  ZswapMachineError,
  ZswapOffsetError,
  ZswapOptionError,
  ZswapPageSizeError,
  ZswapSlotError,
  ZswapStateError,
  ZswapSwapTypeError,
} from "./errors.ts";
export {
  type CounterName,
  type Counts,
  isCounter,
  type StatsRecord,
  SWAP_COUNTERS,
  type SwapCounterName,
  statsJson,
  statsPrometheus,
  statsText,
  ZSWAP_COUNTERS,
  type ZswapCounterName,
} from "./stats/index.ts";
export {
  type SwapGauges,
  type SwapInSource,
  type SwapSlot,
  SwapSpace,
  type SwapSpaceOptions,
  type SwapSpaceStats,
} from "./swap/index.ts";
export type { PageCount, SwapOffset, SwapType } from "./types.ts";
export {
  type RejectReason,
  Zswap,
  type ZswapConfig,
  type ZswapDeps,
  type ZswapGauges,
  type ZswapOptions,
  type ZswapStats,
} from "./zswap/index.ts";
