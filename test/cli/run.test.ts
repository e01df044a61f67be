// `zswap run` and `zswap capture` as a user runs them: a child process, its exit code and output.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { SwapSpaceOptions } from "../../src/swap/index.ts";
import type { RunReport } from "../../src/workload/plan.ts";
import { CONFIG_NAMES, CONFIGS } from "../../src/workload/run.ts";
import { ok, REPO, zswap } from "./zswap.ts";

const SMALL = ["--accesses", "3000", "--working-set", "512p", "--pages-from", "generated"];

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-run-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function fileWrite(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

const nondecreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x >= xs[i - 1]);

test("the table ends with a line per configuration saying how many swap-ins were verified", async () => {
  const { stdout } = ok(await zswap(["run", ...SMALL]));
  assert.match(stdout, /^workload: +shift over 512 pages, 3000 accesses/m);
  assert.match(stdout, /^pages: +generated pages, seed 1 /m);
  for (const name of CONFIG_NAMES) {
    const label = CONFIGS[name].label.replace(/[+()]/g, "\\$&");
    const m = new RegExp(`^${label}: every swap-in verified \\((\\d+)\\)$`, "m").exec(stdout);
    assert.ok(m, `no verified line for ${name} in:\n${stdout}`);
    assert.ok(Number(m[1]) > 0, `${name} verified no swap-in`);
  }
});

test("zram's tools are opt-in configurations; recompression saves bytes", async () => {
  assert.ok(!CONFIG_NAMES.includes("idle-writeback") && !CONFIG_NAMES.includes("recompress"));
  const args = ["run", ...SMALL, "--device", "memory", "--json"];
  const { stdout } = ok(await zswap([...args, "--configs", "writeback,idle-writeback,recompress"]));
  const report = JSON.parse(stdout) as RunReport;
  const [lru, idle, recomp] = report.results.map((r) => r.counters);
  for (const r of report.results) assert.equal(r.swapIns, r.verified, r.name);
  // Idle writeback changes what goes to the device, and when.
  assert.ok(idle!.bd_writes! > 0 && idle!.bd_writes !== lru!.bd_writes, `${idle!.bd_writes}`);
  assert.equal(recomp!.recomp_pages! > 0 && recomp!.recomp_saved_bytes! > 0, true);
  assert.equal(lru!.recomp_pages, 0);
});

let jsonRun: Promise<RunReport> | undefined;
/** One small `--json` run, shared by the tests that read it. */
function jsonReport(): Promise<RunReport> {
  jsonRun ??= zswap(["run", ...SMALL, "--json"]).then((e) => JSON.parse(ok(e).stdout) as RunReport);
  return jsonRun;
}

/**
 * Every field's path in `v` (`plan.pages`, `results`, `results[].series.accesses`, ...), and
 * those whose value is not an object (the ones a reader needs a unit for).
 */
function fieldPaths(
  v: unknown,
  at = "",
  into = { all: new Set<string>(), leaves: new Set<string>() },
): { all: Set<string>; leaves: Set<string> } {
  const nested = typeof v === "object" && v !== null;
  if (at !== "") into.all.add(at);
  if (at !== "" && (!nested || (Array.isArray(v) && typeof v[0] !== "object"))) into.leaves.add(at);
  if (Array.isArray(v)) {
    for (const x of v) if (typeof x === "object" && x !== null) fieldPaths(x, `${at}[]`, into);
  } else if (nested) {
    for (const [k, x] of Object.entries(v)) fieldPaths(x, at === "" ? k : `${at}.${k}`, into);
  }
  return into;
}

