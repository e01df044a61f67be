import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { PAGE_SIZE } from "../../src/constants.ts";
import {
  FaultyDevice,
  type FaultyDeviceOptions,
  type LatencyModel,
  MemoryDevice,
} from "../../src/device/index.ts";
import { ZswapArgumentError, ZswapIOError, ZswapStateError } from "../../src/errors.ts";
import { Random } from "../../src/random.ts";
import { pageIsFilled, pageMake, rejection, rejectsWith, roundTripCheck, slot } from "./helpers.ts";

function faulty(slots: number, options: FaultyDeviceOptions) {
  const inner = new MemoryDevice({ slots });
  return { inner, device: new FaultyDevice(inner, options) };
}

/** Asserts a ZswapIOError with `errno` and returns it. */
async function ioRejects(promise: Promise<unknown>, errno: string): Promise<ZswapIOError> {
  const error = await rejection(promise);
  assert.ok(error instanceof ZswapIOError, `${error.name}: ${error.message}`);
  assert.equal(error.code, "ZSWAP_E_IO");
  assert.equal(error.errno, errno, error.message);
  return error;
}

function digest(page: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of page) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/**
 * 400 mixed reads and writes in batches of 8 at once (distinct slots within a batch), logging
 * each outcome: "ok", the errno, and for reads a digest of the bytes read.
 */
async function outcomesLog(options: FaultyDeviceOptions): Promise<string[]> {
  const { device } = faulty(64, options);
  const ops = new Random(99);
  const log: string[] = [];
  for (let batch = 0; batch < 50; batch++) {
    const start = ops.below(64);
    const calls = Array.from({ length: 8 }, (_, n) => {
      const target = slot((start + n * 7) % 64);
      if (ops.chance(0.5)) {
        return device.write(target, pageMake(batch * 8 + n)).then(() => "write ok");
      }
      const into = new Uint8Array(PAGE_SIZE);
      return device.read(target, into).then(() => `read ${digest(into)}`);
    });
    for (const outcome of await Promise.allSettled(calls)) {
      log.push(
        outcome.status === "fulfilled" ? outcome.value : (outcome.reason as ZswapIOError).errno!,
      );
    }
    if (batch === 30) device.heal();
  }
  const counters = device.counters;
  log.push(JSON.stringify(counters));
  await device.close();
  return log;
}

