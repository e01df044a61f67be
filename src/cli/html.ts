// The --html report: one self-contained file (no network) with the plan, the results table and
// charts over time drawn by uPlot, whose script and stylesheet are read from node_modules at write
// time and inlined. The report's JSON rides along in a <script type="application/json"> tag.

import fs from "node:fs";
import { createRequire } from "node:module";
import { ZswapOptionError } from "../errors.ts";
import { fileNewWrite } from "../file-new.ts";
import type { LatencyDistribution } from "../workload/histogram.ts";
import type { RunReport } from "../workload/plan.ts";
import type { ConfigName, Series } from "../workload/run.ts";
import { lastRuns } from "../workload/summary.ts";
import { countersCells, relativeLines, resultsCells, summaryCells } from "./table.ts";
import { bytesFormat } from "./units.ts";

/** One colour per configuration, the same whatever subset --configs picked. */
export const CHART_COLORS: Readonly<Record<ConfigName, string>> = {
  disk: "#e15759",
  zswap: "#f28e2b",
  writeback: "#4e79a7",
  "writeback-adaptive": "#76b7b2",
  best: "#59a14f",
  "idle-writeback": "#b07aa1",
  recompress: "#9c755f",
  dict: "#edc948",
  dedup: "#ff9da7",
  "compressed-writeback": "#bab0ac",
};

/** How a chart's values read: the page picks axis ticks and legend values by it. */
type ChartUnit = "bytes" | "ratio" | "count" | "us" | "percentile";

export interface ChartSpec {
  /** The container's `data-chart` and the chart's id suffix. */
  id: string;
  title: string;
  caption: string;
  /** The x axis: accesses done, or a percentile (on a log scale of 1 / (1 - p)). */
  xUnit: "count" | "percentile";
  unit: ChartUnit;
  /** A log y scale (latencies span orders of magnitude); gaps are null. */
  log: boolean;
  /** The x of each point, shared by every line. */
  x: number[];
  /** One line per configuration the chart applies to, aligned with x; null where it has no point. */
  lines: { name: ConfigName; label: string; color: string; y: (number | null)[] }[];
}

const require = createRequire(import.meta.url);

/**
 * A file's text, to inline in the page: uPlot's (from its package) or the report's own
 * (src/cli/report, copied to dist/cli/report by the build). It must not close its own tag.
 */
function inlined(file: string | URL, closing: string): string {
  const text = fs.readFileSync(file, "utf8");
  if (text.toLowerCase().includes(closing)) throw new Error(`${file} contains ${closing}`);
  return text;
}

const ownAsset = (name: string) => new URL(`./report/${name}`, import.meta.url);

export const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** JSON that is safe inside a <script> element: no `</script>`, no `<!--`. */
const jsonInline = (v: unknown): string => JSON.stringify(v).replace(/</g, "\\u003c");

type ChartHead = Pick<ChartSpec, "id" | "title" | "caption" | "unit" | "log">;

/** A line's points: its x values and its y at each; undefined when the chart does not apply. */
type Points = { x: readonly number[]; y: readonly (number | null)[] } | undefined;

/** Every configuration's line on one x axis, the union of their points; gaps are null. */
function chartSpec<R extends { name: ConfigName; label: string }>(
  results: readonly R[],
  head: ChartHead & Pick<ChartSpec, "xUnit">,
  points: (r: R) => Points,
): ChartSpec {
  const lines = results.flatMap((r) => {
    const p = points(r);
    return p === undefined ? [] : [{ r, p }];
  });
  const x = [...new Set(lines.flatMap(({ p }) => p.x))].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  return {
    ...head,
    x,
    lines: lines.map(({ r, p }) => {
      const y: (number | null)[] = new Array(x.length).fill(null);
      p.x.forEach((v, i) => {
        y[at.get(v)!] = p.y[i];
      });
      return { name: r.name, label: r.label, color: CHART_COLORS[r.name], y };
    }),
  };
}

/** What the charts draw of a configuration: a run's series and a latency distribution. */
export interface ChartInput {
  name: ConfigName;
  label: string;
  series: Series;
  distribution: LatencyDistribution;
}

/** A series over accesses, when the configuration has it. */
const overTime = (y: (s: Series) => readonly (number | null)[] | undefined) => (r: ChartInput) => {
  const v = y(r.series);
  return v === undefined ? undefined : { x: r.series.accesses, y: v };
};

/**
 * The percentile distribution on x = 1 / (1 - p), which puts 90%, 99%, 99.9% evenly on a log
 * axis; the largest latency (100%) is off that axis and left out.
 */
function distributionPoints(r: ChartInput): Points {
  const { percentile, us } = r.distribution;
  const n = percentile.indexOf(100);
  return { x: percentile.slice(0, n).map((p) => 100 / (100 - p)), y: us.slice(0, n) };
}

