// The kernel-like driver of `zswap kernel`: the two anon LRU lists' choice of victims, and the
// driver's swap cache, in-flight swap-outs and checks, over a SwapSpace on a memory device.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PAGE_SIZE, RECLAIM_IN_FLIGHT_MAX } from "../../src/constants.ts";
import { MemoryDevice } from "../../src/device/index.ts";
import { SwapSpace, type SwapSpaceOptions } from "../../src/swap/index.ts";
import type { SwapOffset } from "../../src/types.ts";
import { AnonLru } from "../../src/workload/anon-lru.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { pattern } from "../../src/workload/patterns.ts";
import { ACCESS_WRITE, accessesEncode } from "../../src/workload/phased.ts";
import { Reclaim } from "../../src/workload/reclaim.ts";

function victims(lru: AnonLru, n: number): number[] {
  return Array.from({ length: n }, () => lru.victim(32));
}

describe("the anon LRU lists", () => {
  it("pages nobody touched again go out oldest first, each looked at once before", () => {
    const lru = new AnonLru(4);
    for (let f = 0; f < 4; f++) lru.add(f);
    assert.deepEqual(victims(lru, 5), [0, 1, 2, 3, -1]);
  });

  it("a page accessed again after reclaim looked at it is activated, and outlives the others", () => {
    const lru = new AnonLru(4);
    for (let f = 0; f < 4; f++) lru.add(f);
    assert.equal(lru.victim(32), 0, "the first pass keeps every page once, then takes the oldest");
    lru.touch(1);
    // 1 was kept once and accessed since: activated; 2 and 3 were not accessed: they go first.
    assert.deepEqual(victims(lru, 3), [2, 3, 1]);
  });

  it("the active list resists a scan: a page used all along outlives a stream of new pages", () => {
    const frames = 8;
    const lru = new AnonLru(frames);
    const hot = 0;
    for (let f = 1; f < frames; f++) lru.add(f);
    lru.add(hot);
    for (let i = 0; i < 100; i++) {
      lru.touch(hot);
      const f = lru.victim(32);
      assert.notEqual(f, hot, `the hot page went out at step ${i}`);
      lru.add(f); // the stream's next page, in the frame its victim left
    }
  });

  it("removed frames are never chosen; an empty list has no victim", () => {
    const lru = new AnonLru(3);
    for (let f = 0; f < 3; f++) lru.add(f);
    lru.remove(1);
    lru.remove(1);
    assert.deepEqual(victims(lru, 3), [0, 2, -1]);
  });
});

