// The --html report: one self-contained file (no network) with the plan, the results table and
// charts over time drawn by uPlot, whose script and stylesheet are read from node_modules at write
// time and inlined. The report's JSON rides along in a <script type="application/json"> tag.

import fs from "node:fs";
import { createRequire } from "node:module";
import { ZswapOptionError } from "../errors.ts";
import { fileNewWrite } from "../file-new.ts";
import type { RunReport } from "../workload/plan.ts";
import type { ConfigName, ConfigResult } from "../workload/run.ts";
import { countersCells, resultsCells } from "./table.ts";
import { bytesFormat } from "./units.ts";

/** One colour per configuration, the same whatever subset --configs picked. */
export const CHART_COLORS: Readonly<Record<ConfigName, string>> = {
  disk: "#e15759",
  zswap: "#f28e2b",
  writeback: "#4e79a7",
  "writeback-adaptive": "#76b7b2",
  best: "#59a14f",
};

/** How a chart's y values read: the page picks axis ticks and legend values by it. */
type ChartUnit = "bytes" | "ratio" | "count" | "us";

interface ChartSpec {
  /** The container's `data-chart` and the chart's id suffix. */
  id: string;
  title: string;
  caption: string;
  unit: ChartUnit;
  /** A log y scale (latencies span orders of magnitude); gaps are null. */
  log: boolean;
  /** Accesses at each point, shared by every line. */
  x: number[];
  /** One line per configuration, aligned with x; null where a configuration has no point. */
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

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** JSON that is safe inside a <script> element: no `</script>`, no `<!--`. */
const jsonInline = (v: unknown): string => JSON.stringify(v).replace(/</g, "\\u003c");

type ChartHead = Pick<ChartSpec, "id" | "title" | "caption" | "unit" | "log">;

/** Every configuration's series on one x axis: the union of their sample points. */
function chartSpec(
  results: readonly ConfigResult[],
  head: ChartHead,
  value: (s: ConfigResult["series"], i: number) => number | null,
): ChartSpec {
  const x = [...new Set(results.flatMap((r) => r.series.accesses))].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const lines = results.map((r) => {
    const y: (number | null)[] = new Array(x.length).fill(null);
    r.series.accesses.forEach((a, i) => {
      y[at.get(a)!] = value(r.series, i);
    });
    return { name: r.name, label: r.label, color: CHART_COLORS[r.name], y };
  });
  return { ...head, x, lines };
}

function chartSpecs(results: readonly ConfigResult[]): ChartSpec[] {
  return [
    chartSpec(
      results,
      {
        id: "pool",
        title: "zswap pool size",
        caption: "Bytes of the pages the zswap pool holds (pool_total_size) at each sample.",
        unit: "bytes",
        log: false,
      },
      (s, i) => s.poolBytes[i],
    ),
    chartSpec(
      results,
      {
        id: "hit-ratio",
        title: "zswap hit ratio",
        caption:
          "Swap-ins served by zswap / swap-ins that were not zero pages, per window between samples (0 to 100%; 0 for a window without any).",
        unit: "ratio",
        log: false,
      },
      (s, i) => s.hitRatio[i],
    ),
    chartSpec(
      results,
      {
        id: "device-io",
        title: "Device I/O",
        caption:
          "Pages read from plus pages written to the swap device (pswpin + pswpout + zswpwb), cumulative.",
        unit: "count",
        log: false,
      },
      (s, i) => s.deviceReads[i] + s.deviceWrites[i],
    ),
    chartSpec(
      results,
      {
        id: "swap-in-p50",
        title: "Swap-in latency, median",
        caption:
          "Median swap-in latency per window between samples, in µs, log scale; a gap is a window without a swap-in.",
        unit: "us",
        log: true,
      },
      (s, i) => (s.swapInP50Us[i] > 0 ? s.swapInP50Us[i] : null),
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

/** Writes the report for `report` to `path`, a new file, as one HTML file. */
export async function reportHtmlWrite(path: string, report: RunReport): Promise<void> {
  const uplotJs = inlined(require.resolve("uplot/dist/uPlot.iife.min.js"), "</script");
  const uplotCss = inlined(require.resolve("uplot/dist/uPlot.min.css"), "</style");
  const specs = chartSpecs(report.results);
  const figures = specs
    .map(
      (c) => `<figure class="chart" id="chart-${c.id}" data-chart="${c.id}">
<figcaption><b>${escapeHtml(c.title)}</b><span>${escapeHtml(c.caption)}</span></figcaption>
<div class="plot"></div>
</figure>`,
    )
    .join("\n");
  const verified = report.results
    .map(
      (r) =>
        `<span class="swatch" style="background:${CHART_COLORS[r.name]}"></span>${escapeHtml(r.label)}: every swap-in verified (${r.verified})`,
    )
    .join("<br>");
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zswap run: ${escapeHtml(report.plan.workload)}</title>
<style>${uplotCss}</style>
<style>${inlined(ownAsset("report.css"), "</style")}</style>
</head>
<body>
<header>
<h1>zswap run</h1>
<p>${escapeHtml(report.plan.workload)} &middot; ${report.results.length} configurations &middot; written ${escapeHtml(new Date().toISOString())}</p>
</header>
<main>
<section><h2>Plan</h2>
${planHtml(report)}
</section>
<section><h2>Results</h2>
${tableHtml("results", resultsCells(report.results))}
<p class="verified">${verified}</p>
</section>
<section><h2>Over time</h2>
<div class="charts">
${figures}
</div>
</section>
<details><summary>zswap counters at the end of each configuration</summary>
${tableHtml("counters", countersCells(report.results))}
</details>
</main>
<script type="application/json" id="zswap-report">${jsonInline(report)}</script>
<script type="application/json" id="zswap-charts">${jsonInline(specs)}</script>
<script>${uplotJs}</script>
<script>${inlined(ownAsset("report.js"), "</script")}</script>
</body>
</html>
`;
  await fileNewWrite(path, "--html", (handle) => handle.writeFile(html));
}
