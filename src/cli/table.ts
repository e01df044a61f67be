// Plain-text tables for the terminal.

import type { ConfigResult } from "../workload/run.ts";
import { type ConfigSummary, type Spread, spread } from "../workload/summary.ts";
import { bytesFormat } from "./units.ts";

/** Characters a table's line may take: wider tables wrap into blocks of columns. */
const TABLE_COLUMNS = 100;

/**
 * Columns 1.. in blocks that each fit TABLE_COLUMNS beside column 0 (a block holds one at least);
 * a column in `glued` stays in the block of the column before it.
 */
function columnBlocks(widths: number[], glued: ReadonlySet<number>): number[][] {
  const blocks: number[][] = [];
  let used = Number.POSITIVE_INFINITY;
  for (let i = 1; i < widths.length; i++) {
    let w = 2 + widths[i];
    for (let j = i + 1; glued.has(j); j++) w += 2 + widths[j];
    if (!glued.has(i) && used + w > TABLE_COLUMNS) {
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
 * go in blocks, one under the other, each led by the first column again; a column in `glued`
 * (a range beside its mean, say) stays with the column before it.
 */
export function table(
  head: string[],
  rows: string[][],
  glued: ReadonlySet<number> = new Set(),
): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const block = (columns: number[]) => {
    const line = (cells: string[]) =>
      [cells[0].padEnd(widths[0]), ...columns.map((i) => cells[i].padStart(widths[i]))].join("  ");
    const rule = line(widths.map((w) => "-".repeat(w)));
    return [line(head), rule, ...rows.map(line)].join("\n");
  };
  return columnBlocks(widths, glued).map(block).join("\n\n");
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

const meanSigma = (s: Spread, d: number) =>
  s.stddev === null ? fixed(s.mean, d) : `${fixed(s.mean, d)} ± ${fixed(s.stddev, d)}`;
const range = (s: Spread, d: number) => `${fixed(s.min, d)} … ${fixed(s.max, d)}`;

/**
 * Each configuration over its runs: mean ± sigma and min … max of throughput and each latency
 * percentile, then the means of the rest.
 */
export function summaryCells(
  summary: readonly ConfigSummary[],
  results: readonly ConfigResult[],
): { head: string[]; rows: string[][]; glued: ReadonlySet<number> } {
  const head = ["configuration", "accesses/s", "range"];
  for (const p of ["p50", "p99", "p99.9"]) head.push(`swap-in ${p} µs`, "range");
  head.push("device reads", "device writes", "zswap hits", "comp. ratio", "pool peak");
  const rows = summary.map((s) => {
    const runs = results.filter((r) => r.name === s.name);
    const mean = (f: (r: ConfigResult) => number) => spread(runs.map(f)).mean;
    const l = s.swapInLatencyUs;
    const ratio = mean((r) => r.compressionRatio);
    return [
      s.label,
      meanSigma(s.accessesPerSecond, 0),
      range(s.accessesPerSecond, 0),
      ...[l.p50, l.p99, l.p999].flatMap((p) => [meanSigma(p, 1), range(p, 1)]),
      fixed(mean((r) => r.deviceReads)),
      fixed(mean((r) => r.deviceWrites)),
      `${fixed(100 * mean((r) => r.zswapHitRatio), 1)}%`,
      ratio === 0 ? "-" : fixed(ratio, 2),
      bytesFormat(mean((r) => r.poolPeakBytes)),
    ];
  });
  // Each range stays beside its mean.
  const glued = new Set(head.flatMap((h, i) => (h === "range" ? [i] : [])));
  return { head, rows, glued };
}

/** hyperfine's closing words: each configuration's throughput against the first one's. */
export function relativeLines(summary: readonly ConfigSummary[]): string[] {
  if (summary.length < 2) return [];
  const first = summary[0];
  const runs = first.runs === 1 ? "one run each" : `${first.runs} runs each`;
  const lines = [`Summary (accesses/s, ${runs}), against ${first.label}:`];
  for (const s of summary.slice(1)) {
    const { ratio, stddev } = s.relative;
    const faster = ratio >= 1;
    const factor = faster ? ratio : 1 / ratio;
    const sigma = stddev === null ? "" : ` ± ${fixed((factor * stddev) / ratio, 2)}`;
    lines.push(
      `  ${s.label} ran ${fixed(factor, 2)}${sigma} times ${faster ? "faster" : "slower"} than ${first.label}`,
    );
  }
  return lines;
}
