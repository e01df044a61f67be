// Plain-text tables for the terminal.

import type { ConfigResult } from "../workload/run.ts";
import { bytesFormat } from "./units.ts";

/** Right-aligns every column but the first. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const fixed = (n: number, d = 0) => n.toFixed(d);

export function resultsTable(results: readonly ConfigResult[]): string {
  return table(
    [
      "configuration",
      "accesses/s",
      "swap-in p50 µs",
      "p99 µs",
      "p99.9 µs",
      "device reads",
      "device writes",
      "zswap hits",
      "comp. ratio",
      "pool peak",
    ],
    results.map((r) => [
      r.label,
      fixed(r.accessesPerSecond),
      fixed(r.swapInLatencyUs.p50, 1),
      fixed(r.swapInLatencyUs.p99, 1),
      fixed(r.swapInLatencyUs.p999, 1),
      String(r.deviceReads),
      String(r.deviceWrites),
      `${fixed(100 * r.zswapHitRatio, 1)}%`,
      r.compressionRatio === 0 ? "-" : fixed(r.compressionRatio, 2),
      bytesFormat(r.poolPeakBytes),
    ]),
  );
}

/** zswap's own counters, one row each, one column per configuration. */
export function countersTable(results: readonly ConfigResult[]): string {
  const names = Object.keys(results[0]?.counters ?? {});
  return table(
    ["counter", ...results.map((r) => r.name)],
    names.map((n) => [
      n,
      ...results.map((r) => String((r.counters as Record<string, number>)[n] ?? "-")),
    ]),
  );
}
