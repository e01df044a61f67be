// Slots whose writes are still settling: a swap-out waits for one, and never for ever.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryDevice } from "../../src/device/index.ts";
import type { ZswapError } from "../../src/errors.ts";
import { PAGE_SIZE, type SwapSlot, SwapSpace } from "../../src/index.ts";
import { BusySlots } from "../../src/swap/busy-slots.ts";
import type { SwapOffset } from "../../src/types.ts";

/** A memory device whose writes land only when released. */
class GatedDevice extends MemoryDevice {
  private readonly held: (() => void)[] = [];
  override write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    const done = super.write(slot, page);
    return new Promise<void>((resolve) => this.held.push(resolve)).then(() => done);
  }
  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }
}

/**
 * A page of text, different for each n: 9 bytes repeated, so not one repeated 8-byte value
 * (which would take no slot's I/O: a same-filled page).
 */
function textPage(n: number): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  new TextEncoder().encodeInto(`page ${n}; `.repeat(PAGE_SIZE / 8), page);
  return page;
}

/** Settles `p`, or says it did not within `turns` turns of the event loop. */
async function settledWithin<T>(
  p: Promise<T>,
  turns: number,
): Promise<PromiseSettledResult<T> | "pending"> {
  let result: PromiseSettledResult<T> | "pending" = "pending";
  void p.then(
    (value) => {
      result = { status: "fulfilled", value };
    },
    (reason: unknown) => {
      result = { status: "rejected", reason };
    },
  );
  for (let i = 0; i < turns && result === "pending"; i++) await new Promise((r) => setImmediate(r));
  return result;
}

describe("slots settling", () => {
  it("swap-outs waiting for a slot get one each as writes settle, and the rest ZSWAP_E_FULL", async () => {
    const dev = new GatedDevice({ slots: 4 });
    const s = await SwapSpace.open({ slots: 4, device: dev, zswap: false, threads: 0 });
    const slots: SwapSlot[] = [];
    for (let i = 0; i < 4; i++) slots.push(await s.swapOut(textPage(40 + i)));
    s.free(slots[0]!); // their writes are still in flight: not handed out before they land
    s.free(slots[1]!);
    const waiting = [0, 1, 2].map((i) => s.swapOut(textPage(50 + i)));
    assert.equal(await settledWithin(Promise.race(waiting), 20), "pending");
    dev.release();
    const results = await Promise.all(waiting.map((p) => settledWithin(p, 200)));
    const got = results.filter((r) => r !== "pending" && r.status === "fulfilled");
    const full = results.filter(
      (r) =>
        r !== "pending" &&
        r.status === "rejected" &&
        (r.reason as ZswapError).code === "ZSWAP_E_FULL",
    );
    assert.equal(got.length, 2, JSON.stringify(results));
    assert.equal(full.length, 1, "the third finds the space full instead of waiting for ever");
    dev.release();
    await s.close();
  });
});

describe("busy slots", () => {
  it("count the I/O in flight per slot: a bit for one, more for a slot read several times at once", () => {
    const busy = new BusySlots(100);
    busy.add(33);
    busy.add(33);
    busy.add(33);
    busy.add(34);
    assert.ok(busy.has(33) && busy.has(34) && !busy.has(32) && !busy.has(35));
    assert.equal(busy.drop(33), false);
    assert.equal(busy.drop(34), true);
    assert.equal(busy.drop(33), false);
    assert.ok(busy.has(33) && !busy.has(34));
    assert.equal(busy.drop(33), true, "the third drop ends it");
    assert.ok(!busy.has(33));
  });
});
