// Metrics of real swap spaces over swap files: the exposition passes `promtool check metrics`,
// each value is the space's own statistic, labels say which space or shared Zswap, and
// metricsServe serves it over HTTP on loopback and closes cleanly.

import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { PAGE_SIZE } from "../../src/constants.ts";
import { FileDevice } from "../../src/device/index.ts";
import { metricName, type StatName } from "../../src/stats/index.ts";
import { metricsServe, metricsText, type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { promtoolCheck } from "../promtool.ts";

const SLOTS = 512;
let shared: Zswap;
let spaces: Record<string, SwapSpace>;

/** Swaps `pages` out through `space`, then every other one back in, checking the bytes. */
async function exercise(space: SwapSpace, pages: Uint8Array[]): Promise<void> {
  const slots: SwapSlot[] = [];
  for (const page of pages) slots.push(await space.swapOut(page));
  const into = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < slots.length; i += 2) {
    await space.swapIn(slots[i], into, { free: true });
    assert.deepEqual(into, pages[i]);
  }
}

before(async () => {
  // Two spaces share one small pool (writeback runs), a third has no zswap at all.
  shared = new Zswap({ maxPoolBytes: 64 * PAGE_SIZE, compressor: "lz4" });
  const open = async (type: number, zswap: Zswap | false) =>
    SwapSpace.open({ slots: SLOTS, device: await FileDevice.open({ slots: SLOTS }), zswap, type });
  spaces = { a: await open(0, shared), b: await open(1, shared), disk: await open(2, false) };
  await exercise(spaces.a, generatePages(300, 1));
  await exercise(spaces.b, generatePages(200, 2));
  await exercise(spaces.disk, generatePages(100, 3));
});

after(async () => {
  for (const space of Object.values(spaces)) await space.close();
  shared.stop();
});

/** The sample of `stat` with exactly these labels, as a number. */
function sample(text: string, stat: StatName, labels: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${metricName(stat)}${labels} `));
  assert.ok(line, `no ${metricName(stat)}${labels} in\n${text}`);
  return Number(line.split(" ")[1]);
}

it("one space: promtool finds no problem, every statistic is there with its value", async () => {
  const stats = spaces.a.stats();
  const text = metricsText(spaces.a);
  const { code, output } = await promtoolCheck(text);
  assert.equal(output, "", "promtool's problems");
  assert.equal(code, 0);
  for (const [name, value] of Object.entries(stats)) {
    if (name === "swap_io_in_flight" || name === "outstanding_writebacks") continue; // may move
    assert.equal(sample(text, name as StatName, ""), value, name);
  }
  assert.ok(stats.zswpwb! > 0, "writeback ran");
});

it("named spaces: own statistics by space, a shared Zswap's once, labelled a+b", async () => {
  const text = metricsText(spaces);
  const { code, output } = await promtoolCheck(text);
  assert.equal(output, "", "promtool's problems");
  assert.equal(code, 0);
  assert.equal(sample(text, "zswpout", '{space="a+b"}'), shared.stats().zswpout);
  for (const name of ["a", "b", "disk"]) {
    assert.equal(sample(text, "pswpout", `{space="${name}"}`), spaces[name].stats().pswpout);
  }
  assert.doesNotMatch(text, /^zswap_zswpout_pages_total\{space="(a|b|disk)"\}/m);
  assert.equal(text.match(/^# TYPE zswap_pswpin_pages_total counter$/gm)?.length, 1);
});

it("metricsServe: /metrics over HTTP on loopback, 404 and 405 elsewhere, closed cleanly", async () => {
  const server = await metricsServe(spaces);
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(`${server.url}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const text = await res.text();
  assert.equal((await promtoolCheck(text)).code, 0);
  assert.equal(sample(text, "pswpout", '{space="disk"}'), spaces.disk.stats().pswpout);
  assert.equal((await fetch(`${server.url}/`)).status, 404);
  assert.equal((await fetch(`${server.url}/metrics`, { method: "POST" })).status, 405);
  await server.close();
  await server.close();
  await assert.rejects(fetch(`${server.url}/metrics`), /fetch failed/);
  // The port is free again: a new server takes it.
  const again = await metricsServe(spaces.a, { port: server.port });
  assert.equal(again.port, server.port);
  await again.close();
});

it("metricsServe: a taken port is ZSWAP_E_IO, a bad one ZSWAP_E_OPTION", async () => {
  const server = await metricsServe(spaces.a);
  await assert.rejects(metricsServe(spaces.a, { port: server.port }), {
    code: "ZSWAP_E_IO",
    errno: "EADDRINUSE",
  });
  await server.close();
  await assert.rejects(metricsServe(spaces.a, { port: 70_000 }), { code: "ZSWAP_E_OPTION" });
});

it("spaces that are not swap spaces are ZSWAP_E_OPTION, at once (a TypeError, or a server whose every scrape failed, before)", async () => {
  for (const bad of [undefined, null, 5, { a: 5 }, { a: spaces.a, b: {} }]) {
    assert.throws(() => metricsText(bad as never), { code: "ZSWAP_E_OPTION" }, String(bad));
    await assert.rejects(metricsServe(bad as never), { code: "ZSWAP_E_OPTION" }, String(bad));
  }
});
