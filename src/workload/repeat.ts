// The runs of a comparison: every configuration once per round, in order (interleaved, so that
// a passing load on a shared machine falls on all alike), `warmup` rounds first that are not
// measured, then `runs` rounds that are. Each round has one seed for all its configurations:
// the plan's, or with varySeed the plan's plus the round's index.

import { latencyHistogram } from "./histogram.ts";
import type { RunPlan, RunResult } from "./plan.ts";
import type { ConfigName, ConfigResult, RunSpec } from "./run.ts";
import { runConfig } from "./run.ts";
import { type ConfigSummary, summarize } from "./summary.ts";

/** Where the comparison is: a configuration's run starting. */
export interface RunStep {
  config: ConfigName;
  /** 0-based index of the configuration in plan.configs. */
  configIndex: number;
  /** 1..runs for a measured run, 0 for a warmup run. */
  run: number;
  /** 0-based index of this step among all (warmup included), and how many there are. */
  step: number;
  steps: number;
  seed: number;
}

export interface RepeatedRuns {
  results: RunResult[];
  summary: ConfigSummary[];
  /** The step an abort of the signal stopped, and the signal's reason; its run is not in results. */
  stopped?: { step: RunStep; reason: unknown };
}

/** The seed of round `round` (0-based, warmup rounds first). */
export function roundSeed(plan: Pick<RunPlan, "seed" | "varySeed">, round: number): number {
  return plan.varySeed ? (plan.seed + round) % 2 ** 32 : plan.seed;
}

/**
 * Runs every round of `plan`, calling onStep as each configuration's run starts; an abort of
 * `signal` stops the run going on and ends the rest (what finished is returned, with `stopped`);
 * any other failure rejects.
 */
export async function runRepeated(
  plan: RunPlan,
  spec: Omit<RunSpec, "seed">,
  signal?: AbortSignal,
  onStep?: (step: RunStep) => void,
): Promise<RepeatedRuns> {
  const latencies = new Map(plan.configs.map((c) => [c, latencyHistogram()]));
  const results: RunResult[] = [];
  const rounds = plan.warmup + plan.runs;
  const steps = rounds * plan.configs.length;
  let stopped: RepeatedRuns["stopped"];
  for (let round = 0; round < rounds && stopped === undefined; round++) {
    const seed = roundSeed(plan, round);
    const run = round < plan.warmup ? 0 : round - plan.warmup + 1;
    for (const [configIndex, config] of plan.configs.entries()) {
      const step = {
        config,
        configIndex,
        run,
        step: round * plan.configs.length + configIndex,
        steps,
        seed,
      };
      const into = run === 0 ? undefined : latencies.get(config);
      let result: ConfigResult;
      onStep?.(step);
      try {
        result = await runConfig({ ...spec, seed }, config, signal, into);
      } catch (error) {
        if (signal?.aborted !== true || error !== signal.reason) throw error;
        stopped = { step, reason: error };
        break;
      }
      if (run > 0) results.push({ run, seed, ...result });
    }
  }
  return { results, summary: summarize(plan.configs, results, latencies), stopped };
}
