export {
  type CounterName,
  type Counts,
  countsNew,
  GROUP_COUNTER_NAMES,
  type GroupCounterName,
  isCounter,
  MTHP_COUNTERS,
  type MthpCounterName,
  SWAP_COUNTERS,
  type SwapCounterName,
  ZSWAP_COUNTERS,
  type ZswapCounterName,
} from "./counters.ts";
export {
  type GaugeName,
  GROUP_GAUGES,
  type GroupGaugeName,
  SWAP_GAUGES,
  type SwapGaugeName,
  ZSWAP_GAUGES,
  type ZswapGaugeName,
} from "./gauges.ts";
export { folioSizeName, MthpCounts, type MthpStats, mthpSum } from "./mthp.ts";
export {
  METRICS_CONTENT_TYPE,
  metricName,
  mthpPrometheus,
  type StatName,
  type StatsSample,
  statsPrometheus,
} from "./prometheus.ts";
export { type StatsRecord, statsJson, statsText } from "./views.ts";
