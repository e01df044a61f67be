// Read-only views of a flat record of counters and gauges: debugfs-like text and JSON (the
// Prometheus exposition is prometheus.ts).

export type StatsRecord = Readonly<Record<string, number>>;

/** One `name value` line per statistic, the way `grep . /sys/kernel/debug/zswap/*` reads. */
export function statsText(stats: StatsRecord): string {
  const width = Math.max(...Object.keys(stats).map((k) => k.length));
  return Object.entries(stats)
    .map(([name, value]) => `${name.padEnd(width)} ${value}`)
    .join("\n");
}

export function statsJson(stats: StatsRecord): string {
  return JSON.stringify(stats);
}