describe("FaultyDevice", () => {
  test("with every rate 0 it is transparent", async () => {
    const { device } = faulty(100, { seed: 7 });
    const calls = await roundTripCheck(device, 50, 5);
    const counters = device.counters;
    assert.equal(
      counters.readErrors + counters.writeErrors + counters.tornWrites + counters.nospc,
      0,
    );
    assert.equal(counters.writes, calls.writes);
    assert.equal(counters.reads, calls.reads);
    await device.close();
  });

  test("with every rate 0 it agrees with a Map model on any sequence", async () => {
    const op = fc.record({ write: fc.boolean(), slot: fc.nat(7), seed: fc.nat(1000) });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.integer(), async (ops, seed) => {
        const { device } = faulty(8, { seed, readErrorRate: 0, writeErrorRate: 0 });
        const model = new Map<number, Uint8Array>();
        const into = new Uint8Array(PAGE_SIZE);
        for (const { write, slot: target, seed: pageSeed } of ops) {
          if (write) {
            await device.write(slot(target), pageMake(pageSeed));
            model.set(target, pageMake(pageSeed));
          } else {
            await device.read(slot(target), into);
            assert.deepEqual(into, model.get(target) ?? new Uint8Array(PAGE_SIZE));
          }
        }
        await device.close();
      }),
      { numRuns: 50 },
    );
  });

  test("the same seed and calls give the same faults; another seed gives others", async () => {
    const options = {
      seed: 1234,
      readErrorRate: 0.1,
      writeErrorRate: 0.1,
      tornWriteRate: 0.1,
      nospcAfterWrites: 60,
    };
    const first = await outcomesLog(options);
    const again = await outcomesLog(options);
    assert.deepEqual(again, first);
    for (const errno of ["EIO", "ENOSPC"]) assert.ok(first.includes(errno), `${errno} happened`);
    const counters = JSON.parse(first.at(-1)!);
    for (const kind of ["readErrors", "writeErrors", "tornWrites", "nospc"]) {
      assert.ok(counters[kind] > 0, `${kind} moved: ${first.at(-1)}`);
    }
    const other = await outcomesLog({ ...options, seed: 4321 });
    assert.notDeepEqual(other, first);
  });

  test("latency does not change which faults happen, even as completions reorder", async () => {
    const options = { seed: 77, readErrorRate: 0.2, writeErrorRate: 0.1, tornWriteRate: 0.1 };
    const still = await outcomesLog(options);
    const slow = await outcomesLog({
      ...options,
      latency: { kind: "uniform", minUs: 0, maxUs: 300 },
    });
    assert.deepEqual(slow, still);
  });

  test("a failed read rejects with EIO and reads nothing", async () => {
    const { inner, device } = faulty(4, { seed: 1, readErrorRate: 1 });
    await inner.write(slot(2), pageMake(8));
    const into = new Uint8Array(PAGE_SIZE).fill(0xab);
    const error = await ioRejects(device.read(slot(2), into), "EIO");
    assert.match(error.message, /seed 1/);
    assert.ok(pageIsFilled(into, 0xab), "into is untouched");
    assert.deepEqual(device.counters, {
      reads: 1,
      writes: 0,
      readErrors: 1,
      writeErrors: 0,
      tornWrites: 0,
      nospc: 0,
    });
  });

  test("a failed write rejects with EIO and leaves the slot untouched", async () => {
    const { inner, device } = faulty(4, { seed: 2, writeErrorRate: 1 });
    await inner.write(slot(1), new Uint8Array(PAGE_SIZE).fill(0x55));
    await ioRejects(device.write(slot(1), new Uint8Array(PAGE_SIZE).fill(0xaa)), "EIO");
    const into = new Uint8Array(PAGE_SIZE);
    await inner.read(slot(1), into);
    assert.ok(pageIsFilled(into, 0x55));
    assert.equal(device.counters.writeErrors, 1);
    assert.equal(device.counters.writes, 1);
  });

  test("a torn write leaves a whole number of sectors of the new page, then rejects", async () => {
    const { inner, device } = faulty(4, { seed: 3, tornWriteRate: 1 });
    const torn = new Set<number>();
    for (let n = 0; n < 40; n++) {
      await inner.write(slot(3), new Uint8Array(PAGE_SIZE).fill(0x55));
      await ioRejects(device.write(slot(3), new Uint8Array(PAGE_SIZE).fill(0xaa)), "EIO");
      const into = new Uint8Array(PAGE_SIZE);
      await inner.read(slot(3), into);
      const newBytes = into.indexOf(0x55);
      assert.ok(newBytes > 0 && newBytes < PAGE_SIZE, `some but not all new: ${newBytes}`);
      assert.equal(newBytes % 512, 0, "torn at a sector boundary");
      assert.ok(pageIsFilled(into.subarray(0, newBytes), 0xaa), "the new part is the new page");
      assert.ok(pageIsFilled(into.subarray(newBytes), 0x55), "the rest is the old page");
      torn.add(newBytes);
    }
    assert.ok(torn.size >= 4, `tears at several points: ${[...torn]}`);
    assert.equal(device.counters.tornWrites, 40);
  });

  test("ENOSPC starts after N successful writes and stops after heal()", async () => {
    const { inner, device } = faulty(8, { seed: 4, nospcAfterWrites: 3 });
    for (let n = 0; n < 3; n++) await device.write(slot(n), pageMake(n));
    await ioRejects(device.write(slot(3), pageMake(3)), "ENOSPC");
    await ioRejects(device.write(slot(0), pageMake(9)), "ENOSPC");
    assert.equal(device.counters.nospc, 2);
    const into = new Uint8Array(PAGE_SIZE);
    await inner.read(slot(0), into);
    assert.deepEqual(into, pageMake(0), "a refused write leaves the slot untouched");
    await device.read(slot(1), into);
    assert.deepEqual(into, pageMake(1), "reads still work when full");
    device.heal();
    await device.write(slot(3), pageMake(3));
    await device.read(slot(3), into);
    assert.deepEqual(into, pageMake(3));
    assert.equal(device.counters.nospc, 2);
    assert.equal(device.counters.writes, 6);
  });

  test("a fixed 2 ms latency makes 10 sequential reads take at least ~18 ms", async () => {
    const { device } = faulty(2, { seed: 5, latency: { kind: "fixed", us: 2000 } });
    const into = new Uint8Array(PAGE_SIZE);
    const start = performance.now();
    for (let n = 0; n < 10; n++) await device.read(slot(0), into);
    const elapsedMs = performance.now() - start;
    assert.ok(elapsedMs >= 18, `took ${elapsedMs.toFixed(2)} ms`);
  });

  test("describe states the seed, the rates and the inner device", () => {
    const { device } = faulty(4, {
      seed: 42,
      readErrorRate: 0.01,
      tornWriteRate: 0.002,
      nospcAfterWrites: 10,
      latency: { kind: "lognormal", medianUs: 80, sigma: 0.5 },
    });
    for (const part of [
      "seed 42",
      "readErrorRate 0.01",
      "writeErrorRate 0",
      "tornWriteRate 0.002",
      "ENOSPC after 10 writes",
      "lognormal median 80 µs sigma 0.5",
      "over memory (4 slots",
    ]) {
      assert.ok(device.describe.includes(part), `${part} in ${device.describe}`);
    }
  });

  test("bad arguments are refused before any fault is drawn; bad options are ZSWAP_E_OPTION", async () => {
    const { device } = faulty(4, { seed: 6, readErrorRate: 1, writeErrorRate: 1 });
    await rejectsWith(device.write(slot(4), pageMake(1)), ZswapArgumentError, "ZSWAP_E_OFFSET");
    await rejectsWith(
      device.read(slot(0), new Uint8Array(10)),
      ZswapArgumentError,
      "ZSWAP_E_PAGE_SIZE",
    );
    assert.equal(device.counters.reads + device.counters.writes, 0);
    const inner = new MemoryDevice({ slots: 4 });
    const badOptions: FaultyDeviceOptions[] = [
      { seed: 1.5 },
      { seed: 1, readErrorRate: 1.5 },
      { seed: 1, writeErrorRate: -0.1 },
      { seed: 1, tornWriteRate: Number.NaN },
      { seed: 1, nospcAfterWrites: -1 },
      { seed: 1, latency: { kind: "fixed", us: -1 } },
      { seed: 1, latency: { kind: "uniform", minUs: 5, maxUs: 1 } },
      { seed: 1, latency: { kind: "lognormal", medianUs: 0, sigma: 1 } },
      { seed: 1, latency: { kind: "bogus" } as unknown as LatencyModel },
      { seed: 1, clock: {} as never },
    ];
    for (const options of badOptions) {
      assert.throws(() => new FaultyDevice(inner, options), { code: "ZSWAP_E_OPTION" });
    }
    // An inner device that is not one was taken, and failed at its first read with a TypeError.
    for (const notDevice of [{ slots: 4 }, null, "memory"]) {
      const make = () => new FaultyDevice(notDevice as never, { seed: 1 });
      assert.throws(make, { code: "ZSWAP_E_OPTION" });
    }
  });

  test("close waits for I/O in flight, closes the inner device, then refuses I/O", async () => {
    const { inner, device } = faulty(4, { seed: 8, latency: { kind: "fixed", us: 3000 } });
    const writing = device.write(slot(0), pageMake(1));
    const closed = device.close();
    await rejectsWith(device.write(slot(1), pageMake(2)), ZswapStateError, "ZSWAP_E_CLOSED");
    await writing;
    await closed;
    const into = new Uint8Array(PAGE_SIZE);
    await rejectsWith(device.read(slot(0), into), ZswapStateError, "ZSWAP_E_CLOSED");
    await rejectsWith(inner.read(slot(0), into), ZswapStateError, "ZSWAP_E_CLOSED");
  });
});
