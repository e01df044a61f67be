// The --html report end to end: a real run writes it, headless Chromium opens it from disk with
// every network request refused, and each chart must have drawn its configurations' lines. The
// whole page's screenshot goes to artifacts/, the distribution chart's too, or to the folder
// ZSWAP_SCREENSHOTS names (the README's is made with ZSWAP_SCREENSHOTS=docs).

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { BrowserContext } from "playwright-core";
import { CHART_COLORS } from "../../src/cli/html.ts";
import { CONFIG_NAMES } from "../../src/workload/run.ts";
import { chromiumLaunch, pageWatched } from "./chromium.ts";
import { ok, REPO, zswap } from "./zswap.ts";

const CHARTS = ["latency-distribution", "pool", "hit-ratio", "device-io", "swap-in-p50"];
const ARTIFACTS = path.join(REPO, "artifacts");
const SHOTS = path.resolve(REPO, process.env.ZSWAP_SCREENSHOTS ?? ARTIFACTS);

let dir: string;
let browser: BrowserContext;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-html-"));
});
after(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("--html writes a self-contained report whose five charts draw in headless Chromium", async () => {
  const out = path.join(dir, "report.html");
  ok(
    await zswap([
      "run",
      "--accesses",
      "5000",
      "--working-set",
      "1024p",
      "--pages-from",
      "generated",
      "--html",
      out,
    ]),
  );
  const html = fs.readFileSync(out, "utf8");
  assert.doesNotMatch(
    html,
    /<(script|link|img)[^>]+(src|href)=/i,
    "nothing is loaded from outside",
  );

  browser = await chromiumLaunch(dir);
  const { page, errors, outside } = await pageWatched(browser, "file:");
  await page.goto(`file://${out}`);
  await page.waitForSelector('body[data-charts-drawn="5"]', { timeout: 15_000 });
  assert.deepEqual(errors, []);
  assert.deepEqual(outside, []);

  // The embedded report is the run's JSON; the results table has a row per configuration.
  // No named functions inside: tsx would wrap them in a helper the page does not have.
  const embedded = await page.evaluate(() => {
    const [report, charts] = ["zswap-report", "zswap-charts"].map((id) =>
      JSON.parse(document.getElementById(id)?.textContent ?? ""),
    ) as [{ results: { name: string }[] }, { id: string; lines: { name: string }[] }[]];
    return {
      configs: report.results.map((r) => r.name),
      rows: document.querySelectorAll("#results tbody tr").length,
      lines: Object.fromEntries(charts.map((c) => [c.id, c.lines.map((l) => l.name)])),
      header: document.querySelector("header p")?.textContent ?? "",
    };
  });
  assert.deepEqual(embedded.configs, CONFIG_NAMES);
  assert.equal(embedded.rows, CONFIG_NAMES.length);
  const version = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version;
  assert.ok(embedded.header.startsWith(`zswap-ts ${version} `), embedded.header);
  // Disk only has no pool: its line is left out where it cannot apply, drawn everywhere else.
  assert.deepEqual(
    embedded.lines.pool,
    CONFIG_NAMES.filter((c) => c !== "disk"),
  );
  assert.deepEqual(
    embedded.lines["hit-ratio"],
    CONFIG_NAMES.filter((c) => c !== "disk"),
  );
  assert.deepEqual(embedded.lines["latency-distribution"], embedded.configs);

  // Pixels of each configuration's colour on each chart's canvas: the lines, not just the axes.
  const colors = CONFIG_NAMES.map((name) => CHART_COLORS[name]);
  const pixels = await page.evaluate(
    ({ ids, colors }) => {
      const rgb = colors.map((c) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16)));
      return ids.map((id) => {
        const canvas = document.querySelector<HTMLCanvasElement>(`[data-chart="${id}"] canvas`);
        if (canvas === null) return { id, painted: 0, lines: [] as number[] };
        const d = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        const lines = rgb.map(() => 0);
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3] === 0) continue;
          painted++;
          rgb.forEach(([r, g, b], k) => {
            if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 30)
              lines[k]++;
          });
        }
        return { id, painted, lines };
      });
    },
    { ids: CHARTS, colors },
  );
  for (const { id, painted, lines } of pixels) {
    assert.ok(painted > 5000, `chart ${id}: only ${painted} painted pixels`);
    // A line of width 2 across the plot paints ~1000 pixels; 100 allows for overlaps.
    // A line of width 2 across the plot paints ~1000 pixels; lines on top may hide one below
    // (disk's and zswap's hit ratios are both 0 for long stretches), so one may be missing.
    const drawn = lines.filter((n) => n >= 100).length;
    const lineCount = embedded.lines[id].length;
    assert.ok(
      drawn >= lineCount - 1,
      `chart ${id}: lines of ${drawn} configurations (pixels: ${lines})`,
    );
  }
  for (const [k, name] of CONFIG_NAMES.entries()) {
    const total = pixels.reduce((sum, p) => sum + p.lines[k], 0);
    assert.ok(total >= 400, `${name}'s lines have ${total} pixels over the five charts`);
  }
  // Every configuration's distribution is drawn: no line hides another over the whole tail.
  const distribution = pixels.find((p) => p.id === "latency-distribution")!;
  assert.ok(
    distribution.lines.every((n) => n >= 100),
    `distribution pixels: ${distribution.lines}`,
  );

  for (const folder of [ARTIFACTS, SHOTS]) fs.mkdirSync(folder, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, "report.png"), fullPage: true });
  const chart = path.join(SHOTS, "report-latency-distribution.png");
  await page.locator("#chart-latency-distribution").screenshot({ path: chart });
  assert.ok(fs.statSync(chart).size > 5_000);
});
