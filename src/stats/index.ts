export { type CounterName, Counters } from "./counters.ts";
export { type StatsRecord, statsJson, statsPrometheus, statsText } from "./views.ts";
