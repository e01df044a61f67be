// Read-only views of a flat record of counters and gauges: debugfs-like text and JSON (the
// Prometheus exposition is prometheus.ts).

import { ZswapOptionError } from "../errors.ts";

export type StatsRecord = Readonly<Record<string, number>>;

/** Throws ZSWAP_E_OPTION unless `stats` is a record of numbers, as stats() returns. */
export function statsRecordCheck(stats: unknown): asserts stats is StatsRecord {
  if (typeof stats !== "object" || stats === null || Array.isArray(stats)) {
    throw new ZswapOptionError("statistics must be an object of numbers, as stats() returns");
  }
  for (const [name, value] of Object.entries(stats)) {
    if (typeof value !== "number") throw new ZswapOptionError(`${name} is not a number`);
  }
}

/** One `name value` line per statistic, the way `grep . /sys/kernel/debug/zswap/*` reads. */
export function statsText(stats: StatsRecord): string {
  statsRecordCheck(stats);
  const width = Math.max(...Object.keys(stats).map((k) => k.length));
  return Object.entries(stats)
    .map(([name, value]) => `${name.padEnd(width)} ${value}`)
    .join("\n");
}

export function statsJson(stats: StatsRecord): string {
  statsRecordCheck(stats);
  return JSON.stringify(stats);
}
