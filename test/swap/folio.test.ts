// Large folios through SwapSpace (swapOutFolio): consecutive aligned slots, zswap whole or the
// device, all or none when the device fails, the split when no run of slots is free, the
// per-size counters in folioStats and the Prometheus export; and swapInMany without a promise
// per page. Generated pages, seeded.

import assert from "node:assert/strict";
import { createHook } from "node:async_hooks";
import { describe, it } from "node:test";
import { PAGE_SIZE } from "../../src/constants.ts";
import { FaultyDevice, MemoryDevice, type SwapDevice } from "../../src/device/index.ts";
import { type ZswapError, ZswapIOError } from "../../src/errors.ts";
import { Random } from "../../src/random.ts";
import {
  metricsText,
  type SwapSlot,
  SwapSpace,
  type SwapSpaceOptions,
} from "../../src/swap/index.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { storablePages } from "../pages.ts";

/** Generated pages zswap takes. */
const pages = storablePages(generatePages(1200, 17));

function randomPage(seed: number): Uint8Array {
  const r = new Random(seed);
  return Uint8Array.from({ length: PAGE_SIZE }, () => r.below(256));
}

function open(slots: number, more: Partial<SwapSpaceOptions> = {}): Promise<SwapSpace> {
  return SwapSpace.open({
    slots,
    device: new MemoryDevice({ slots }),
    zswap: { maxPoolBytes: 1024 * PAGE_SIZE, compressor: "lz4" },
    ...more,
  });
}

async function readBack(space: SwapSpace, slots: readonly SwapSlot[], want: Uint8Array[]) {
  const into = new Uint8Array(PAGE_SIZE);
  for (const [i, slot] of slots.entries()) {
    await space.swapIn(slot, into);
    assert.deepEqual(into, want[i], `slot ${slot}`);
  }
}

const code = (c: string) => (err: unknown) => (err as ZswapError).code === c;

