import assert from "node:assert/strict";
import { it } from "node:test";
import { PAGE_SIZE } from "../../src/constants.ts";
import { ZswapOptionError } from "../../src/errors.ts";
import {
  isCounter,
  metricName,
  mthpPrometheus,
  type StatName,
  SWAP_COUNTERS,
  SWAP_GAUGES,
  statsJson,
  statsPrometheus,
  statsText,
  ZSWAP_COUNTERS,
  ZSWAP_GAUGES,
} from "../../src/stats/index.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { promtoolCheck } from "../promtool.ts";

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

it("every statistic is documented once: counters and gauges apart, no name twice", () => {
  const tables = [ZSWAP_COUNTERS, SWAP_COUNTERS, ZSWAP_GAUGES, SWAP_GAUGES];
  const names = tables.flatMap((t) => Object.keys(t));
  assert.equal(new Set(names).size, names.length);
  for (const t of tables) for (const doc of Object.values(t)) assert.ok(doc.length > 10, doc);
  const s = loaded().stats();
  assert.deepEqual(
    Object.keys(s).sort(),
    [...Object.keys(ZSWAP_COUNTERS), ...Object.keys(ZSWAP_GAUGES)].sort(),
  );
});

it("Prometheus: HELP from the documentation with the kernel's name, _total on counters, units in names", () => {
  const s = loaded().stats();
  const text = statsPrometheus(s);
  for (const [name, value] of Object.entries(s)) {
    const metric = metricName(name as StatName);
    const type = isCounter(name) ? "counter" : "gauge";
    const doc = { ...ZSWAP_COUNTERS, ...ZSWAP_GAUGES }[name as keyof typeof s];
    assert.ok(
      text.includes(
        `# HELP ${metric} ${name}: ${doc}\n# TYPE ${metric} ${type}\n${metric} ${value}\n`,
      ),
      metric,
    );
    assert.equal(metric.endsWith("_total"), type === "counter", metric);
  }
  assert.equal(metricName("zswpin"), "zswap_zswpin_pages_total");
  assert.equal(metricName("pool_total_size"), "zswap_pool_total_size_bytes");
  assert.equal(metricName("Zswapped"), "zswap_zswapped_bytes");
  assert.equal(metricName("written_back_pages"), "zswap_written_back_pages_total");
  assert.equal(metricName("pool_limit_hit"), "zswap_pool_limit_hit_total");
});

it("Prometheus: labelled samples share one HELP and TYPE; label values are escaped", async () => {
  const s = loaded().stats();
  const text = statsPrometheus([
    { labels: { space: 'a "quoted"\\name\nwith a newline' }, stats: s },
    { labels: { space: "b" }, stats: { zswpin: 3 } },
  ]);
  assert.equal(text.match(/^# HELP zswap_zswpin_pages_total /gm)?.length, 1);
  assert.match(text, /^zswap_zswpin_pages_total\{space="b"\} 3$/m);
  assert.ok(text.includes('{space="a \\"quoted\\"\\\\name\\nwith a newline"}'));
  const { code, output } = await promtoolCheck(text);
  assert.equal(output, "");
  assert.equal(code, 0);
});

it("Prometheus: an unknown statistic, a bad label name or prefix is ZSWAP_E_OPTION", () => {
  const bad = (f: () => unknown, message: RegExp) =>
    assert.throws(f, (e) => e instanceof ZswapOptionError && message.test(e.message));
  bad(() => statsPrometheus({ zswpin: 1, bogus: 2 }), /no statistic is named bogus/);
  bad(() => statsPrometheus([{ labels: { Space: "a" }, stats: {} }]), /label name "Space"/);
  bad(() => statsPrometheus([{ labels: { __name: "a" }, stats: {} }]), /label name "__name"/);
  bad(() => statsPrometheus({}, "zswap-"), /metric prefix "zswap-"/);
  // Before, a TypeError, or a line the scraper rejects ("-Inf" for a string, "zswap_x_undefined").
  bad(() => statsPrometheus(null as never), /statistics must be/);
  bad(() => statsPrometheus({ zswpin: "7" } as never), /zswpin is not a number/);
  bad(() => statsPrometheus([{ labels: {}, stats: null as never }]), /statistics must be/);
  bad(() => metricName("bogus" as StatName), /no statistic is named bogus/);
  bad(() => statsText(null as never), /statistics must be/);
  bad(() => statsJson(5 as never), /statistics must be/);
  bad(() => mthpPrometheus(null as never), /samples must be an array/);
});
