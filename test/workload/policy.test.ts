// The writeback policies compared on the synthetic workloads, in simulations (memory device,
// virtual time: a seed fixes each run, so the verdicts are the same on every machine): on loops,
// where LRU writeback sends to the device the pages about to be read again, `dip` serves at least
// as many swap-ins as no writeback at all and writes no more; on recency-friendly workloads it
// stays with LRU.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runArgsParse } from "../../src/cli/run.ts";
import type { PatternName } from "../../src/workload/patterns.ts";
import { planMake } from "../../src/workload/plan.ts";
import { type ConfigName, type ConfigResult, runConfig } from "../../src/workload/run.ts";

const CONFIGS: ConfigName[] = ["zswap", "writeback", "writeback-adaptive"];

/** One workload's three configurations: 1024 pages, 128 of them resident, the default pool. */
async function compare(name: PatternName, seed: number): Promise<Record<string, ConfigResult>> {
  // As zswap run's own flags say it, so the request is the one a user would make.
  const args = runArgsParse([
    ...["--workload", name, "--working-set", "1024p", "--accesses", "20000"],
    ...["--pages-from", "generated", "--device", "memory", "--seed", String(seed)],
    ...["--configs", CONFIGS.join(",")],
  ]);
  assert.ok(args !== "help");
  const request = args.request;
  const { spec } = await planMake(request);
  const results: Record<string, ConfigResult> = {};
  for (const c of CONFIGS) results[c] = await runConfig(spec, c);
  return results;
}

const figures = (r: Record<string, ConfigResult>) =>
  CONFIGS.map((c) => `${c} ${r[c]!.zswapHitRatio.toFixed(3)} / ${r[c]!.deviceWrites}`).join(", ");

// Loops on two seeds (page contents, so compressed sizes and the pool's fragmentation, differ).
for (const seed of [1, 3]) {
  describe(`writeback policies, seed ${seed}`, () => {
    for (const name of ["scan", "loop"] as const) {
      test(`${name}: dip serves at least what no writeback serves, and writes no more`, async () => {
        const r = await compare(name, seed);
        const [none, lru, dip] = [r.zswap!, r.writeback!, r["writeback-adaptive"]!];
        assert.ok(dip.zswapHitRatio >= none.zswapHitRatio, figures(r));
        assert.ok(dip.deviceWrites <= none.deviceWrites, figures(r));
        assert.ok(dip.zswapHitRatio > lru.zswapHitRatio + 0.1, `LRU's weakness: ${figures(r)}`);
        for (const x of [none, lru, dip]) assert.equal(x.verified, x.swapIns, x.name);
      });
    }
    if (seed !== 1) return;
    for (const name of ["zipf", "shift"] as const) {
      test(`${name}: dip keeps within 0.95 of LRU's hit ratio`, async () => {
        const r = await compare(name, seed);
        const [none, lru, dip] = [r.zswap!, r.writeback!, r["writeback-adaptive"]!];
        assert.ok(dip.zswapHitRatio >= 0.95 * lru.zswapHitRatio, figures(r));
        assert.ok(lru.zswapHitRatio > none.zswapHitRatio + 0.1, `LRU's strength: ${figures(r)}`);
      });
    }
  });
}
