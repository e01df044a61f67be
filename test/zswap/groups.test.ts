// The kernel's selftest of zswap under memory cgroups (tools/testing/selftests/cgroup/test_zswap.c),
// scenario by scenario against our API: a cgroup is a group of a shared Zswap, a process's memory
// is a SwapSpace in it, reclaim is swapOut, a fault is swapIn. Each test is named after the
// kernel's function. Then what the kernel's test does not check: the global shrinker takes from
// the groups in proportion, a group with writeback off is never written back, the Prometheus view.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { setImmediate as immediate } from "node:timers/promises";
import { PAGE_SIZE } from "../../src/constants.ts";
import { MemoryDevice } from "../../src/device/index.ts";
import { ZswapExistsError, ZswapFullError, ZswapOptionError } from "../../src/errors.ts";
import { metricsText, type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import { generatePage } from "../../src/workload/generate.ts";
import { Zswap, type ZswapGroupOptions, type ZswapOptions } from "../../src/zswap/index.ts";
import { promtoolCheck } from "../promtool.ts";

const MB = 1024 * 1024;

/** `count` compressible pages (text and pointers), each different. */
function pages(count: number, seed: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const p = new Uint8Array(PAGE_SIZE);
    generatePage(i % 2 === 0 ? "text" : "pointers", seed + i, p);
    return p;
  });
}

/** attempt_writeback's page: the first half counting up, the second half zero. */
function halfPage(i: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE);
  for (let b = 0; b < PAGE_SIZE / 2; b++) p[b] = (b + i) & 0xff;
  p[0] = i & 0xff;
  p[1] = i >> 8;
  return p;
}

interface Machine {
  zswap: Zswap;
  space(group: string, type: number, slots: number): Promise<SwapSpace>;
}

/** A shared Zswap with `groups`, and spaces on memory devices, each closed by `done`. */
function machine(options: ZswapOptions, groups: Record<string, ZswapGroupOptions>): Machine {
  const zswap = new Zswap({ maxPoolBytes: 64 * MB, ...options });
  for (const [name, o] of Object.entries(groups)) zswap.groupAdd(name, o);
  return {
    zswap,
    space: (group, type, slots) =>
      SwapSpace.open({ slots, device: new MemoryDevice({ slots }), zswap, type, group }),
  };
}

/** Waits until no writeback is in flight and none starts in the next turn of the event loop. */
async function writebacksSettled(zswap: Zswap): Promise<void> {
  do await immediate();
  while (zswap.stats().outstanding_writebacks > 0);
}

async function swapOutAll(space: SwapSpace, list: readonly Uint8Array[]): Promise<SwapSlot[]> {
  const slots: SwapSlot[] = [];
  for (const p of list) slots.push(await space.swapOut(p));
  return slots;
}

async function swapInCheck(space: SwapSpace, slots: readonly SwapSlot[], list: Uint8Array[]) {
  const into = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < slots.length; i++) {
    await space.swapIn(slots[i]!, into, { free: true });
    assert.deepEqual(into, list[i], `page ${i} came back as it went out`);
  }
}

