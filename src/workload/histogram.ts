// Swap-in latencies in HDR histograms (node:perf_hooks): every latency counted, none sampled, in
// nanoseconds, to LATENCY_FIGURES significant digits, in bounded memory whatever the count.

import { createHistogram, type Histogram, type RecordableHistogram } from "node:perf_hooks";
import { LATENCY_FIGURES, LATENCY_NS_MAX } from "../constants.ts";

export function latencyHistogram(): RecordableHistogram {
  return createHistogram({ lowest: 1, highest: LATENCY_NS_MAX, figures: LATENCY_FIGURES });
}

/** Counts one latency of `us` µs (at least 1 ns, at most LATENCY_NS_MAX). */
export function latencyRecord(h: RecordableHistogram, us: number): void {
  h.record(Math.min(LATENCY_NS_MAX, Math.max(1, Math.round(us * 1000))));
}

/** The latency at percentile `p` (0..100, 0 the smallest) in µs; 0 for an empty histogram. */
export function latencyUsAt(h: Histogram, p: number): number {
  if (h.count === 0) return 0;
  return (p === 0 ? h.min : h.percentile(p)) / 1000;
}

/** Steps of the percentile ladder per tenfold narrowing of the tail (90%, 99%, 99.9%...). */
const LADDER_STEPS = 10;
/** The ladder ends at 99.9999%: one in a million. */
const LADDER_DECADES = 6;

/** A latency distribution: at each percentile, the latency in µs. */
export interface LatencyDistribution {
  percentile: number[];
  us: number[];
}

/**
 * The distribution along a ladder even on a log scale of 1 / (1 - p): 0%, ..., 90%, ..., 99%,
 * ..., up to the last rung at least one latency reaches, then 100% (the largest).
 */
export function latencyDistribution(h: Histogram): LatencyDistribution {
  const d: LatencyDistribution = { percentile: [], us: [] };
  if (h.count === 0) return d;
  for (let k = 0; k <= LADDER_DECADES * LADDER_STEPS; k++) {
    const tail = 10 ** (-k / LADDER_STEPS);
    if (tail * h.count < 1) break;
    const p = Number((100 * (1 - tail)).toPrecision(12));
    d.percentile.push(p);
    d.us.push(latencyUsAt(h, p));
  }
  d.percentile.push(100);
  d.us.push(latencyUsAt(h, 100));
  return d;
}