/** The charts of the report and of the live page, in their order; no input, no lines. */
export function chartSpecs(results: readonly ChartInput[]): ChartSpec[] {
  const time = { xUnit: "count" } as const;
  return [
    chartSpec(
      results,
      {
        id: "latency-distribution",
        title: "Swap-in latency by percentile",
        caption:
          "Every swap-in's latency (an HDR histogram, none sampled) at each percentile: the tail to the right. Both axes log.",
        xUnit: "percentile",
        unit: "us",
        log: true,
      },
      distributionPoints,
    ),
    chartSpec(
      results,
      {
        ...time,
        id: "pool",
        title: "zswap pool size",
        caption:
          "Bytes of the pages the zswap pool holds (pool_total_size) at each sample; disk only has no pool.",
        unit: "bytes",
        log: false,
      },
      overTime((s) => s.poolBytes),
    ),
    chartSpec(
      results,
      {
        ...time,
        id: "hit-ratio",
        title: "zswap hit ratio",
        caption:
          "Swap-ins served by zswap / swap-ins that were not zero pages, per window between samples; a gap is a window without any.",
        unit: "ratio",
        log: false,
      },
      overTime((s) => s.hitRatio),
    ),
    chartSpec(
      results,
      {
        ...time,
        id: "device-io",
        title: "Device I/O",
        caption:
          "Pages read from plus pages written to the swap device (pswpin + pswpout + writeback's pages and packed blocks), cumulative.",
        unit: "count",
        log: false,
      },
      overTime((s) => s.deviceReads.map((reads, i) => reads + s.deviceWrites[i])),
    ),
    chartSpec(
      results,
      {
        ...time,
        id: "swap-in-p50",
        title: "Swap-in latency, median",
        caption:
          "Median swap-in latency per window between samples, log scale; a gap is a window without a swap-in.",
        unit: "us",
        log: true,
      },
      overTime((s) => s.swapInP50Us),
    ),
  ];
}

function tableHtml(id: string, { head, rows }: { head: string[]; rows: string[][] }): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const tr = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<${i === 0 ? "th" : "td"}>${escapeHtml(c)}</${i === 0 ? "th" : "td"}>`).join("")}</tr>`,
    )
    .join("\n");
  return `<table id="${id}"><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

function planHtml(report: RunReport): string {
  const p = report.plan;
  const m = report.machine;
  const items: [string, string][] = [
    ["workload", p.workload],
    ["pages", p.pagesSource],
    ["device", p.device],
    [
      "memory",
      `${p.frames} resident frames of ${p.pages} pages; pool ${bytesFormat(p.poolBytes)} (${p.poolBytes} bytes, ${p.compressor}); eviction ${p.policy}; device latency ${p.deviceLatency}`,
    ],
    ["configurations", p.configs.join(", ")],
    ["seed", String(p.seed)],
    ["machine", `${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.platform}`],
  ];
  return `<dl class="plan">${items.map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`;
}

/** Checks, before a run, that a report can be made: uPlot, which it inlines, is installed. */
export function reportHtmlCheck(): void {
  try {
    require.resolve("uplot/dist/uPlot.iife.min.js");
  } catch (err) {
    throw new ZswapOptionError(
      `--html: the report needs the uplot package: ${(err as Error).message}`,
    );
  }
}

/** An empty figure for each chart, which the page's script fills. */
export function figuresHtml(specs: readonly ChartSpec[]): string {
  return specs
    .map(
      (c) => `<figure class="chart" id="chart-${c.id}" data-chart="${c.id}">
<figcaption><b>${escapeHtml(c.title)}</b><span>${escapeHtml(c.caption)}</span></figcaption>
<div class="plot"></div>
</figure>`,
    )
    .join("\n");
}

/** One of our own scripts (src/cli/report), inlined. */
export function inlinedScript(name: string): string {
  return `<script>${inlined(ownAsset(name), "</script")}</script>`;
}

/** The page's head and scripts: uPlot's and our own, inlined, so that it needs nothing else. */
export function pageAssets(): { styles: string; scripts: string } {
  const js = (file: string | URL) => `<script>${inlined(file, "</script")}</script>`;
  const css = (file: string | URL) => `<style>${inlined(file, "</style")}</style>`;
  return {
    styles: css(require.resolve("uplot/dist/uPlot.min.css")) + css(ownAsset("report.css")),
    scripts: js(require.resolve("uplot/dist/uPlot.iife.min.js")) + inlinedScript("report.js"),
  };
}

/** Writes the report for `report` to `path`, a new file, as one HTML file. */
export async function reportHtmlWrite(path: string, report: RunReport): Promise<void> {
  const assets = pageAssets();
  const last = lastRuns(report.summary, report.results);
  // The distributions of all runs together; the series over time of each one's last run.
  const specs = chartSpecs(
    last.map((r, i) => ({ ...r, distribution: report.summary[i].swapInLatencyUs.distribution })),
  );
  const runs = report.plan.runs;
  const figures = figuresHtml(specs);
  const verified = report.summary
    .map(
      (r) =>
        `<span class="swatch" style="background:${CHART_COLORS[r.name]}"></span>${escapeHtml(r.label)}: every swap-in verified (${r.verified})`,
    )
    .join("<br>");
  const relative = relativeLines(report.summary)
    .map((line) => escapeHtml(line.trim()))
    .join("<br>");
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zswap run: ${escapeHtml(report.plan.workload)}</title>
${assets.styles}
</head>
<body>
<header>
<h1>zswap run</h1>
<p>zswap-ts ${escapeHtml(report.version)} &middot; ${escapeHtml(report.plan.workload)} &middot; ${report.summary.length} configurations${runs > 1 ? ` &middot; ${runs} runs each` : ""} &middot; written ${escapeHtml(new Date().toISOString())}</p>
</header>
<main>
<section><h2>Plan</h2>
${planHtml(report)}
</section>
<section><h2>Results</h2>
${tableHtml("results", runs > 1 ? summaryCells(report.summary, report.results) : resultsCells(report.results))}
<p class="verified">${verified}</p>
<p class="relative">${relative}</p>
</section>
<section><h2>Over time</h2>
<div class="charts">
${figures}
</div>
</section>
<details><summary>zswap counters at the end of each configuration</summary>
${tableHtml("counters", countersCells(last))}
</details>
</main>
<script type="application/json" id="zswap-report">${jsonInline(report)}</script>
<script type="application/json" id="zswap-charts">${jsonInline(specs)}</script>
${assets.scripts}
</body>
</html>
`;
  await fileNewWrite(path, "--html", (handle) => handle.writeFile(html));
}
