// Timing and heap measurement for the per-page loops.
//
// A figure for a corpus is a plain timed loop over all its pages (a "pass"), repeated: the
// report gives the median pass. tinybench is used where a call is too short to time alone
// (per-call overhead); a pass over thousands of pages is long enough for performance.now().

import v8 from "node:v8";

/** Most passes a figure takes, and the least; between the two, passes go on while under budget. */
export interface PassPlan {
  passesMin: number;
  passesMax: number;
  /** Time in ms after which no new pass starts once passesMin are done. */
  budgetMs: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A clock in ms. */
export type Clock = () => number;

const wallMs: Clock = () => performance.now();

/**
 * This process's CPU time (user + system, all its threads) in ms: time it was not running does
 * not count, so other work on a shared machine moves it much less than wall-clock time.
 */
export const cpuMs: Clock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Times one call of `pass` in ms. */
export function timePass(pass: () => void, clock: Clock = wallMs): number {
  const t0 = clock();
  pass();
  return clock() - t0;
}

/** Each pass's times in ms, and what its last run cost the heap. */
export interface RoundsResult {
  times: number[][];
  heap: HeapCost[];
}

/**
 * Runs several passes as one round, each round calling every pass once in order, so that
 * passes compared with each other see the same machine state (interleaved, not back to back).
 * Every pass runs under heapCost; the last round's cost is kept (the JIT has settled by then).
 * `warmup` rounds run first and are not recorded.
 */
export function roundsTime(
  passes: readonly (() => void)[],
  plan: PassPlan,
  warmup = 1,
  clock: Clock = wallMs,
): RoundsResult {
  for (let w = 0; w < warmup; w++) for (const p of passes) p();
  const times: number[][] = passes.map(() => []);
  const heap: HeapCost[] = [];
  const t0 = performance.now();
  for (let r = 0; r < plan.passesMax; r++) {
    if (r >= plan.passesMin && performance.now() - t0 > plan.budgetMs) break;
    passes.forEach((p, i) => {
      const { value, cost } = heapCost(() => timePass(p, clock));
      times[i].push(value);
      heap[i] = cost;
    });
  }
  return { times, heap };
}

/** What a piece of code cost the JS heap: bytes it allocated there, and the GCs it caused. */
export interface HeapCost {
  /** Bytes allocated on the V8 heap: growth plus everything the GCs in between reclaimed. */
  allocatedBytes: number;
  /** used_heap_size at the end minus at the start (no forced GC in between). */
  growthBytes: number;
  gcCount: number;
  /** Time in GC pauses, ms (v8.GCProfiler's cost). */
  gcMs: number;
}

/**
 * Runs `fn` under v8.GCProfiler. Allocation is counted as the heap's growth plus what each GC
 * in between reclaimed (used size before minus after), so it holds however many GCs ran.
 */
export function heapCost<T>(fn: () => T): { value: T; cost: HeapCost } {
  const profiler = new v8.GCProfiler();
  const before = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  const value = fn();
  const data = profiler.stop();
  const after = v8.getHeapStatistics().used_heap_size;
  let reclaimed = 0;
  let gcUs = 0;
  for (const s of data.statistics) {
    reclaimed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    gcUs += s.cost;
  }
  return {
    value,
    cost: {
      allocatedBytes: Math.max(0, after - before + reclaimed),
      growthBytes: after - before,
      gcCount: data.statistics.length,
      gcMs: gcUs / 1000,
    },
  };
}

/** A full GC when the process runs with --expose-gc; false when it cannot. */
export function gcFull(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return false;
  gc();
  gc();
  return true;
}

/** Sorted-array percentile (nearest rank). */
export function percentile(sorted: Float64Array | readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
