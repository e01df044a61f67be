// Backing swap devices: a file (optionally O_DIRECT), memory, Redis, two of them as tiers, and a
// fault-injecting wrapper.

export { deviceCheck } from "./check.ts";
export type { SwapDevice } from "./device.ts";
export { type FaultCounters, FaultyDevice, type FaultyDeviceOptions } from "./faulty.ts";
export { FileDevice, type FileDeviceOptions } from "./file.ts";
export {
  LATENCY_PRESETS,
  type LatencyModel,
  latencyDescribe,
  latencyDrawUs,
  latencyWait,
} from "./latency.ts";
export { MemoryDevice, type MemoryDeviceOptions } from "./memory.ts";
export { RedisDevice, type RedisDeviceOptions } from "./redis.ts";
export { type RedisNode, type RedisTarget, redisTargetParse } from "./redis-target.ts";
export { type TierCounters, TieredDevice } from "./tiered.ts";