describe("test_zswap.c, ported", () => {
  it("test_zswap_usage: pages swapped out in a group are stored in zswap and charged to it", async () => {
    const m = machine({}, { no_shrink_test: {} });
    const space = await m.space("no_shrink_test", 0, 1024);
    const before = m.zswap.groupStats("no_shrink_test").zswpout;
    await swapOutAll(space, pages(1024, 1)); // 4M, the kernel's allocation
    const g = m.zswap.groupStats("no_shrink_test");
    assert.ok(g.zswpout > before, "zswpout increases");
    assert.equal(g.zswpout, 1024);
    assert.equal(g.zswapped, 1024 * PAGE_SIZE);
    assert.equal(g.zswap, m.zswap.stats().compressed_bytes, "memory.zswap.current: all of it");
    assert.equal(m.zswap.groupStats("root").zswpout, 0, "nothing charged to the root");
    await space.close();
  });

  it("test_swapin_nozswap: with zswap.max 0, pages go to the device and none to zswap", async () => {
    const m = machine({}, { no_zswap_test: { maxBytes: 0 } });
    const space = await m.space("no_zswap_test", 0, 2048);
    const list = pages(2048, 2); // 8M swapped, the kernel's least swap.peak
    const slots = await swapOutAll(space, list);
    await space.flush();
    const s = space.stats();
    assert.ok(s.pswpout * PAGE_SIZE >= 8 * MB, "at least 8M of memory is swapped out");
    assert.equal(m.zswap.groupStats("no_zswap_test").zswpout, 0, "zswpout is 0 at zswap.max 0");
    assert.equal(m.zswap.groupStats("no_zswap_test").group_limit_hit, 2048);
    await swapInCheck(space, slots, list);
    await space.close();
  });

  it("test_zswapin: pages come back from zswap, and zswpin counts them", async () => {
    const m = machine({}, { zswapin_test: { maxBytes: Number.POSITIVE_INFINITY } });
    const space = await m.space("zswapin_test", 0, 8192);
    const list = pages(8192, 3); // 32M allocated and read back
    const slots = await swapOutAll(space, list);
    await swapInCheck(space, slots, list);
    const zswpin = m.zswap.groupStats("zswapin_test").zswpin;
    assert.ok(zswpin >= (24 * MB) / PAGE_SIZE, `at least 24M came back from zswap (${zswpin})`);
    await space.close();
  });

  /**
   * attempt_writeback: swap out 1024 half-filled pages, note zswap.current, swap them in, halve
   * zswap.max, swap them out again: writeback when it is on; when it is off, reclaim fails
   * (EAGAIN in the kernel; ZSWAP_E_FULL here, the caller keeping the page) and nothing is written.
   */
  async function attemptWriteback(wb: boolean): Promise<void> {
    const m = machine({}, { zswap_writeback_test: { writeback: wb } });
    const space = await m.space("zswap_writeback_test", 0, 2048);
    const name = "zswap_writeback_test";
    assert.equal(m.zswap.groupStats(name).zswpwb, 0, "zswpwb is 0 before");
    const list = Array.from({ length: 1024 }, (_, i) => halfPage(i));
    const slots = await swapOutAll(space, list);
    const usage = m.zswap.groupStats(name).zswap;
    assert.ok(usage > 0, "material zswap usage");
    await swapInCheck(space, slots, list);
    m.zswap.groupConfigure(name, { maxBytes: Math.floor(usage / 2) });
    let failed = 0;
    const kept: SwapSlot[] = [];
    const keptPages: Uint8Array[] = [];
    for (const p of list) {
      try {
        kept.push(await space.swapOut(p));
        keptPages.push(p);
      } catch (err) {
        assert.ok(err instanceof ZswapFullError, String(err));
        failed++;
      }
    }
    await writebacksSettled(m.zswap);
    const g = m.zswap.groupStats(name);
    assert.ok(g.zswap <= usage / 2, "the group stays within its new bound");
    if (wb) {
      assert.ok(g.zswpwb > 0, `writeback happened (${g.zswpwb})`);
      assert.equal(failed, 0, "reclaim succeeds");
    } else {
      assert.equal(g.zswpwb, 0, "no writeback with writeback off");
      assert.ok(failed > 0, "reclaim fails: zswap is full and nothing may go to the device");
      assert.equal(space.stats().pswpout, 0, "no page went to the device");
    }
    await swapInCheck(space, kept, keptPages);
    await space.close();
  }

  it("test_zswap_writeback_enabled: a group over its halved bound writes back", () =>
    attemptWriteback(true));

  it("test_zswap_writeback_disabled: with writeback off, reclaim fails and nothing is written back", () =>
    attemptWriteback(false));

  it("test_no_kmem_bypass: pages stored for a group by someone else are charged to it", async () => {
    // kswapd stores the group's pages, not the group's own task; here Zswap.store is called on
    // the group's area from outside its SwapSpace, and the group is charged all the same.
    const m = machine({}, { kmem_bypass_test: {} });
    m.zswap.swapon(0, 4096, new MemoryDevice({ slots: 4096 }), "kmem_bypass_test");
    const list = pages(4096, 4);
    for (let i = 0; i < list.length; i++) assert.ok(m.zswap.store(0, i, list[i]!));
    const stored = m.zswap.stats().stored_pages;
    const zswapped = m.zswap.groupStats("kmem_bypass_test").zswapped;
    assert.ok(stored * PAGE_SIZE - zswapped < (stored * PAGE_SIZE) / 4, "the kernel's margin");
    assert.equal(zswapped, stored * PAGE_SIZE, "and here all of it");
    m.zswap.swapoff(0);
    m.zswap.stop();
  });

  it("test_no_invasive_cgroup_shrink: a group's bound writes back its own pages only", async () => {
    const m = machine({}, { per_memcg_wb_test1: { maxBytes: 64 * 1024 }, per_memcg_wb_test2: {} });
    const control = await m.space("per_memcg_wb_test2", 1, 4096);
    const wb = await m.space("per_memcg_wb_test1", 0, 16384);
    const controlPages = pages(4096, 5); // control_allocation_size, 16M here
    await swapOutAll(control, controlPages);
    assert.ok(m.zswap.groupStats("per_memcg_wb_test2").zswapped >= 1, "control is in zswap");
    const wbPages = pages(16384, 6); // 64M, twice the kernel's memory.max
    const wbSlots = await swapOutAll(wb, wbPages);
    await writebacksSettled(m.zswap);
    assert.ok(m.zswap.groupStats("per_memcg_wb_test1").zswpwb > 0, "wb_group wrote back");
    assert.equal(m.zswap.groupStats("per_memcg_wb_test2").zswpwb, 0, "control did not");
    assert.ok(m.zswap.groupStats("per_memcg_wb_test1").zswap <= 64 * 1024);
    await swapInCheck(wb, wbSlots.slice(0, 64), wbPages.slice(0, 64));
    await wb.close();
    await control.close();
  });

  it("test_zswap_incompressible: random pages are stored raw and counted in zswap_incomp", async () => {
    const m = machine({ incompressible: "store-raw" }, { zswap_incompressible_test: {} });
    const space = await m.space("zswap_incompressible_test", 0, 1024);
    const list = Array.from({ length: 1024 }, () => new Uint8Array(randomBytes(PAGE_SIZE)));
    const slots = await swapOutAll(space, list); // 4M of /dev/urandom
    const g = m.zswap.groupStats("zswap_incompressible_test");
    assert.ok(g.zswap_incomp > 0, "zswap_incomp increased");
    assert.equal(g.zswap_incomp, m.zswap.stats().stored_incompressible_pages);
    await swapInCheck(space, slots, list);
    assert.equal(m.zswap.groupStats("zswap_incompressible_test").zswap_incomp, 0, "a gauge");
    await space.close();
  });
});

