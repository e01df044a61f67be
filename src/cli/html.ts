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

function assetRead(specifier: string, closing: string): string {
  const text = fs.readFileSync(require.resolve(specifier), "utf8");
  // Inlined as is, so it must not close its own tag.
  if (text.toLowerCase().includes(closing))
    throw new Error(`${specifier} contains ${closing}; it cannot be inlined`);
  return text;
}

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

const STYLE = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #5f6368; --line: #e3e3e8; --bg: #fafafb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 32px 12px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: var(--muted); }
main { padding: 8px 32px 32px; max-width: 1400px; }
h2 { font-size: 17px; margin: 24px 0 10px; }
.plan { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
.plan dt { color: var(--muted); }
.plan dd { margin: 0; }
table { border-collapse: collapse; background: #fff; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
thead th { font-weight: 600; border-bottom: 2px solid #c8c8d0; }
thead th:first-child { text-align: left; }
tbody th { text-align: left; font-weight: 500; }
.verified { color: var(--muted); margin: 8px 0 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
.chart { margin: 0; padding: 12px 14px; background: #fff; border: 1px solid var(--line); border-radius: 6px; min-width: 0; }
.chart figcaption { margin-bottom: 6px; }
.chart figcaption b { display: block; font-size: 15px; }
.chart figcaption span { color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
details { margin-top: 24px; }
summary { cursor: pointer; font-weight: 600; }
`;

// The page's own script: plain JavaScript, run after uPlot's.
const PAGE_SCRIPT = `
(function () {
  "use strict";
  var charts = JSON.parse(document.getElementById("zswap-charts").textContent);
  var KIB = ["B", "KiB", "MiB", "GiB", "TiB"];
  function bytes(v) {
    if (v == null) return "-";
    var i = 0;
    while (Math.abs(v) >= 1024 && i < KIB.length - 1) { v /= 1024; i++; }
    return (i > 0 && Math.abs(v) < 10 ? v.toFixed(1) : Math.round(v)) + " " + KIB[i];
  }
  function count(v) {
    if (v == null) return "-";
    var a = Math.abs(v);
    if (a >= 1e6) return +(v / 1e6).toFixed(2) + "M";
    if (a >= 1e3) return +(v / 1e3).toFixed(1) + "k";
    return String(+v.toFixed(2));
  }
  var FORMAT = {
    bytes: bytes,
    ratio: function (v) { return v == null ? "-" : (100 * v).toFixed(0) + "%"; },
    count: count,
    us: function (v) { return v == null ? "-" : (v < 10 ? +v.toFixed(1) : Math.round(v)) + " µs"; },
  };
  var drawn = {};
  var plots = [];
  function onDraw(id) {
    if (drawn[id]) return;
    drawn[id] = true;
    document.body.dataset.chartsDrawn = String(Object.keys(drawn).length);
  }
  function width(el) { return Math.max(300, el.clientWidth); }
  charts.forEach(function (c) {
    var el = document.querySelector('[data-chart="' + c.id + '"] .plot');
    var fmt = FORMAT[c.unit];
    var y = c.unit === "ratio" ? { range: [0, 1] } : c.log ? { distr: 3 } : {};
    var opts = {
      width: width(el),
      height: 280,
      scales: { x: { time: false }, y: y },
      series: [{ label: "accesses", value: function (u, v) { return count(v); } }].concat(
        c.lines.map(function (l) {
          return {
            label: l.label,
            stroke: l.color,
            width: 2,
            points: { show: false },
            value: function (u, v) { return fmt(v); },
          };
        }),
      ),
      axes: [
        { label: "accesses", values: function (u, ts) { return ts.map(count); } },
        { size: 72, values: function (u, ts) { return ts.map(fmt); } },
      ],
      hooks: { draw: [function () { onDraw(c.id); }] },
    };
    var data = [c.x].concat(c.lines.map(function (l) { return l.y; }));
    plots.push({ el: el, plot: new uPlot(opts, data, el) });
  });
  window.addEventListener("resize", function () {
    plots.forEach(function (p) { p.plot.setSize({ width: width(p.el), height: 280 }); });
  });
})();
`;

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
  const uplotJs = assetRead("uplot/dist/uPlot.iife.min.js", "</script");
  const uplotCss = assetRead("uplot/dist/uPlot.min.css", "</style");
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
<style>${STYLE}</style>
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
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
  await fileNewWrite(path, "--html", (handle) => handle.writeFile(html));
}