test("--json holds the plan, the machine and every configuration's documented fields", async () => {
  const report = await jsonReport();
  assert.equal(report.schemaVersion, 1);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
  assert.equal(report.version, pkg.version);
  assert.equal(report.machine.node, process.version);
  assert.ok(report.machine.cores >= 1);
  const p = report.plan;
  assert.equal(p.pages, 512);
  assert.equal(p.accesses, 3000);
  assert.equal(p.frames, 64, "12.5% of 512 pages");
  assert.ok(p.poolBytes >= 4096 && p.poolBytes <= 512 * 4096, `poolBytes ${p.poolBytes}`);
  assert.equal(p.compressor, "lz4");
  assert.deepEqual(p.configs, CONFIG_NAMES);
  assert.deepEqual(
    report.results.map((r) => r.name),
    CONFIG_NAMES,
  );
  for (const r of report.results) {
    const at = `config ${r.name}`;
    assert.equal(r.label, CONFIGS[r.name].label, at);
    assert.equal(r.accesses, 3000, at);
    assert.ok(r.seconds > 0 && Math.abs(r.accessesPerSecond - r.accesses / r.seconds) < 1e-6, at);
    assert.ok(r.verified > 0, at);
    assert.equal(r.swapIns, r.verified, `${at}: every swap-in is verified`);
    const l = r.swapInLatencyUs;
    assert.ok(
      0 < l.p50 && l.p50 <= l.p99 && l.p99 <= l.p999 && l.mean > 0,
      `${at}: ${JSON.stringify(l)}`,
    );
    const c = r.counters;
    assert.equal(r.deviceReads, c.pswpin, at);
    assert.equal(r.deviceWrites, c.pswpout + (c.zswpwb ?? 0), at);
    assert.ok(r.zswapHitRatio >= 0 && r.zswapHitRatio <= 1, at);
    assert.equal(c.swap_slots, 512, at);
    const ins = (c.zswpin ?? 0) + c.pswpin + c.swpin_cache + c.swpin_zero;
    assert.equal(ins, r.swapIns, `${at}: swap-ins add up`);
    if (r.name === "disk") {
      assert.equal(c.zswpout, undefined, `${at}: no zswap, no zswap counters`);
      assert.equal(r.poolPeakBytes, 0, at);
      assert.equal(r.compressionRatio, 0, at);
    } else {
      assert.ok(c.zswpout! > 0 && r.zswapHitRatio > 0, at);
      // The pool's pages never pass its bound, which is the plan's, in whole pages.
      const limit = c.pool_limit_bytes ?? Number.NaN;
      assert.ok(limit <= p.poolBytes && limit > p.poolBytes - 4096, `${at}: limit ${limit}`);
      assert.ok(r.poolPeakBytes > 0 && r.poolPeakBytes <= limit, `${at}: peak ${r.poolPeakBytes}`);
      // Stored pages compress to at most 80% of a page (the rest are declined): a ratio over 1
      // whenever the pool holds any, whatever writeback left there at the end.
      const held = (c.stored_pages ?? 0) > 0;
      assert.ok(
        held ? r.compressionRatio >= 1.25 : r.compressionRatio === 0,
        `${at}: ${r.compressionRatio}`,
      );
      assert.equal(typeof c.pool_total_size, "number", at);
      // The pool's bound is a limit hit, whatever size class met it; the allocator never fails.
      assert.equal(c.reject_alloc_fail, 0, at);
    }
    const space: Partial<SwapSpaceOptions> = CONFIGS[r.name].space;
    if (space.writeback === true) assert.ok(c.zswpwb! > 0, `${at} wrote back`);
    else assert.equal(c.zswpwb ?? 0, 0, at);

    const s = r.series;
    const n = s.accesses.length;
    assert.ok(n >= 100, `${at}: ${n} points`);
    for (const [k, v] of Object.entries(s)) assert.equal(v.length, n, `${at}: series.${k}`);
    assert.ok(nondecreasing(s.accesses) && s.accesses[n - 1] <= r.accesses, at);
    assert.ok(nondecreasing(s.seconds) && nondecreasing(s.deviceReads), at);
    assert.ok(nondecreasing(s.deviceWrites) && s.deviceWrites[n - 1] <= r.deviceWrites, at);
    // Without zswap there is no pool and no hit ratio: those series are left out.
    assert.equal(s.poolBytes === undefined, r.name === "disk", at);
    assert.equal(s.hitRatio === undefined, r.name === "disk", at);
    assert.ok(
      (s.hitRatio ?? []).every((h) => h === null || (h >= 0 && h <= 1)),
      at,
    );
    assert.ok(
      (s.poolBytes ?? []).every((b) => b >= 0 && b <= r.poolPeakBytes),
      at,
    );
    // A window without a swap-in is a gap (null), never a 0 µs median.
    assert.ok(
      s.swapInP50Us.every((us) => us === null || us > 0) && s.swapInP50Us.some((us) => us !== null),
      at,
    );
    const d = l.distribution;
    assert.ok(d.percentile.length >= 20 && d.percentile.length === d.us.length, at);
    assert.ok(nondecreasing(d.percentile) && nondecreasing(d.us), `${at}: ${JSON.stringify(d)}`);
    assert.equal(d.percentile[0], 0);
    assert.equal(d.percentile.at(-1), 100);
    assert.ok(d.us.includes(l.p99), `${at}: p99 is on the ladder`);
  }
});

