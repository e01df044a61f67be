export { codecIdPlain } from "./codec-slots.ts";
export {
  GROUP_ROOT,
  type ZswapGroupOptions,
  type ZswapGroupStats,
} from "./groups.ts";
export type { RecompressType, WritebackType } from "./idle.ts";
export { MAX_COMPRESSION_RATIO_DEFAULT, type ZswapConfig, type ZswapOptions } from "./options.ts";
export { packedRegionSlots } from "./packed-writeback.ts";
export type { RecompressResult } from "./recompress.ts";
export {
  LOADED_CODEC_STEP,
  LOADED_RAW,
  type OffThreadDecompress,
  type RejectReason,
  Zswap,
  type ZswapDeps,
  type ZswapGauges,
  type ZswapStats,
} from "./zswap.ts";
