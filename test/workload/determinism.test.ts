// A seed fixes a run: on the simulated memory device (virtual time, no real I/O), the same seed
// gives the same counters and series, in process and through the command.

import assert from "node:assert/strict";
import { test } from "node:test";
import { type RunArgs, runArgsParse } from "../../src/cli/run.ts";
import { planMake, type RunReport } from "../../src/workload/plan.ts";
import { type ConfigResult, runConfig } from "../../src/workload/run.ts";
import { ok, zswap } from "../cli/zswap.ts";

const ARGS = ["--device", "memory", "--pages-from", "generated", "--working-set", "512p"];

/** What a seed must fix: everything but wall-clock time and what is measured in it. */
function fixed(r: ConfigResult) {
  const { seconds, accessesPerSecond, swapInLatencyUs, series, ...rest } = r;
  const { seconds: _s, swapInP50Us: _p, ...points } = series;
  return { ...rest, points };
}

test("runConfig twice with one seed: the same counters and series, for every configuration", async () => {
  const args = runArgsParse([...ARGS, "--accesses", "20000", "--device-latency", "ssd"]) as RunArgs;
  const { spec } = await planMake(args.request);
  for (const name of ["writeback", "best"] as const) {
    const first = await runConfig(spec, name);
    const second = await runConfig(spec, name);
    assert.ok(first.counters.zswpwb! > 0, `${name} wrote back`);
    assert.deepEqual(fixed(second), fixed(first), name);
  }
});

test("zswap run --device memory twice with one seed: the same results; another seed differs", async () => {
  const run = async (seed: string) => {
    const argv = ["run", ...ARGS, "--accesses", "5000", "--seed", seed, "--json"];
    return (JSON.parse(ok(await zswap(argv)).stdout) as RunReport).results.map(fixed);
  };
  const [a, b, c] = await Promise.all([run("7"), run("7"), run("8")]);
  assert.deepEqual(b, a);
  assert.notDeepEqual(c, a);
});