test("the README documents every --json field, and no field that is not there", async () => {
  const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
  const start = readme.indexOf("## `zswap run --json`");
  assert.ok(start >= 0, "README.md has a `zswap run --json` section");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const documented = new Set([...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
  const actual = fieldPaths(await jsonReport());
  assert.ok(actual.leaves.has("results[].counters.zswpin") && actual.leaves.has("plan.configs"));
  const missing = [...actual.leaves].filter((f) => !documented.has(f));
  assert.deepEqual(missing, [], "fields of the JSON output missing from the README's table");
  const stale = [...documented].filter((f) => !actual.all.has(f));
  assert.deepEqual(stale, [], "fields in the README's table that the JSON output does not have");
});

test("--runs 3 --warmup 1 on the simulated device: interleaved runs, one seed, the same counters, a spread", async () => {
  const args = [
    "run",
    ...SMALL,
    "--device",
    "memory",
    "--configs",
    "disk,writeback",
    "--runs",
    "3",
    "--warmup",
    "1",
  ];
  const report = JSON.parse(ok(await zswap([...args, "--json"])).stdout) as RunReport;
  assert.deepEqual(
    report.results.map((r) => `${r.run} ${r.name} ${r.seed}`),
    ["1 disk 1", "1 writeback 1", "2 disk 1", "2 writeback 1", "3 disk 1", "3 writeback 1"],
  );
  assert.deepEqual([report.plan.runs, report.plan.warmup, report.plan.varySeed], [3, 1, false]);
  for (const name of ["disk", "writeback"]) {
    const runs = report.results.filter((r) => r.name === name);
    // Virtual time and one seed: every run's counters and swap-ins are the same.
    for (const r of runs) assert.deepEqual(r.counters, runs[0].counters, name);
    const s = report.summary.find((x) => x.name === name)!;
    assert.equal(s.runs, 3);
    assert.equal(s.verified, runs[0].verified * 3);
    const t = s.accessesPerSecond;
    assert.ok(t.min <= t.mean && t.mean <= t.max && t.stddev !== null, JSON.stringify(t));
    assert.deepEqual(
      [t.min, t.max],
      [
        Math.min(...runs.map((r) => r.accessesPerSecond)),
        Math.max(...runs.map((r) => r.accessesPerSecond)),
      ],
    );
    const d = s.swapInLatencyUs.distribution;
    assert.ok(d.percentile.length > 20 && d.us.at(-1)! >= s.swapInLatencyUs.p999.max, name);
  }
  assert.deepEqual(report.summary[0].relative, { ratio: 1, stddev: 0 });
  const r = report.summary[1].relative;
  assert.ok(r.stddev !== null && r.ratio > 0, JSON.stringify(r));

  const varied = JSON.parse(
    ok(await zswap([...args, "--vary-seed", "--json"])).stdout,
  ) as RunReport;
  assert.deepEqual(
    varied.results.map((x) => x.seed),
    [2, 2, 3, 3, 4, 4],
    "round 0, the warmup, has seed 1",
  );
  const disks = varied.results.filter((x) => x.name === "disk");
  assert.notDeepEqual(disks[0].counters, disks[1].counters, "another seed, another run");

  const { stdout } = ok(await zswap(args));
  assert.match(stdout, /^runs: +3 of each configuration, interleaved, after 1 warmup; seed 1$/m);
  assert.match(stdout, /^disk only +\d+ ± \d+ +\d+ … \d+ /m);
  assert.match(
    stdout,
    /^ {2}zswap \+ writeback ran \d+\.\d\d ± \d+\.\d\d times (faster|slower) than disk only$/m,
  );
  const table = stdout.slice(stdout.indexOf("\nconfiguration "), stdout.indexOf("\ncounter "));
  assert.ok(
    table.split("\n").every((l) => l.length <= 100),
    `the table fits 100 columns:\n${table}`,
  );
});

test("a bad request exits 2 before anything runs, with no stack and nothing on stdout", async () => {
  const e = await zswap(["run", ...SMALL, "--pool", "4MiB"]);
  assert.equal(e.code, 2, e.stderr);
  assert.match(
    e.stderr,
    /^zswap: ZSWAP_E_OPTION: --pool .*larger than the working set: writeback would never run\n$/,
  );
  assert.equal(e.stdout, "");
});

test("--trace replays a text trace", async () => {
  const lines = ["# a loop over 48 pages, 6 passes, every third access a write"];
  for (let pass = 0; pass < 6; pass++)
    for (let page = 0; page < 48; page++)
      lines.push(
        `${(page + pass) % 3 === 0 ? "W" : "R"} ${pass % 2 ? "0x" : ""}${(0x7f00 + page * 3).toString(16)}`,
      );
  const trace = fileWrite("loop.trace", `${lines.join("\n")}\n`);
  const { stdout } = ok(
    await zswap([
      "run",
      "--trace",
      trace,
      "--resident",
      "25%",
      "--pages-from",
      "generated",
      "--json",
    ]),
  );
  const report = JSON.parse(stdout) as RunReport;
  assert.equal(report.plan.pages, 48);
  assert.equal(report.plan.frames, 12);
  assert.equal(report.plan.accesses, 48 * 6);
  assert.match(report.plan.workload, /\(text, 288 page accesses\)/);
  for (const r of report.results) {
    assert.equal(r.accesses, 288);
    // A loop larger than memory under CLOCK faults on every access after the first pass.
    assert.equal(r.verified, 48 * 5, r.name);
  }
});

test("a bad line in a trace is an error naming the file and the line", async () => {
  const trace = fileWrite("bad.trace", "R 10\nW 11\n# fine\n\nX 12\nR 13\n");
  const e = await zswap(["run", "--trace", trace]);
  assert.equal(e.code, 2, e.stderr);
  assert.ok(e.stderr.includes(`${trace}:5: not a text trace line: "X 12"`), e.stderr);
  assert.equal(e.stdout, "");
});

test("--trace with --workload is refused", async () => {
  const trace = fileWrite("ok.trace", "R 1\nR 2\n");
  const e = await zswap(["run", "--trace", trace, "--workload", "zipf"]);
  assert.equal(e.code, 2);
  assert.match(e.stderr, /--workload does not apply with --trace/);
});

test("capture --pid self writes a whole number of pages, mode 0600, and no other file", async () => {
  const folder = fs.mkdtempSync(path.join(dir, "capture-"));
  const out = path.join(folder, "self.pages");
  const { stdout } = ok(await zswap(["capture", "--pid", "self", "--out", out, "--max", "1MiB"]));
  assert.deepEqual(fs.readdirSync(folder), ["self.pages"]);
  assert.equal(
    fs.statSync(out).mode & 0o777,
    0o600,
    "another process's memory is not world-readable",
  );
  const size = fs.statSync(out).size;
  const m = /^wrote (\d+) pages \((\d+) zero-filled\) of process self/m.exec(stdout);
  assert.ok(m, stdout);
  assert.ok(size > 0 && size <= 1 << 20 && size % 4096 === 0, `size ${size}`);
  assert.equal(Number(m[1]) * 4096, size);
});

test("--groups 3: a row per group and round, every swap-in verified, each group within its share", async () => {
  const args = ["run", "--groups", "3", "--device", "memory", "--workload", "zipf"];
  args.push("--accesses", "6000", "--working-set", "512p", "--pages-from", "generated");
  const { stdout } = ok(await zswap(args));
  for (const round of ["no limits", "limits"]) {
    for (const g of [1, 2, 3]) assert.match(stdout, new RegExp(`^${round}: tenant-${g} `, "m"));
  }
  assert.match(
    stdout,
    /^tenant-2's zswap hit ratio: [\d.]+% with no limits, [\d.]+% with limits$/m,
  );
  const verified = /^every swap-in verified \((\d+)\)$/m.exec(stdout);
  assert.ok(verified !== null && Number(verified[1]) > 0, stdout);
  // Each group within its share with limits; no bound (null in JSON, for Infinity) without.
  const json = ok(await zswap([...args, "--json"])).stdout;
  type Row = { round: string; group: string; stats: Record<string, number | null> };
  const rows = (JSON.parse(json) as { rows: Row[] }).rows;
  assert.equal(rows.length, 6);
  for (const r of rows) {
    if (r.round === "no limits") assert.equal(r.stats.zswap_max, null);
    else assert.ok(r.stats.zswap! <= r.stats.zswap_max!, `${r.group} within its bound`);
  }
});

test("--groups refuses what it cannot do", async () => {
  for (const extra of [
    ["--groups", "1"],
    ["--groups", "2", "--configs", "disk"],
    ["--groups", "2", "--runs", "2"],
  ]) {
    const e = await zswap(["run", ...SMALL, ...extra]);
    assert.equal(e.code, 2, `${extra.join(" ")}: ${e.stderr}`);
    assert.equal(e.stdout, "");
  }
});
