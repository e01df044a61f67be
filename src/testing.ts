// The `zswap-ts/testing` entry: what tests of code built on zswap-ts need and production code
// does not. A device that injects seeded faults and modelled latency, and virtual time.

export { SimClock } from "./clock.ts";
export {
  type FaultCounters,
  FaultyDevice,
  type FaultyDeviceOptions,
  LATENCY_PRESETS,
  type LatencyModel,
} from "./device/index.ts";
