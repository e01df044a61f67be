// Same-filled pages and dedup at the swap layer, through SwapSpace's public API: what takes no
// storage, what is stored once, and that every slot reads back its own page whatever its sharers
// went through (freed, loaded exclusively, written back).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PAGE_SIZE } from "../../src/constants.ts";
import { MemoryDevice, type SwapDevice } from "../../src/device/index.ts";
import { ZswapArgumentError, ZswapSlotError } from "../../src/errors.ts";
import { type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import { isSameFilled } from "../../src/swap/same-filled.ts";
import type { SwapOffset } from "../../src/types.ts";
import { generatePage } from "../../src/workload/generate.ts";

const dirty = () => new Uint8Array(PAGE_SIZE).fill(0xa5);

/** A page of one 8-byte value repeated. */
function samePage(value: readonly number[]): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < PAGE_SIZE; i++) p[i] = value[i % 8]!;
  return p;
}

function textPage(seed: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  generatePage("text", seed, p);
  return p;
}

/** A memory device that counts the calls reaching it. */
class CountingDevice implements SwapDevice {
  readonly describe = "counting memory";
  reads = 0;
  writes = 0;
  readonly inner: MemoryDevice;
  constructor(readonly slots: number) {
    this.inner = new MemoryDevice({ slots });
  }
  read(slot: SwapOffset, into: Uint8Array): Promise<void> {
    this.reads++;
    return this.inner.read(slot, into);
  }
  write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    this.writes++;
    return this.inner.write(slot, page);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const BIG_POOL = { maxPoolBytes: 1024 * PAGE_SIZE, compressor: "lz4" };

describe("same-filled pages", () => {
  it("a page of one repeated 8-byte value is told from one that differs in its last byte", () => {
    const p = samePage([1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(isSameFilled(p));
    p[PAGE_SIZE - 1] ^= 1;
    assert.ok(!isSameFilled(p));
    assert.ok(isSameFilled(new Uint8Array(PAGE_SIZE)));
    assert.ok(!isSameFilled(textPage(1)));
  });

  for (const zswap of [BIG_POOL, false] as const) {
    it(`take no storage and come back byte for byte (zswap ${zswap ? "on" : "off"})`, async () => {
      const dev = new CountingDevice(64);
      const s = await SwapSpace.open({ slots: 64, device: dev, zswap });
      const values = [[0xff], [1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 0, 0, 0, 0, 1], [0x80, 0]];
      const pages = values.map((v) =>
        samePage(Array.from({ length: 8 }, (_, i) => v[i % v.length]!)),
      );
      // One at an odd offset of a larger buffer: alignment is no concern of the caller's.
      const host = new Uint8Array(PAGE_SIZE + 3);
      host.set(samePage([9, 8, 7, 6, 5, 4, 3, 2]), 3);
      pages.push(host.subarray(3));
      const slots: SwapSlot[] = [];
      for (const p of pages) slots.push(await s.swapOut(p));
      const zero = await s.swapOut(new Uint8Array(PAGE_SIZE));
      let st = s.stats();
      assert.equal(st.swpout_same, pages.length);
      assert.equal(st.swpout_zero, 1, "zero pages are counted as before");
      assert.equal(st.same_pages, pages.length + 1, "same_pages counts zero pages too, as zram's");
      assert.equal(st.swap_zero_pages, 1);
      assert.equal((st.zswpout ?? 0) + st.pswpout, 0);
      assert.equal(st.pool_total_size ?? 0, 0);
      for (const [i, slot] of slots.entries()) {
        const into = dirty();
        assert.equal(await s.swapIn(slot, into), "same");
        assert.deepEqual(into, pages[i]);
      }
      for (const slot of [...slots, zero]) await s.swapIn(slot, dirty(), { free: true });
      st = s.stats();
      assert.equal(st.swpin_same, 2 * pages.length);
      assert.equal(st.swpin_zero, 1);
      assert.equal(st.same_pages, 0);
      assert.equal(st.swap_slots_used, 0);
      assert.equal(dev.reads + dev.writes, 0, "same-filled pages never reach the device");
      // A slot freed and taken again by another page holds that page, not the old value.
      const text = textPage(2);
      const again = await s.swapOut(text);
      const into = dirty();
      await s.swapIn(again, into);
      assert.deepEqual(into, text);
      await s.close();
    });
  }
});

describe("dedup", () => {
  it("is off by default: identical pages are stored twice", async () => {
    const s = await SwapSpace.open({
      slots: 8,
      device: new MemoryDevice({ slots: 8 }),
      zswap: BIG_POOL,
    });
    const page = textPage(3);
    await s.swapOut(page);
    await s.swapOut(page);
    const st = s.stats();
    assert.equal(st.zswpout, 2);
    assert.equal(st.dedup_pages_saved, 0);
    await s.close();
  });

  it("rejects a dedup option that is not a boolean, opening nothing", async () => {
    await assert.rejects(
      SwapSpace.open({ slots: 8, device: new MemoryDevice({ slots: 8 }), dedup: 1 as never }),
      ZswapArgumentError,
    );
  });

  it("stores identical pages once; each sharer reads its page after the owner frees and loads exclusively", async () => {
    const s = await SwapSpace.open({
      slots: 16,
      device: new MemoryDevice({ slots: 16 }),
      zswap: BIG_POOL,
      dedup: true,
    });
    const page = textPage(4);
    const other = textPage(5);
    const first = await s.swapOut(page);
    const stored = s.stats().compressed_bytes!;
    const sharers = [await s.swapOut(new Uint8Array(page)), await s.swapOut(new Uint8Array(page))];
    const near = new Uint8Array(page);
    near[100] ^= 1;
    const nearSlot = await s.swapOut(near);
    await s.swapOut(other);
    let st = s.stats();
    assert.equal(st.zswpout, 3, "the page, the near copy and the other page");
    assert.equal(st.dedup_pages_saved, 2);
    assert.equal(st.dedup_bytes_saved, 2 * stored);
    assert.equal(st.dedup_pages, 2);
    // The owner loads its page exclusively and frees its slot: the slot is held, not reused.
    const into = dirty();
    await s.swapIn(first, into, { free: true });
    assert.deepEqual(into, page);
    st = s.stats();
    assert.equal(st.dedup_held_slots, 1);
    assert.equal(st.swap_slots_used, 5, "the held slot stays allocated");
    await assert.rejects(
      s.swapIn(first, dirty()),
      ZswapSlotError,
      "a freed slot is not the user's",
    );
    assert.throws(() => s.free(first), ZswapSlotError);
    for (const slot of sharers) {
      const got = dirty();
      await s.swapIn(slot, got);
      assert.deepEqual(got, page);
    }
    const got = dirty();
    await s.swapIn(nearSlot, got);
    assert.deepEqual(got, near);
    // A new identical page shares the held slot's copy too.
    const late = await s.swapOut(new Uint8Array(page));
    assert.equal(s.stats().dedup_pages_saved, 3);
    for (const slot of [...sharers, late]) {
      const out = dirty();
      await s.swapIn(slot, out, { free: true });
      assert.deepEqual(out, page);
    }
    st = s.stats();
    assert.equal(st.dedup_held_slots, 0, "the last sharer's free releases the held slot");
    assert.equal(st.dedup_pages, 0);
    assert.equal(st.swap_slots_used, 2);
    assert.equal(st.stored_pages, 2);
    await s.close();
  });

  it("a sharer reads its page from the device after the shared copy was written back", async () => {
    const slots = 256;
    const dev = new CountingDevice(slots);
    const s = await SwapSpace.open({
      slots,
      device: dev,
      zswap: { maxPoolBytes: 16 * PAGE_SIZE, compressor: "lz4", shrinkerEnabled: true },
      dedup: true,
    });
    const page = textPage(6);
    const owner = await s.swapOut(page);
    const sharer = await s.swapOut(new Uint8Array(page));
    // Many other pages push the shared copy out of the pool.
    for (let i = 0; i < 120; i++) await s.swapOut(textPage(100 + i));
    await s.flush();
    const z = s.zswap!;
    // Writeback goes on in the background: turns of the event loop, not time, let it finish.
    for (let i = 0; i < 1000 && z.peek(0, owner, dirty()) !== 0; i++) {
      await new Promise((r) => setImmediate(r));
      await s.flush();
    }
    assert.equal(z.peek(0, owner, dirty()), 0, "the shared copy was written back");
    assert.ok(s.stats().written_back_pages! > 0);
    s.free(owner);
    const reads = dev.reads;
    const into = dirty();
    assert.equal(await s.swapIn(sharer, into, { free: true }), "device");
    assert.deepEqual(into, page);
    assert.equal(dev.reads, reads + 1);
    const st = s.stats();
    assert.equal(st.dedup_held_slots, 0);
    assert.equal(st.dedup_pages, 0);
    await s.close();
  });
});
