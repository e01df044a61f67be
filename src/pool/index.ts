// The pool layer's public face: the allocator, its options and statistics, and its geometry.

export {
  classOfObject,
  classOfSize,
  POOL_CLASSES,
  POOL_HUGE_CLASS,
  POOL_HUGE_OBJECT_BYTES_MIN,
} from "./geometry.ts";
export {
  POOL_FULLNESS_LABELS,
  type PoolClassStats,
  type PoolOptions,
  type PoolStats,
  ZsPool,
} from "./zspool.ts";
