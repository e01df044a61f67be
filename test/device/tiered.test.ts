// TieredDevice: a small upper device whose oldest pages migrate to a larger lower one. Rounds
// of concurrent reads and writes on distinct slots, over devices with random latency so that
// migrations interleave with them; a lower device that fails; and the file over a real Redis.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PAGE_SIZE } from "../../src/constants.ts";
import {
  FaultyDevice,
  FileDevice,
  MemoryDevice,
  RedisDevice,
  type SwapDevice,
  TieredDevice,
} from "../../src/device/index.ts";
import { ZswapArgumentError } from "../../src/errors.ts";
import { Random } from "../../src/random.ts";
import { SwapSpace } from "../../src/swap/index.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { RedisServer, redisInstalled } from "../redis-server.ts";
import { pageMake, slot } from "./helpers.ts";

const skip = (await redisInstalled()) ? false : "redis-server is not installed";

const jittery = (inner: SwapDevice, seed: number) =>
  new FaultyDevice(inner, { seed, latency: { kind: "uniform", minUs: 0, maxUs: 300 } });

/**
 * `rounds` rounds of up to `width` operations at once on distinct slots (a write of a new page,
 * or a read checked against the last page written, zeros if none), then every slot read back.
 * Resolves to the writes that failed (their slots are then unspecified, and left out).
 */
async function roundsCheck(
  device: SwapDevice,
  options: { rounds: number; width: number; seed: number; writesMayFail?: boolean },
): Promise<number> {
  const random = new Random(options.seed);
  const model = new Map<number, Uint8Array>();
  let failed = 0;
  for (let round = 0; round < options.rounds; round++) {
    const slots = new Set<number>();
    while (slots.size < options.width) slots.add(random.below(device.slots));
    await Promise.all(
      [...slots].map(async (s) => {
        if (random.chance(0.5)) {
          const page = pageMake(round * 1000 + s);
          try {
            await device.write(slot(s), page);
            model.set(s, page);
          } catch (error) {
            if (!options.writesMayFail) throw error;
            model.delete(s);
            failed++;
          }
          return;
        }
        const into = new Uint8Array(PAGE_SIZE).fill(0xee);
        const wasWritten = model.get(s);
        await device.read(slot(s), into);
        if (wasWritten !== undefined)
          assert.deepEqual(into, wasWritten, `round ${round}, slot ${s}`);
      }),
    );
  }
  const into = new Uint8Array(PAGE_SIZE);
  for (const [s, page] of model) {
    await device.read(slot(s), into);
    assert.deepEqual(into, page, `slot ${s} at the end`);
  }
  return failed;
}

describe("TieredDevice", () => {
  test("an upper device as large as the lower is refused", () => {
    const make = () =>
      new TieredDevice(new MemoryDevice({ slots: 8 }), new MemoryDevice({ slots: 8 }));
    assert.throws(make, ZswapArgumentError);
  });

  test("a device that is not one, above or below, is refused (a TypeError, or taken, before)", () => {
    const lower = new MemoryDevice({ slots: 8 });
    for (const [upper, under] of [
      [undefined, lower],
      [{ slots: 4 }, lower],
      [new MemoryDevice({ slots: 4 }), {}],
      [new MemoryDevice({ slots: 4 }), null],
    ]) {
      assert.throws(() => new TieredDevice(upper as never, under as never), ZswapArgumentError);
    }
  });

  test("concurrent reads and writes while the oldest pages migrate: every read is right", async () => {
    const upper = jittery(new MemoryDevice({ slots: 32 }), 1);
    const lower = jittery(new MemoryDevice({ slots: 512 }), 2);
    const tier = new TieredDevice(upper, lower);
    try {
      await roundsCheck(tier, { rounds: 300, width: 12, seed: 3 });
      const { migrated, writtenAround, upperResident } = tier.counters;
      assert.ok(migrated > 0, "pages migrated");
      assert.ok(writtenAround > 0, "a full upper device sent writes straight down");
      assert.ok(upperResident <= 32);
    } finally {
      await tier.close();
    }
  });

  test("a lower device that fails: migrations fail and retry, nothing is lost", async () => {
    const lower = new FaultyDevice(new MemoryDevice({ slots: 256 }), {
      seed: 4,
      writeErrorRate: 0.3,
    });
    const tier = new TieredDevice(jittery(new MemoryDevice({ slots: 16 }), 5), lower);
    try {
      await roundsCheck(tier, { rounds: 200, width: 8, seed: 6, writesMayFail: true });
      assert.ok(tier.counters.migrateFailed > 0, "some migrations failed");
      assert.ok(tier.counters.migrated > 0, "and others went through");
    } finally {
      await tier.close();
    }
  });

  test("zswap, then a swap file, then Redis: a SwapSpace's pages all come back", {
    skip,
  }, async () => {
    const server = await RedisServer.start();
    const tier = new TieredDevice(
      await FileDevice.open({ slots: 64 }),
      await RedisDevice.open({ slots: 512, url: server.url }),
    );
    try {
      const space = await SwapSpace.open({
        slots: 512,
        device: tier,
        zswap: { maxPoolBytes: 32 * PAGE_SIZE, compressor: "lz4" },
      });
      const random = new Random(7);
      const pages = generatePages(400, 7);
      const slots = [];
      for (const page of pages) slots.push(await space.swapOut(page));
      const into = new Uint8Array(PAGE_SIZE);
      for (let n = 0; n < 1000; n++) {
        const i = random.below(pages.length);
        await space.swapIn(slots[i]!, into);
        assert.deepEqual(into, pages[i], `page ${i}`);
      }
      assert.ok(space.stats().zswpwb! > 0, "zswap wrote back to the tier");
      assert.ok(tier.counters.migrated > 0, "the file's oldest pages went to Redis");
      await space.close();
      await tier.close();
      assert.equal((await server.cli("DBSIZE")).trim(), "0", "Redis keys removed");
    } finally {
      await tier.close().catch(() => {});
      await server.stop();
    }
  });
});