describe("SwapSpace large folios", () => {
  it("swaps a folio out to consecutive aligned slots, stored whole in zswap", async () => {
    const space = await open(256);
    await space.swapOut(pages[0]!); // slot 0 taken: the folio's run starts further on
    const folio = pages.slice(1, 17);
    const slots = await space.swapOutFolio(folio);
    assert.equal(slots.length, 16);
    assert.equal(slots[0]! % 16, 0);
    assert.ok(slots[0]! > 0);
    assert.deepEqual(
      slots,
      folio.map((_, i) => slots[0]! + i),
    );
    const s = space.stats();
    assert.equal(s.zswpout, 17);
    assert.equal(s.pswpout, 0);
    assert.deepEqual(space.folioStats()["64kB"], { zswpout: 1, swpout: 0, swpout_fallback: 0 });
    await readBack(space, slots, folio);
    await space.close();
  });

  it("without zswap, or when zswap declines, the device takes the folio whole (swpout)", async () => {
    for (const zswap of [false, undefined] as const) {
      const space = await open(64, zswap === false ? { zswap } : {});
      const folio = Array.from({ length: 8 }, (_, i) => randomPage(i + 1)); // lz4 declines these
      const slots = await space.swapOutFolio(folio);
      await space.flush();
      const s = space.stats();
      assert.equal(s.pswpout, 8);
      assert.equal(s.zswpout ?? 0, 0);
      assert.equal(space.folioStats()["32kB"]!.swpout, 1);
      await readBack(space, slots, folio);
      await space.close();
    }
  });

  it("a folio of same-filled pages takes no storage", async () => {
    const space = await open(64);
    const folio = Array.from({ length: 4 }, (_, i) =>
      new Uint8Array(PAGE_SIZE).fill(i === 1 ? 7 : 0),
    );
    const slots = await space.swapOutFolio(folio);
    const s = space.stats();
    assert.equal(s.swpout_zero, 3);
    assert.equal(s.swpout_same, 1);
    assert.equal(s.stored_pages, 0);
    await readBack(space, slots, folio);
    await space.close();
  });

  it("with no aligned run of free slots the folio is split (swpout_fallback), nothing lost", async () => {
    const space = await open(64);
    const all = await space.swapOutMany(pages.slice(0, 64));
    for (const slot of all) if (slot % 16 !== 0) space.free(slot); // one slot of every run held
    const folio = pages.slice(100, 116);
    const slots = await space.swapOutFolio(folio);
    assert.equal(new Set(slots).size, 16);
    assert.deepEqual(space.folioStats()["64kB"], { zswpout: 0, swpout: 0, swpout_fallback: 1 });
    await readBack(space, slots, folio);
    await space.close();
  });

  it("a device that fails mid-folio: every slot given back, the error typed", async () => {
    const slots = 512;
    const device = new FaultyDevice(new MemoryDevice({ slots }), { seed: 3, writeErrorRate: 1 });
    const space = await SwapSpace.open({ slots, device, zswap: false });
    // More pages than write-behind buffers: the first go behind and fail, the rest through.
    const folio = Array.from({ length: 128 }, (_, i) => randomPage(1000 + i));
    await assert.rejects(space.swapOutFolio(folio), ZswapIOError);
    await space.flush();
    const s = space.stats();
    assert.equal(s.swap_slots_used, 0);
    assert.equal(s.swap_cache_pages, 0);
    assert.equal(space.folioStats()["512kB"]!.swpout, 0);
    await space.close();
  });

  it("with the group's writeback off, a folio zswap declines fails whole (ZSWAP_E_FULL)", async () => {
    const zswap = new Zswap({ maxPoolBytes: 1024 * PAGE_SIZE, compressor: "lz4" });
    zswap.groupAdd("nowb", { writeback: false, maxBytes: 8 * 1024 });
    const space = await open(64, { zswap, group: "nowb" });
    await assert.rejects(space.swapOutFolio(pages.slice(0, 32)), code("ZSWAP_E_FULL"));
    const s = space.stats();
    assert.equal(s.swap_slots_used, 0);
    assert.equal(s.stored_pages, 0);
    assert.equal(s.group_limit_hit, 1);
    await space.close();
  });

  it("refuses bad folios with a typed error, nothing changed; a closed space says so", async () => {
    const space = await open(64);
    for (const bad of [pages.slice(0, 3), pages.slice(0, 2), [], pages.slice(0, 6)]) {
      await assert.rejects(space.swapOutFolio(bad), code("ZSWAP_E_OPTION"));
    }
    await assert.rejects(
      space.swapOutFolio([...pages.slice(0, 3), new Uint8Array(8)]),
      code("ZSWAP_E_PAGE_SIZE"),
    );
    assert.equal(space.stats().swap_slots_used, 0);
    await space.close();
    await assert.rejects(space.swapOutFolio(pages.slice(0, 4)), code("ZSWAP_E_CLOSED"));
  });

  it("exports the per-size counters to Prometheus, labelled by size", async () => {
    const space = await open(64);
    await space.swapOutFolio(pages.slice(0, 16));
    const text = metricsText(space);
    assert.match(text, /^# TYPE zswap_mthp_zswpout_total counter$/m);
    assert.match(text, /^zswap_mthp_zswpout_total\{size="64kB"\} 1$/m);
    assert.match(text, /^zswap_mthp_swpout_fallback_total\{size="2048kB"\} 0$/m);
    const named = metricsText({ a: space });
    assert.match(named, /^zswap_mthp_zswpout_total\{space="a",size="64kB"\} 1$/m);
    assert.match(named, /^zswap_mthp_swpout_total\{space="a",size="16kB"\} 0$/m);
    await space.close();
  });
});

describe("swapInMany", () => {
  it("returns what swapIn would, from every source, and the first failure", async () => {
    const slots = 64;
    const inner = new MemoryDevice({ slots });
    const failing = new FaultyDevice(inner, { seed: 5, readErrorRate: 1 });
    let failReads = false;
    const device: SwapDevice = {
      slots,
      describe: "memory, reads failing at will",
      read: (slot, page) => (failReads ? failing : inner).read(slot, page),
      write: (slot, page) => inner.write(slot, page),
      close: () => failing.close(),
    };
    const space = await SwapSpace.open({
      slots,
      device,
      zswap: { maxPoolBytes: 64 * PAGE_SIZE, compressor: "lz4", exclusiveLoads: false },
    });
    const want = [
      new Uint8Array(PAGE_SIZE),
      new Uint8Array(PAGE_SIZE).fill(9),
      pages[0]!,
      randomPage(9),
    ];
    const out = await space.swapOutMany(want);
    await space.flush();
    const into = want.map(() => new Uint8Array(PAGE_SIZE));
    assert.deepEqual(await space.swapInMany(out, into), ["zero", "same", "zswap", "device"]);
    assert.deepEqual(into, want);
    failReads = true;
    const again = want.map(() => new Uint8Array(PAGE_SIZE));
    await assert.rejects(space.swapInMany(out, again), ZswapIOError);
    assert.deepEqual(again[2], want[2], "the pages in memory were swapped in all the same");
    assert.equal(space.stats().swap_slots_used, 4, "every slot keeps its page");
    await space.close();
  });

  it("makes no promise per page that is in memory", async () => {
    const space = await open(256, { threads: 0 }); // with threads, a page on one has its promise
    const want = pages.slice(0, 128);
    const out = await space.swapOutMany(want);
    const into = want.map(() => new Uint8Array(PAGE_SIZE));
    let promises = 0;
    const hook = createHook({
      init: (_id, type) => {
        if (type === "PROMISE") promises++;
      },
    }).enable();
    const sources = await space.swapInMany(out, into);
    hook.disable();
    assert.ok(sources.every((s) => s === "zswap"));
    assert.ok(promises < 8, `${promises} promises for 128 pages`);
    assert.deepEqual(into, want);
    await space.close();
  });
});
