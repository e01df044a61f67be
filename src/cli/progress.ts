// The terminal's progress line: which configuration of how many, which run, how far, how long so
// far and about how long is left (the time so far, scaled by the share of accesses still to run).

import type { RunStep } from "../workload/repeat.ts";

/** 75 s as "1m15s", 9 s as "9s". */
function durationFormat(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/**
 * The line for `step` with `done` of its `accesses` done, `elapsedMs` since the first step began;
 * `configs` and `runs` (measured; warmup runs say so) are the plan's.
 */
export function progressLine(
  step: RunStep,
  label: string,
  plan: { configs: readonly unknown[]; runs: number },
  done: number,
  accesses: number,
  elapsedMs: number,
): string {
  const fraction = (step.step + Math.min(1, done / accesses)) / step.steps;
  const run = step.run === 0 ? "warmup run" : `run ${step.run} of ${plan.runs}`;
  const left =
    fraction > 0 ? `about ${durationFormat((elapsedMs * (1 - fraction)) / fraction)} left` : "";
  return [
    `configuration ${step.configIndex + 1} of ${plan.configs.length} (${label}), ${run}: ${Math.floor((100 * done) / accesses)}%`,
    `${durationFormat(elapsedMs)} elapsed`,
    left,
  ]
    .filter((part) => part !== "")
    .join(", ");
}
