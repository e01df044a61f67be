// Plain-text tables for the terminal.

import type { ConfigResult } from "../workload/run.ts";
import { bytesFormat } from "./units.ts";

/** Characters a table's line may take: wider tables wrap into blocks of columns. */
const TABLE_COLUMNS = 100;

/** Columns 1.. in blocks that each fit TABLE_COLUMNS beside column 0 (a block holds one at least). */
function columnBlocks(widths: number[]): number[][] {
  const blocks: number[][] = [];
  let used = Number.POSITIVE_INFINITY;
  for (let i = 1; i < widths.length; i++) {
    if (used + 2 + widths[i] > TABLE_COLUMNS) {
      blocks.push([]);
      used = widths[0];
    }
    blocks[blocks.length - 1].push(i);
    used += 2 + widths[i];
  }
  return blocks.length === 0 ? [[]] : blocks;
}

/**
 * Right-aligns every column but the first. A table wider than TABLE_COLUMNS wraps: its columns
 * go in blocks, one under the other, each led by the first column again.
 */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const block = (columns: number[]) => {
    const line = (cells: string[]) =>
      [cells[0].padEnd(widths[0]), ...columns.map((i) => cells[i].padStart(widths[i]))].join("  ");
    const rule = line(widths.map((w) => "-".repeat(w)));
    return [line(head), rule, ...rows.map(line)].join("\n");
  };
  return columnBlocks(widths).map(block).join("\n\n");
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
