export {
  type CounterName,
  type Counts,
  countsNew,
  isCounter,
  SWAP_COUNTERS,
  type SwapCounterName,
  ZSWAP_COUNTERS,
  type ZswapCounterName,
} from "./counters.ts";
export { type StatsRecord, statsJson, statsPrometheus, statsText } from "./views.ts";
