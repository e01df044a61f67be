// `zswap run --serve` end to end: a long run on the simulated device serves its live page;
// headless Chromium, refused everything but that server, watches the charts gain points while the
// run goes (a count, with a generous watchdog), with no console error; /metrics, read meanwhile,
// passes promtool; SIGINT then ends the run, the stream and the server.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { BrowserContext } from "playwright-core";
import { promtoolCheck } from "../promtool.ts";
import { chromiumLaunch, pageWatched } from "./chromium.ts";
import { REPO, zswapStart } from "./zswap.ts";

/** Longest wait for any one thing the page should show, in ms: a watchdog, not a verdict. */
const WATCHDOG_MS = 60_000;
/** Where the page's screenshot goes: artifacts/, or the folder ZSWAP_SCREENSHOTS names. */
const SHOTS = path.resolve(REPO, process.env.ZSWAP_SCREENSHOTS ?? "artifacts");

let dir: string;
let browser: BrowserContext | undefined;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-live-"));
});
after(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the live page's address once the child prints it on stderr. */
function liveUrl(stderr: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (d: Buffer | string) => {
      text += String(d);
      const m = /the live page is at (http:\/\/127\.0\.0\.1:\d+)\//.exec(text);
      if (m !== null) {
        stderr.off("data", onData);
        resolve(m[1]);
      }
    };
    stderr.on("data", onData);
    stderr.once("end", () => reject(new Error(`no address on stderr:\n${text}`)));
  });
}

test("--serve: the live page's charts gain points while the run goes; /metrics passes promtool", async () => {
  // The browser first, so that the run (minutes long: SIGINT ends it) is young when the page opens.
  browser = await chromiumLaunch(dir);
  const { child, exit } = zswapStart(
    [
      "run",
      ...["--device", "memory", "--pages-from", "generated", "--working-set", "2048p"],
      ...["--accesses", "3000000", "--serve"],
    ],
    { timeoutMs: 5 * WATCHDOG_MS },
  );
  try {
    const url = await liveUrl(child.stderr!);
    const { page, errors, outside } = await pageWatched(browser, url);
    await page.goto(`${url}/`);
    const points = () => page.evaluate(() => Number(document.body.dataset.points ?? 0));
    await page.waitForFunction(() => Number(document.body.dataset.points ?? 0) > 0, null, {
      timeout: WATCHDOG_MS,
    });
    const first = await points();
    // Ten more points at least: several snapshots, each drawn.
    await page.waitForFunction((n) => Number(document.body.dataset.points) >= n + 10, first, {
      timeout: WATCHDOG_MS,
    });
    assert.ok((await points()) >= first + 10);
    assert.ok(Number(await page.evaluate(() => document.body.dataset.updates)) >= 2);
    const status = await page.locator("#status").textContent();
    assert.match(
      status ?? "",
      /^configuration 1 of 5 \(disk only\), run 1 of 1: \d+%, \d+s elapsed/,
    );
    await page.waitForSelector('body[data-charts-drawn="5"]', { timeout: WATCHDOG_MS });
    const version = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version;
    assert.match(
      (await page.locator("header p").first().textContent()) ?? "",
      new RegExp(`^zswap-ts ${version} `),
    );

    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^zswap_pswpin_pages_total\{config="disk"\} \d+$/m);
    const check = await promtoolCheck(metrics);
    assert.equal(check.output, "", "promtool's problems");
    assert.equal(check.code, 0);

    assert.deepEqual(errors, [], "console errors");
    assert.deepEqual(outside, [], "requests outside the server");
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, "live.png") });

    child.kill("SIGINT");
    await page.waitForSelector('body[data-ended="true"]', { timeout: WATCHDOG_MS });
    const e = await exit;
    assert.equal(e.code, 130, e.stderr);
    assert.match(
      e.stdout,
      /^interrupted by SIGINT during run 1 of "disk only", which is not shown$/m,
    );
    await assert.rejects(fetch(`${url}/metrics`), /fetch failed/, "the server is closed");
  } finally {
    child.kill("SIGKILL");
  }
});
