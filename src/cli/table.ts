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

/** The results' columns and cells, shared by the terminal table and the HTML report. */
export function resultsCells(results: readonly ConfigResult[]): {
  head: string[];
  rows: string[][];
} {
  return {
    head: [
      "configuration",
      "accesses/s",
      "swap-in p50 µs",
      "p99 µs",
      "p99.9 µs",
      "device reads",
      "device writes",
      "zswap hits",
      "Belady's MIN",
      "of MIN",
      "comp. ratio",
      "pool peak",
    ],
    rows: results.map((r) => [
      r.label,
      fixed(r.accessesPerSecond),
      fixed(r.swapInLatencyUs.p50, 1),
      fixed(r.swapInLatencyUs.p99, 1),
      fixed(r.swapInLatencyUs.p999, 1),
      String(r.deviceReads),
      String(r.deviceWrites),
      `${fixed(100 * r.zswapHitRatio, 1)}%`,
      r.beladyHitRatio === null ? "-" : `${fixed(100 * r.beladyHitRatio, 1)}%`,
      r.ofBelady === null ? "-" : fixed(r.ofBelady, 3),
      r.compressionRatio === 0 ? "-" : fixed(r.compressionRatio, 2),
      bytesFormat(r.poolPeakBytes),
    ]),
  };
}

export function resultsTable(results: readonly ConfigResult[]): string {
  const { head, rows } = resultsCells(results);
  return table(head, rows);
}

/** zswap's own counters, one row each, one column per configuration. */
export function countersCells(results: readonly ConfigResult[]): {
  head: string[];
  rows: string[][];
} {
  // The union of names: a configuration without zswap has none of zswap's gauges.
  const names = [...new Set(results.flatMap((r) => Object.keys(r.counters)))];
  return {
    head: ["counter", ...results.map((r) => r.name)],
    rows: names.map((n) => [
      n,
      ...results.map((r) => String((r.counters as Record<string, number>)[n] ?? "-")),
    ]),
  };
}

export function countersTable(results: readonly ConfigResult[]): string {
  const { head, rows } = countersCells(results);
  return table(head, rows);
}
