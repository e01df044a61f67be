// The --html report end to end: a real run writes it, headless Chromium opens it from disk with
// every network request refused, and each chart must have drawn its configurations' lines.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { type BrowserContext, chromium } from "playwright-core";
import { CHART_COLORS } from "../../src/cli/html.ts";
import { CONFIG_NAMES } from "../../src/workload/run.ts";
import { ok, REPO, zswap } from "./zswap.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHARTS = ["pool", "hit-ratio", "device-io", "swap-in-p50"];
const SCREENSHOT = path.join(REPO, "artifacts", "report.png");

let dir: string;
let browser: BrowserContext;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-html-"));
});
after(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("--html writes a self-contained report whose four charts draw in headless Chromium", async () => {
  assert.ok(
    fs.existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install it with \`apt-get install -y chromium\` (.ci/run does)`,
  );
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

  browser = await chromium.launchPersistentContext(path.join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = await browser.newPage();
  const outside: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:")) return route.continue();
    outside.push(url);
    return route.abort();
  });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(`file://${out}`);
  await page.waitForSelector('body[data-charts-drawn="4"]', { timeout: 15_000 });
  assert.deepEqual(errors, []);
  assert.deepEqual(outside, []);

  // The embedded report is the run's JSON; the results table has a row per configuration.
  const embedded = await page.evaluate(() => {
    const json = document.getElementById("zswap-report")?.textContent ?? "";
    return {
      configs: (JSON.parse(json) as { results: { name: string }[] }).results.map((r) => r.name),
      rows: document.querySelectorAll("#results tbody tr").length,
    };
  });
  assert.deepEqual(embedded.configs, CONFIG_NAMES);
  assert.equal(embedded.rows, CONFIG_NAMES.length);

  // Pixels of each configuration's colour on each chart's canvas: the lines, not just the axes.
  const colors = Object.values(CHART_COLORS);
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
    assert.ok(drawn >= 3, `chart ${id}: lines of ${drawn} configurations (pixels: ${lines})`);
  }
  for (const [k, name] of Object.keys(CHART_COLORS).entries()) {
    const total = pixels.reduce((sum, p) => sum + p.lines[k], 0);
    assert.ok(total >= 400, `${name}'s lines have ${total} pixels over the four charts`);
  }

  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.ok(fs.statSync(SCREENSHOT).size > 10_000);
});
