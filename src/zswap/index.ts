export { MAX_COMPRESSION_RATIO_DEFAULT, type ZswapConfig, type ZswapOptions } from "./options.ts";
export {
  LOADED_CODEC_STEP,
  LOADED_RAW,
  type RejectReason,
  Zswap,
  type ZswapDeps,
  type ZswapGauges,
  type ZswapStats,
} from "./zswap.ts";
