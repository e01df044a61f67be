export type { ZswapConfig, ZswapOptions } from "./options.ts";
export {
  type RejectReason,
  Zswap,
  type ZswapDeps,
  type ZswapGauges,
  type ZswapStats,
} from "./zswap.ts";
