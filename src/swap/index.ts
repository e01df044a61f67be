export {
  type MetricsSpaces,
  metricsSamples,
  metricsServe,
  metricsText,
} from "./metrics.ts";
export {
  type SwapGauges,
  type SwapInSource,
  type SwapSlot,
  SwapSpace,
  type SwapSpaceOptions,
  type SwapSpaceStats,
} from "./swap-space.ts";