describe("groups beyond the kernel's selftest", () => {
  it("the global shrinker takes from the groups in proportion to what they hold", async () => {
    const m = machine({ maxPoolBytes: 8 * MB }, { big: {}, small: {} });
    const big = await m.space("big", 0, 4096);
    const small = await m.space("small", 1, 4096);
    // big's pages all older than small's: the global CLOCK would take big's alone.
    await swapOutAll(big, pages(1536, 7));
    await swapOutAll(small, pages(512, 11));
    const held = m.zswap.stats().pool_total_size;
    m.zswap.configure({
      shrinkerEnabled: true,
      shrinkerTargetPercent: Math.floor((held / 2 / (8 * MB)) * 100),
    });
    await writebacksSettled(m.zswap);
    const b = m.zswap.groupStats("big").zswpwb;
    const s = m.zswap.groupStats("small").zswpwb;
    assert.ok(b > 0 && s > 0, `both give (${b}, ${s})`);
    const share = b / (b + s);
    assert.ok(share > 0.65 && share < 0.85, `big gives about three quarters (${share.toFixed(3)})`);
    assert.ok(m.zswap.stats().pool_total_size <= 8 * MB, "the global bound holds");
    await big.close();
    await small.close();
  });

  it("a group with writeback off is never written back, even when the pool is full", async () => {
    const m = machine({ maxPoolBytes: MB }, { pinned: { writeback: false }, other: {} });
    const pinned = await m.space("pinned", 0, 1024);
    const other = await m.space("other", 1, 8192);
    const pinnedPages = pages(256, 8);
    const pinnedSlots = await swapOutAll(pinned, pinnedPages);
    await swapOutAll(other, pages(8192, 9));
    await writebacksSettled(m.zswap);
    assert.equal(m.zswap.groupStats("pinned").zswpwb, 0);
    assert.ok(m.zswap.groupStats("other").zswpwb > 0);
    await swapInCheck(pinned, pinnedSlots, pinnedPages);
    assert.equal(pinned.stats().pswpin, 0, "every pinned page came from zswap");
    await pinned.close();
    await other.close();
  });

  it("bad group options and names are typed errors that change nothing", async () => {
    const z = new Zswap({ maxPoolBytes: MB });
    z.groupAdd("a", { maxBytes: 4096 });
    assert.throws(() => z.groupAdd("a"), ZswapExistsError);
    assert.throws(() => z.groupAdd("bad name!"), ZswapOptionError);
    assert.throws(() => z.groupAdd("b", { maxBytes: -1 }), ZswapOptionError);
    // A misspelt bound made a group with none.
    assert.throws(() => z.groupAdd("c", { maxbytes: 4096 } as never), /unknown option "maxbytes"/);
    assert.throws(() => z.groupConfigure("a", { writeBack: false } as never), /unknown option/);
    assert.throws(() => z.groupConfigure("a", { maxBytes: Number.NaN }), ZswapOptionError);
    assert.throws(() => z.groupConfigure("nope", {}), ZswapOptionError);
    assert.throws(() => z.groupConfigure("root", { maxBytes: 0 }), ZswapOptionError);
    assert.throws(() => z.swapon(0, 16, undefined, "nope"), ZswapOptionError);
    assert.deepEqual(z.groupNames, ["root", "a"]);
    assert.equal(z.groupStats("a").zswap_max, 4096);
    z.swapon(0, 16); // the area is free: the failed swapon left nothing
    await assert.rejects(
      SwapSpace.open({ slots: 16, device: new MemoryDevice({ slots: 16 }), group: "a" }),
      ZswapOptionError,
    );
  });

  it("the groups' Prometheus exposition passes promtool", async () => {
    const m = machine({}, { a: { maxBytes: MB }, b: { writeback: false } });
    const a = await m.space("a", 0, 64);
    const b = await m.space("b", 1, 64);
    await swapOutAll(a, pages(64, 10));
    for (const spaces of [a, { a, b }]) {
      const text = metricsText(spaces);
      assert.match(text, /^zswap_zswpout_pages_total(\{space="a\+b"\})? 64$/m);
      assert.match(text, /^zswap_group_zswap_bytes\{(space="a\+b",)?group="a"\} \d+$/m);
      assert.match(text, /^zswap_group_zswap_max_bytes\{(space="a\+b",)?group="root"\} \+Inf$/m);
      assert.match(text, /^zswap_group_zswpout_pages_total\{(space="a\+b",)?group="a"\} 64$/m);
      assert.match(text, /^zswap_group_zswap_writeback\{(space="a\+b",)?group="b"\} 0$/m);
      const check = await promtoolCheck(text);
      assert.equal(check.output, "", "promtool's problems");
      assert.equal(check.code, 0);
    }
    await a.close();
    await b.close();
  });
});
