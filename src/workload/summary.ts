// A configuration over its runs: mean ± sigma and min..max of throughput and of each latency
// percentile, the distribution of all its swap-ins together, and its throughput against the first
// configuration's with its spread, in hyperfine's manner.

import type { RecordableHistogram } from "node:perf_hooks";
import { type LatencyDistribution, latencyDistribution } from "./histogram.ts";
import type { ConfigName, ConfigResult } from "./run.ts";

/** Values of several runs: their mean, sample standard deviation (null for one run), range. */
export interface Spread {
  mean: number;
  stddev: number | null;
  min: number;
  max: number;
}

export interface ConfigSummary {
  name: ConfigName;
  label: string;
  runs: number;
  accessesPerSecond: Spread;
  swapInLatencyUs: {
    p50: Spread;
    p99: Spread;
    p999: Spread;
    mean: Spread;
    /** Of every swap-in of every run together. */
    distribution: LatencyDistribution;
  };
  /**
   * Mean throughput / the first configuration's (above 1: faster), with its standard deviation
   * propagated from both spreads (null for one run each); the first's is 1 ± 0.
   */
  relative: { ratio: number; stddev: number | null };
  /** Swap-ins verified over all runs. */
  verified: number;
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const squares = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return {
    mean,
    stddev: n < 2 ? null : Math.sqrt(squares / (n - 1)),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** b's mean over a's, with the spread of the ratio from their relative spreads (hyperfine's). */
function ratio(b: Spread, a: Spread): ConfigSummary["relative"] {
  const r = b.mean / a.mean;
  if (b.stddev === null || a.stddev === null) return { ratio: r, stddev: null };
  return { ratio: r, stddev: r * Math.hypot(b.stddev / b.mean, a.stddev / a.mean) };
}

/**
 * Each configuration of `configs` that has runs in `results`, in that order; `latencies` holds
 * each one's histogram of all its runs' swap-ins.
 */
export function summarize(
  configs: readonly ConfigName[],
  results: readonly ConfigResult[],
  latencies: ReadonlyMap<ConfigName, RecordableHistogram>,
): ConfigSummary[] {
  const summaries: ConfigSummary[] = [];
  for (const name of configs) {
    const runs = results.filter((r) => r.name === name);
    if (runs.length === 0) continue;
    const of = (f: (r: ConfigResult) => number) => spread(runs.map(f));
    const throughput = of((r) => r.accessesPerSecond);
    const histogram = latencies.get(name);
    summaries.push({
      name,
      label: runs[0].label,
      runs: runs.length,
      accessesPerSecond: throughput,
      swapInLatencyUs: {
        p50: of((r) => r.swapInLatencyUs.p50),
        p99: of((r) => r.swapInLatencyUs.p99),
        p999: of((r) => r.swapInLatencyUs.p999),
        mean: of((r) => r.swapInLatencyUs.mean),
        distribution:
          histogram === undefined ? { percentile: [], us: [] } : latencyDistribution(histogram),
      },
      relative:
        summaries.length === 0
          ? { ratio: 1, stddev: runs.length < 2 ? null : 0 }
          : ratio(throughput, summaries[0].accessesPerSecond),
      verified: runs.reduce((a, r) => a + r.verified, 0),
    });
  }
  return summaries;
}

/** Each summarized configuration's last run, in the summary's order. */
export function lastRuns<R extends ConfigResult>(
  summary: readonly ConfigSummary[],
  results: readonly R[],
): R[] {
  return summary.map((s) => results.filter((r) => r.name === s.name).at(-1)!);
}