/** A memory device that holds writes while `held` is set, until release(). */
class GatedDevice extends MemoryDevice {
  held = false;
  writes = 0;
  readonly #waiting: (() => void)[] = [];
  override async write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    this.writes++;
    const copy = page.slice();
    if (this.held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return super.write(slot, copy);
  }
  release(): void {
    this.held = false;
    for (const go of this.#waiting.splice(0)) go();
  }
}

const corpus = generatePages(64, 3);

async function driverOpen(
  pages: number,
  frames: number,
  zswap: SwapSpaceOptions["zswap"],
): Promise<{ space: SwapSpace; driver: Reclaim; device: GatedDevice }> {
  const device = new GatedDevice({ slots: 2 * pages });
  const space = await SwapSpace.open({ slots: 2 * pages, device, zswap });
  return { space, driver: new Reclaim(space, corpus, pages, frames), device };
}

async function fill(driver: Reclaim, pages: number): Promise<void> {
  for (let p = 0; p < pages; p++) await driver.access(p, false);
  await driver.drain();
}

describe("the kernel-like driver", () => {
  it("every page comes back as written through zswap, writeback and the device, each checked", async () => {
    const pages = 600;
    // A pool of 40 pages for 600 compressible pages: writeback runs, and stores are declined.
    const zswap = { maxPoolBytes: 40 * PAGE_SIZE, compressor: "lz4" };
    const { space, driver } = await driverOpen(pages, 64, zswap);
    await fill(driver, pages);
    await driver.pageout();
    const a = await accessesEncode(
      pattern("shift", { pages, accesses: 5000, seed: 2, writeRatio: 0.3 }),
      pages,
      10_000,
    );
    for (const x of a) await driver.access(x & ~ACCESS_WRITE, x >= ACCESS_WRITE);
    for (let p = 0; p < pages; p++) await driver.access(p, false);
    await driver.drain();
    const st = space.stats();
    assert.ok(st.zswpwb! > 0 && st.pswpout > 0, "writeback ran and stores were declined");
    assert.equal(driver.verified, (st.zswpin ?? 0) + st.pswpin + st.swpin_zero);
    await space.close();
  });

  it("a page read back from the device keeps its slot: reclaimed unchanged, it is not written again", async () => {
    const { space, driver } = await driverOpen(8, 4, false);
    await fill(driver, 8);
    await driver.pageout();
    assert.equal(space.stats().pswpout, 8 - corpus.slice(0, 8).filter(zero).length);
    const p = corpus.findIndex((c) => !zero(c));
    await driver.access(p, false);
    const out = space.stats().pswpout;
    await driver.pageout();
    assert.equal(space.stats().pswpout, out, "clean, with a copy in its slot: dropped");
    await driver.access(p, false);
    assert.equal(space.stats().pswpin, 2, "read back from its slot again");
    await driver.access(p, true);
    await driver.pageout();
    assert.equal(space.stats().pswpout, out + 1, "written: swapped out anew");
    await space.close();
  });

  it("a page loaded from zswap loses its entry and is stored again when reclaimed", async () => {
    const zswap = { maxPoolBytes: 64 * PAGE_SIZE, compressor: "lz4" };
    const { space, driver } = await driverOpen(8, 4, zswap);
    await fill(driver, 8);
    await driver.pageout();
    const p = corpus.findIndex((c) => !zero(c));
    const before = space.stats();
    await driver.access(p, false);
    assert.equal(space.stats().zswpin, before.zswpin! + 1);
    assert.equal(space.stats().stored_pages, before.stored_pages! - 1, "loaded: entry dropped");
    await driver.pageout();
    assert.equal(space.stats().zswpout, before.zswpout! + 1, "dirty: stored again");
    await space.close();
  });

  it("a page touched while its swap-out is in flight comes back with no swap-in, and keeps its copy", async () => {
    const { space, driver, device } = await driverOpen(4, 2, false);
    await fill(driver, 2);
    device.held = true;
    const out = driver.pageout();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(device.writes, 2, "both swap-outs are in flight");
    const touched = driver.access(0, false);
    device.release();
    await touched;
    await out;
    assert.equal(space.stats().pswpin, 0, "taken back from under writeback: no read");
    await driver.pageout();
    assert.equal(device.writes, 2, "clean with its copy on the device: not written again");
    await space.close();
  });

  it("a failed swap-out loses nothing: the page stays in the swap cache, and comes back from it", async () => {
    const { space, driver, device } = await driverOpen(4, 2, false);
    await fill(driver, 2);
    await device.close(); // every later write fails
    await driver.pageout();
    await space.flush();
    const st = space.stats();
    assert.equal(st.swpout_fail, 2, "both writes failed");
    assert.equal(st.swap_cache_pages, 2, "both pages are kept");
    await driver.access(0, false); // the driver checks the bytes it gets back
    assert.equal(space.stats().swpin_cache, 1);
    assert.equal(space.stats().pswpin, 0, "nothing read from the closed device");
    await space.close();
  });

  it("accesses are packed page | write bit, and a workload over its bound is refused", async () => {
    const a = [
      { page: 3, write: false },
      { page: 5, write: true },
    ];
    assert.deepEqual([...(await accessesEncode(a, 8, 2))], [3, (5 | ACCESS_WRITE) >>> 0]);
    await assert.rejects(accessesEncode(a, 8, 1), { code: "ZSWAP_E_OPTION" });
    assert.ok(RECLAIM_IN_FLIGHT_MAX >= 32, "a reclaim batch fits in flight");
  });
});

function zero(p: Uint8Array): boolean {
  return p.every((b) => b === 0);
}
