// Simulated device latency: a distribution to draw from, and a real wait on the event loop.

import { setImmediate as immediateAwait, setTimeout as timeoutAwait } from "node:timers/promises";
import { DEVICE_LATENCY_US_MAX } from "../constants.ts";
import { ZswapOptionError } from "../errors.ts";
import type { Random } from "../random.ts";

/** How long one I/O takes, in microseconds; draws are clamped to 0..DEVICE_LATENCY_US_MAX. */
export type LatencyModel =
  | { readonly kind: "fixed"; readonly us: number }
  | { readonly kind: "uniform"; readonly minUs: number; readonly maxUs: number }
  /** exp(N(ln medianUs, sigma^2)): half the I/Os are faster than medianUs, with a long tail. */
  | { readonly kind: "lognormal"; readonly medianUs: number; readonly sigma: number };

/**
 * Latencies of one 4 KiB random I/O at queue depth 1, modelled from the usual orders of magnitude
 * of each kind of device, not measured on any machine:
 * - nvme: median 20 µs, sigma 0.3 (p99 ~40 µs)
 * - ssd (SATA): median 80 µs, sigma 0.5 (p99 ~255 µs)
 * - hdd (7200 rpm, seek plus half a rotation): median 5000 µs, sigma 0.6 (p99 ~20 ms)
 */
export const LATENCY_PRESETS = {
  nvme: { kind: "lognormal", medianUs: 20, sigma: 0.3 },
  ssd: { kind: "lognormal", medianUs: 80, sigma: 0.5 },
  hdd: { kind: "lognormal", medianUs: 5000, sigma: 0.6 },
} as const satisfies Record<string, LatencyModel>;

/** Throws ZSWAP_E_OPTION unless `model` is a well-formed latency model. */
export function latencyModelCheck(model: LatencyModel): void {
  const bad = (why: string) => new ZswapOptionError(`latency ${JSON.stringify(model)}: ${why}`);
  const inRange = (us: unknown) =>
    typeof us === "number" && Number.isFinite(us) && us >= 0 && us <= DEVICE_LATENCY_US_MAX;
  if (typeof model !== "object" || model === null) throw bad("not a latency model");
  switch (model.kind) {
    case "fixed":
      if (!inRange(model.us)) throw bad(`us must be in 0..${DEVICE_LATENCY_US_MAX}`);
      return;
    case "uniform":
      if (!inRange(model.minUs) || !inRange(model.maxUs) || model.minUs > model.maxUs) {
        throw bad(`need 0 <= minUs <= maxUs <= ${DEVICE_LATENCY_US_MAX}`);
      }
      return;
    case "lognormal":
      if (!inRange(model.medianUs) || model.medianUs === 0) {
        throw bad(`medianUs must be in (0, ${DEVICE_LATENCY_US_MAX}]`);
      }
      if (typeof model.sigma !== "number" || !(model.sigma >= 0 && model.sigma <= 4)) {
        throw bad("sigma must be in 0..4");
      }
      return;
    default:
      throw bad("kind must be fixed, uniform or lognormal");
  }
}

/**
 * One latency in microseconds drawn from `model`. Takes exactly two numbers from `random` whatever
 * the model, so the draws after it do not depend on which model was chosen.
 */
export function latencyDrawUs(model: LatencyModel, random: Random): number {
  const u1 = random.next();
  const u2 = random.next();
  let us: number;
  switch (model.kind) {
    case "fixed":
      us = model.us;
      break;
    case "uniform":
      us = model.minUs + u1 * (model.maxUs - model.minUs);
      break;
    case "lognormal": {
      // Box-Muller: 1 - u1 is in (0, 1], so the logarithm is finite.
      const normal = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
      us = model.medianUs * Math.exp(model.sigma * normal);
      break;
    }
  }
  return Math.min(Math.max(us, 0), DEVICE_LATENCY_US_MAX);
}

/**
 * Waits at least `us` microseconds of real (monotonic) time without blocking the event loop.
 * Whole milliseconds are waited with setTimeout; the rest, and any early timer, by yielding with
 * setImmediate until process.hrtime says the time has passed. Resolution is one event-loop turn
 * (microseconds when idle, more when busy), so a wait is never shorter than asked and may be
 * longer; below 1 ms the wait keeps the loop spinning (it costs CPU, as a simulation may).
 * 0 µs does not wait at all.
 */
export async function latencyWait(us: number): Promise<void> {
  if (!(us > 0)) return;
  const deadlineNs = process.hrtime.bigint() + BigInt(Math.ceil(us * 1000));
  for (;;) {
    const remainingNs = deadlineNs - process.hrtime.bigint();
    if (remainingNs <= 0n) return;
    if (remainingNs >= 1_000_000n) await timeoutAwait(Number(remainingNs / 1_000_000n));
    else await immediateAwait();
  }
}

/** The model in words, for describe strings. */
export function latencyDescribe(model: LatencyModel): string {
  switch (model.kind) {
    case "fixed":
      return `fixed ${model.us} µs`;
    case "uniform":
      return `uniform ${model.minUs}..${model.maxUs} µs`;
    case "lognormal":
      return `lognormal median ${model.medianUs} µs sigma ${model.sigma}`;
  }
}
