export {
  GROUP_ROOT,
  type ZswapGroupOptions,
  type ZswapGroupStats,
} from "./groups.ts";
export type { RecompressType, WritebackType } from "./idle.ts";
export { MAX_COMPRESSION_RATIO_DEFAULT, type ZswapConfig, type ZswapOptions } from "./options.ts";
export type { RecompressResult } from "./recompress.ts";
export {
  type RejectReason,
  Zswap,
  type ZswapDeps,
  type ZswapGauges,
  type ZswapStats,
} from "./zswap.ts";
