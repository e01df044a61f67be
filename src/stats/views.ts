// Read-only views of a flat record of counters and gauges: debugfs-like text, JSON, Prometheus.

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

/** Prometheus text exposition; every statistic under `prefix`, counters marked by `isCounter`. */
export function statsPrometheus(
  stats: StatsRecord,
  isCounter: (name: string) => boolean,
  prefix = "zswap_",
): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(stats)) {
    const metric = `${prefix}${name.toLowerCase()}`;
    lines.push(`# TYPE ${metric} ${isCounter(name) ? "counter" : "gauge"}`, `${metric} ${value}`);
  }
  return `${lines.join("\n")}\n`;
}
