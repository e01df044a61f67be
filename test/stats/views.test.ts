import assert from "node:assert/strict";
import { it } from "node:test";
import { PAGE_SIZE } from "../../src/constants.ts";
import { isCounter, statsJson, statsPrometheus, statsText } from "../../src/stats/index.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { Zswap } from "../../src/zswap/index.ts";

function loaded(): Zswap {
  const z = new Zswap({ maxPoolBytes: 256 * PAGE_SIZE, compressor: "lz4" });
  z.swapon(0, 64);
  for (const [i, page] of generatePages(64, 5).entries()) z.store(0, i, page);
  return z;
}

it("text: one `name value` line per statistic, as debugfs reads", () => {
  const s = loaded().stats();
  const lines = statsText(s).split("\n");
  assert.equal(lines.length, Object.keys(s).length);
  for (const line of lines) {
    const [name, value] = line.trim().split(/\s+/);
    assert.equal(Number(value), (s as Record<string, number>)[name], line);
  }
  assert.ok(s.zswpout > 0 && s.stored_pages === s.zswpout);
});

it("JSON round-trips", () => {
  const s = loaded().stats();
  assert.deepEqual(JSON.parse(statsJson(s)), s);
});

it("Prometheus: counters typed counter, gauges typed gauge, every value present", () => {
  const s = loaded().stats();
  const text = statsPrometheus(s, isCounter);
  for (const [name, value] of Object.entries(s)) {
    const metric = `zswap_${name.toLowerCase()}`;
    const type = isCounter(name) ? "counter" : "gauge";
    assert.ok(text.includes(`# TYPE ${metric} ${type}\n${metric} ${value}\n`), metric);
  }
});
