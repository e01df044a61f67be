export type { ZswapConfig, ZswapOptions } from "./options.ts";
export { type RejectReason, Zswap, type ZswapGauges, type ZswapStats } from "./zswap.ts";
