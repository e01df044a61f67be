// Runs summarized: mean, sample standard deviation and range; ratios with their propagated
// spread; hyperfine's closing words; the progress line's arithmetic.

import assert from "node:assert/strict";
import { test } from "node:test";
import { progressLine } from "../../src/cli/progress.ts";
import { relativeLines, table } from "../../src/cli/table.ts";
import type { ConfigResult } from "../../src/workload/run.ts";
import { spread, summarize } from "../../src/workload/summary.ts";

test("spread: mean, sample standard deviation (n - 1), min, max; one value has no deviation", () => {
  assert.deepEqual(spread([2, 4, 4, 4, 5, 5, 7, 9]), {
    mean: 5,
    stddev: Math.sqrt(32 / 7),
    min: 2,
    max: 9,
  });
  assert.deepEqual(spread([3]), { mean: 3, stddev: null, min: 3, max: 3 });
});

/** Results of `name` at these throughputs (every other field as a real result has it). */
function runsOf(name: "disk" | "writeback", throughputs: number[]): ConfigResult[] {
  return throughputs.map((accessesPerSecond) => ({
    name,
    label: name === "disk" ? "disk only" : "zswap + writeback",
    accesses: 1000,
    seconds: 1000 / accessesPerSecond,
    accessesPerSecond,
    swapIns: 10,
    swapInLatencyUs: {
      p50: 1,
      p99: 2,
      p999: 3,
      mean: 1.5,
      distribution: { percentile: [], us: [] },
    },
    deviceReads: 1,
    deviceWrites: 1,
    zswapHitRatio: 0,
    beladyHitRatio: null,
    ofBelady: null,
    compressionRatio: 0,
    poolPeakBytes: 0,
    verified: 10,
    counters: {} as ConfigResult["counters"],
    series: { accesses: [], seconds: [], deviceReads: [], deviceWrites: [], swapInP50Us: [] },
  }));
}

test("relative throughput: the ratio of means, its spread propagated, in hyperfine's words", () => {
  const results = [...runsOf("disk", [90, 100, 110]), ...runsOf("writeback", [380, 400, 420])];
  const s = summarize(["disk", "writeback"], results, new Map());
  assert.deepEqual(s[0].relative, { ratio: 1, stddev: 0 });
  assert.equal(s[1].relative.ratio, 4);
  // sigma / mean: 10/100 and 20/400; the ratio's: 4 * sqrt(0.1^2 + 0.05^2).
  assert.ok(Math.abs(s[1].relative.stddev! - 4 * Math.sqrt(0.0125)) < 1e-12);
  assert.equal(s[1].verified, 30);
  assert.deepEqual(relativeLines(s), [
    "Summary (accesses/s, 3 runs each), against disk only:",
    "  zswap + writeback ran 4.00 ± 0.45 times faster than disk only",
  ]);
  const slower = summarize(["writeback", "disk"], results, new Map());
  assert.equal(
    relativeLines(slower)[1],
    "  disk only ran 4.00 ± 0.45 times slower than zswap + writeback",
  );
  const once = summarize(
    ["disk", "writeback"],
    [...runsOf("disk", [100]), ...runsOf("writeback", [250])],
    new Map(),
  );
  assert.equal(relativeLines(once)[1], "  zswap + writeback ran 2.50 times faster than disk only");
});

test("a table wider than 100 columns wraps into blocks, each led by the first column", () => {
  const head = [
    "configuration",
    ...Array.from({ length: 8 }, (_, i) => `column ${i} ${"x".repeat(10)}`),
  ];
  const rows = [["disk only", ...Array.from({ length: 8 }, (_, i) => String(i * 1000))]];
  const text = table(head, rows);
  const lines = text.split("\n");
  assert.ok(
    lines.every((l) => l.length <= 100),
    text,
  );
  const blocks = text.split("\n\n");
  assert.ok(blocks.length >= 2, text);
  for (const b of blocks) assert.match(b, /^configuration .*\n-+ .*\ndisk only /);
  assert.equal(text.match(/column \d/g)?.length, 8, "every column once");
  // "column 4" (index 5) glued to "column 3": both go to the next block.
  const glued = table(head, rows, new Set([5])).split("\n\n");
  assert.ok(
    glued.some((b) => /column 3 x+ +column 4 /.test(b.split("\n")[0])),
    glued.join("\n\n"),
  );
});

test("the progress line: configuration k of n, the run, elapsed and an estimate of what is left", () => {
  const plan = { configs: ["disk", "zswap", "writeback", "best"], runs: 5 };
  const step = { config: "zswap", configIndex: 1, run: 2, step: 5, steps: 20, seed: 1 } as const;
  // 5.5 of 20 steps done in 11 s: 29 s left at the same pace.
  assert.equal(
    progressLine(step, "zswap, no writeback", plan, 500, 1000, 11_000),
    "configuration 2 of 4 (zswap, no writeback), run 2 of 5: 50%, 11s elapsed, about 29s left",
  );
  const warmup = { ...step, run: 0, step: 0, configIndex: 0 };
  assert.equal(
    progressLine(warmup, "disk only", plan, 0, 1000, 0),
    "configuration 1 of 4 (disk only), warmup run: 0%, 0s elapsed",
  );
  assert.match(
    progressLine({ ...step, step: 1 }, "x", plan, 0, 1000, 75_000),
    /1m15s elapsed, about 23m45s left$/,
  );
});
