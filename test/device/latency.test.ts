import assert from "node:assert/strict";
import { test } from "node:test";
import { DEVICE_LATENCY_US_MAX } from "../../src/constants.ts";
import {
  LATENCY_PRESETS,
  type LatencyModel,
  latencyDrawUs,
  latencyWait,
} from "../../src/device/index.ts";
import { Random } from "../../src/random.ts";

function draws(model: LatencyModel, count: number, seed = 1): number[] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => latencyDrawUs(model, random));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

test("fixed and uniform draws stay in their range and spread over it", () => {
  assert.ok(draws({ kind: "fixed", us: 250 }, 100).every((us) => us === 250));
  const uniform = draws({ kind: "uniform", minUs: 100, maxUs: 200 }, 2000);
  assert.ok(uniform.every((us) => us >= 100 && us <= 200));
  assert.ok(Math.min(...uniform) < 105 && Math.max(...uniform) > 195);
});

test("lognormal presets have their stated medians and a tail to the right", () => {
  for (const [name, model] of Object.entries(LATENCY_PRESETS)) {
    const sample = draws(model, 4001, 3);
    const observed = median(sample);
    assert.ok(Math.abs(observed / model.medianUs - 1) < 0.05, `${name}: median ${observed}`);
    const sorted = [...sample].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)]!;
    const expectedP99 = model.medianUs * Math.exp(2.326 * model.sigma);
    assert.ok(Math.abs(p99 / expectedP99 - 1) < 0.15, `${name}: p99 ${p99} vs ${expectedP99}`);
  }
  assert.ok(LATENCY_PRESETS.nvme.medianUs < LATENCY_PRESETS.ssd.medianUs);
  assert.ok(LATENCY_PRESETS.ssd.medianUs < LATENCY_PRESETS.hdd.medianUs);
});

test("draws are clamped to DEVICE_LATENCY_US_MAX", () => {
  const wild = draws({ kind: "lognormal", medianUs: DEVICE_LATENCY_US_MAX, sigma: 4 }, 500);
  assert.ok(wild.every((us) => us >= 0 && us <= DEVICE_LATENCY_US_MAX));
  assert.ok(wild.includes(DEVICE_LATENCY_US_MAX), "some draws hit the clamp");
});

test("every model takes the same count of random numbers", () => {
  const models: LatencyModel[] = [
    { kind: "fixed", us: 1 },
    { kind: "uniform", minUs: 0, maxUs: 9 },
    LATENCY_PRESETS.hdd,
  ];
  const next = models.map((model) => {
    const random = new Random(11);
    for (let n = 0; n < 5; n++) latencyDrawUs(model, random);
    return random.u32();
  });
  assert.equal(new Set(next).size, 1);
});

test("latencyWait waits at least the time asked, below and above 1 ms", async () => {
  for (const us of [150, 800, 1500, 3200]) {
    const start = process.hrtime.bigint();
    await latencyWait(us);
    const waitedUs = Number(process.hrtime.bigint() - start) / 1000;
    assert.ok(waitedUs >= us, `asked ${us} µs, waited ${waitedUs} µs`);
  }
  let settled = false;
  const zero = latencyWait(0).then(() => {
    settled = true;
  });
  await zero;
  assert.equal(settled, true);
});
