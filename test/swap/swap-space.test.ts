// SwapSpace through its public API: round trips of real pages (zswap + swap file, disk only,
// zero pages), slot lifetime, typed errors that change nothing, device faults, and writeback.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setImmediate as immediate, setTimeout as sleep } from "node:timers/promises";
import { REAL_CLOCK } from "../../src/clock.ts";
import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE, SWAP_WRITES_BEHIND_MAX } from "../../src/constants.ts";
import {
  FaultyDevice,
  type FileDevice,
  MemoryDevice,
  type SwapDevice,
} from "../../src/device/index.ts";
import {
  ZswapArgumentError,
  ZswapDataError,
  type ZswapError,
  type ZswapErrorCode,
  ZswapIOError,
  ZswapStateError,
} from "../../src/errors.ts";
import { type SwapSlot, SwapSpace, type SwapSpaceOptions } from "../../src/swap/index.ts";
import type { SwapOffset } from "../../src/types.ts";
import { generatePage } from "../../src/workload/generate.ts";
import { WRITEBACK } from "../../src/zswap/entries.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { swapFileOf } from "../device/helpers.ts";
import { realisticPages } from "../pages.ts";
import { inWorker, isTestThread } from "../watchdog.ts";
import { entriesCorrupt, lruProblem } from "../zswap/consistency.ts";

// --- pages ---

const isZero = (p: Uint8Array) => p.every((b) => b === 0);

/** Text and pointer pages: nonzero, and well under lz4's 80% limit. */
function compressiblePages(count: number, seed: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const p = new Uint8Array(PAGE_SIZE);
    generatePage(i % 2 === 0 ? "text" : "pointers", seed + i, p);
    return p;
  });
}

const randomPage = () => new Uint8Array(randomBytes(PAGE_SIZE));

/** Where zswap (lz4, maxCompressionRatio 80, big pool) puts each page. */
function placeOf(page: Uint8Array): "zero" | "zswap" | "device" {
  if (isZero(page)) return "zero";
  const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
  const n = compressorCreate("lz4").compress(page, dst, Math.floor((PAGE_SIZE * 80) / 100));
  return n > 0 ? "zswap" : "device";
}

function counts(pages: Uint8Array[]): Record<"zero" | "zswap" | "device", number> {
  const c = { zero: 0, zswap: 0, device: 0 };
  for (const p of pages) c[placeOf(p)]++;
  return c;
}

/** A buffer full of a pattern, so a swap-in that writes nothing is seen. */
const dirty = () => new Uint8Array(PAGE_SIZE).fill(0xa5);

// --- devices ---

/**
 * A MemoryDevice whose reads or writes can be made to fail for a while: failing calls go through
 * a FaultyDevice with rates 1 over the same memory. Counts the calls that reach it.
 */
class SwitchDevice implements SwapDevice {
  readonly slots: number;
  readonly describe = "switchable memory";
  failReads = false;
  failWrites = false;
  reads = 0;
  writes = 0;
  private readonly faulty: FaultyDevice;
  constructor(
    private readonly inner: MemoryDevice,
    seed: number,
  ) {
    this.slots = inner.slots;
    this.faulty = new FaultyDevice(inner, { seed, readErrorRate: 1, writeErrorRate: 1 });
  }
  read(slot: SwapOffset, into: Uint8Array): Promise<void> {
    this.reads++;
    return (this.failReads ? this.faulty : this.inner).read(slot, into);
  }
  write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    this.writes++;
    return (this.failWrites ? this.faulty : this.inner).write(slot, page);
  }
  close(): Promise<void> {
    return this.faulty.close();
  }
}

/** A MemoryDevice that holds its first write until released; later writes go through. */
class HeldWriteDevice extends MemoryDevice {
  /** The slot of the write held, once there is one. */
  held: number | undefined;
  private go: (() => void) | undefined;
  override async write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    if (this.held === undefined) {
      this.held = slot;
      await new Promise<void>((resolve) => {
        this.go = resolve;
      });
    }
    await super.write(slot, page);
  }
  release(): void {
    this.go?.();
  }
}

// --- assertions ---

function isCode(type: abstract new (...a: never[]) => Error, code: ZswapErrorCode) {
  return (err: unknown) => {
    assert.ok(err instanceof type, `expected a ${type.name}, got ${String(err)}`);
    assert.equal((err as ZswapError).code, code, (err as Error).message);
    return true;
  };
}

/** The call rejects with `type`/`code` and the space's stats do not move. */
async function rejectsUnchanged(
  s: SwapSpace,
  call: () => Promise<unknown>,
  type: abstract new (...a: never[]) => Error,
  code: ZswapErrorCode,
): Promise<void> {
  await s.flush(); // writes behind land now, not during the call
  const before = s.stats();
  await assert.rejects(call, isCode(type, code));
  assert.deepEqual(s.stats(), before, `a call refused with ${code} changed the stats`);
}

function throwsUnchanged(
  s: SwapSpace,
  call: () => unknown,
  type: abstract new (...a: never[]) => Error,
  code: ZswapErrorCode,
): void {
  const before = s.stats();
  assert.throws(call, isCode(type, code));
  assert.deepEqual(s.stats(), before, `a call refused with ${code} changed the stats`);
}

/** Resolves once no writeback is in flight (the writeback settles on microtasks or I/O). */
async function writebackSettled(s: SwapSpace): Promise<void> {
  for (let i = 0; i < 10_000 && (s.stats().outstanding_writebacks ?? 0) > 0; i++) await immediate();
  assert.equal(s.stats().outstanding_writebacks, 0, "writeback did not settle");
}

const BIG_POOL = { maxPoolBytes: 8192 * PAGE_SIZE, compressor: "lz4" };

// --- tests ---

function testsDeclare(): void {
  describe("round trips", () => {
    it("real pages go to zswap, the swap file or the zero map, and come back byte for byte", async () => {
      const pages = [...realisticPages(200, 200, 5), randomPage(), new Uint8Array(PAGE_SIZE)];
      const want = counts(pages);
      assert.ok(want.zero > 0 && want.zswap > 0 && want.device > 0, JSON.stringify(want));
      const s = await SwapSpace.open({ slots: pages.length + 8, zswap: BIG_POOL });
      const file = await swapFileOf(s.device as FileDevice, tmpdir());
      assert.ok(existsSync(file));

      const slots: SwapSlot[] = [];
      for (const p of pages) slots.push(await s.swapOut(p));
      await s.flush(); // the device's pages written behind have landed: they are read back
      assert.equal(new Set(slots).size, pages.length, "every swap-out got its own slot");
      let st = s.stats();
      assert.equal(st.swpout_zero, want.zero);
      assert.equal(st.zswpout, want.zswap);
      assert.equal(st.pswpout, want.device);
      assert.equal(st.reject_compress_poor, want.device, "each device page was a poor compression");
      assert.equal(st.stored_pages, want.zswap);
      assert.equal(st.Zswapped, want.zswap * PAGE_SIZE);
      assert.equal(st.swap_zero_pages, want.zero);
      assert.equal(st.swap_slots_used, pages.length);
      assert.ok(st.pool_total_size! > 0 && st.pool_total_size! <= st.pool_limit_bytes!);

      for (const [i, slot] of slots.entries()) {
        const into = dirty();
        await s.swapIn(slot, into, { free: true });
        assert.deepEqual(into, pages[i], `page ${i} (${placeOf(pages[i])}) came back changed`);
      }
      st = s.stats();
      assert.equal(st.swpin_zero, want.zero);
      assert.equal(st.zswpin, want.zswap);
      assert.equal(st.pswpin, want.device);
      assert.equal(st.swap_slots_used, 0);
      assert.equal(st.swap_zero_pages, 0);
      assert.equal(st.stored_pages, 0);
      assert.equal(st.pool_total_size, 0, "an empty cache holds no pool pages");
      await s.close();
      assert.equal(existsSync(file), false, "the temporary swap file is removed on close");
    });

    it("a disk-only space (zswap: false) round-trips through the swap file alone", async () => {
      const pages = [...realisticPages(100, 100, 6), randomPage()];
      const zero = pages.filter(isZero).length;
      const s = await SwapSpace.open({ slots: pages.length, zswap: false });
      assert.equal(s.zswap, undefined);
      const slots: SwapSlot[] = [];
      for (const p of pages) slots.push(await s.swapOut(p));
      let st = s.stats();
      assert.equal(st.pswpout, pages.length - zero);
      assert.equal(st.swpout_zero, zero);
      assert.equal(st.zswpout, undefined, "no zswap, no zswap counters");
      assert.equal(st.pool_total_size, undefined, "no zswap, no pool gauges");
      for (const [i, slot] of slots.entries()) {
        const into = dirty();
        await s.swapIn(slot, into);
        assert.deepEqual(into, pages[i], `page ${i}`);
      }
      st = s.stats();
      assert.equal(st.pswpin, pages.length - zero);
      assert.equal(st.swpin_zero, zero);
      assert.equal(st.zswpin, undefined);
      assert.equal(st.swap_slots_used, pages.length, "swapIn without free keeps every slot");
      await s.close();
    });

    for (const zswap of [BIG_POOL, false] as const) {
      it(`zero pages are one bit each: no pool, no device I/O (zswap ${zswap ? "on" : "off"})`, async () => {
        const dev = new SwitchDevice(new MemoryDevice({ slots: 64 }), 1);
        const s = await SwapSpace.open({ slots: 64, device: dev, zswap });
        const slots: SwapSlot[] = [];
        for (let i = 0; i < 20; i++) slots.push(await s.swapOut(new Uint8Array(PAGE_SIZE)));
        let st = s.stats();
        assert.equal(st.swpout_zero, 20);
        assert.equal(st.swap_zero_pages, 20);
        assert.equal((st.zswpout ?? 0) + st.pswpout, 0);
        assert.equal(st.stored_pages ?? 0, 0);
        assert.equal(st.pool_total_size ?? 0, 0);
        for (const slot of slots.slice(0, 10)) {
          const into = dirty();
          await s.swapIn(slot, into);
          assert.ok(isZero(into), "a zero slot fills the buffer with zeros");
        }
        for (const slot of slots) await s.swapIn(slot, dirty(), { free: true });
        st = s.stats();
        assert.equal(st.swpin_zero, 30);
        assert.equal((st.zswpin ?? 0) + st.pswpin, 0);
        assert.equal(st.swap_zero_pages, 0);
        assert.equal(dev.reads + dev.writes, 0, "zero pages never reach the device");
        await s.close();
      });
    }
  });

  describe("slot lifetime and typed errors", () => {
    it("swapIn's options are checked: a misspelt or non-boolean free was a swap-in that kept the slot", async () => {
      const s = await SwapSpace.open({ slots: 4, device: new MemoryDevice({ slots: 4 }) });
      const page = compressiblePages(1, 41)[0];
      const slot = await s.swapOut(page);
      for (const opts of [{ free: "yes" }, { fre: true }, null, 1]) {
        const bad = () => s.swapIn(slot, dirty(), opts as never);
        await rejectsUnchanged(s, bad, ZswapArgumentError, "ZSWAP_E_OPTION");
      }
      const into = dirty();
      assert.equal(await s.swapIn(slot, into, { free: true }), "zswap");
      assert.deepEqual(into, page);
      await s.close();
    });

    it("swapIn without free keeps the slot readable; with free it frees it; it says where the page was", async () => {
      const dev = new MemoryDevice({ slots: 16 });
      const s = await SwapSpace.open({ slots: 16, device: dev, zswap: BIG_POOL });
      const kinds = {
        zswap: compressiblePages(1, 40)[0],
        device: randomPage(),
        zero: new Uint8Array(PAGE_SIZE),
      };
      for (const [kind, page] of Object.entries(kinds)) {
        const slot = await s.swapOut(page);
        await s.flush();
        const used = s.stats().swap_slots_used;
        for (let n = 0; n < 3; n++) {
          const into = dirty();
          assert.equal(await s.swapIn(slot, into), kind, "swapIn says where the page was");
          assert.deepEqual(into, page, `${kind}: read ${n + 1} without free`);
          assert.equal(s.stats().swap_slots_used, used);
        }
        if (kind === "zswap")
          assert.equal(s.stats().stored_pages, 1, "a plain swapIn keeps zswap's copy");
        const into = dirty();
        assert.equal(await s.swapIn(slot, into, { free: true }), kind);
        assert.deepEqual(into, page, `${kind}: read with free`);
        assert.equal(s.stats().swap_slots_used, used - 1);
        assert.equal(s.stats().stored_pages, 0);
        await rejectsUnchanged(
          s,
          () => s.swapIn(slot, dirty()),
          ZswapArgumentError,
          "ZSWAP_E_SLOT",
        );
      }
      const st = s.stats();
      assert.equal(st.zswpin, 4);
      assert.equal(st.pswpin, 4);
      assert.equal(st.swpin_zero, 4);
      await s.close();
    });

    it("free then swapIn, double free, and slots never given out are ZSWAP_E_SLOT", async () => {
      const s = await SwapSpace.open({
        slots: 8,
        device: new MemoryDevice({ slots: 8 }),
        zswap: BIG_POOL,
      });
      const a = await s.swapOut(compressiblePages(1, 50)[0]);
      const b = await s.swapOut(randomPage());
      s.free(a);
      s.free(b);
      await rejectsUnchanged(s, () => s.swapIn(a, dirty()), ZswapArgumentError, "ZSWAP_E_SLOT");
      await rejectsUnchanged(s, () => s.swapIn(b, dirty()), ZswapArgumentError, "ZSWAP_E_SLOT");
      throwsUnchanged(s, () => s.free(a), ZswapArgumentError, "ZSWAP_E_SLOT");
      throwsUnchanged(s, () => s.free(b), ZswapArgumentError, "ZSWAP_E_SLOT");
      for (const bad of [5, -1, 8, 1.5, Number.NaN]) {
        const slot = bad as SwapSlot;
        await rejectsUnchanged(
          s,
          () => s.swapIn(slot, dirty()),
          ZswapArgumentError,
          "ZSWAP_E_SLOT",
        );
        throwsUnchanged(s, () => s.free(slot), ZswapArgumentError, "ZSWAP_E_SLOT");
      }
      assert.equal(s.stats().swap_slots_used, 0);
      assert.equal(s.stats().stored_pages, 0);
      await s.close();
    });

    it("a swap-out that finds only free slots still busy with I/O waits for one to settle", async () => {
      const dev = new HeldWriteDevice({ slots: 256 });
      const s = await SwapSpace.open({
        slots: 256,
        device: dev,
        zswap: { maxPoolBytes: 16 * PAGE_SIZE, compressor: "lz4", writebacksInFlightMax: 1 },
      });
      for (const p of compressiblePages(200, 90)) {
        await s.swapOut(p);
        if (dev.held !== undefined) break;
      }
      assert.equal(s.stats().outstanding_writebacks, 1, "a writeback is in flight");
      const busy = dev.held as SwapSlot;
      s.free(busy); // free, but its old page's write is still in flight
      const zero = new Uint8Array(PAGE_SIZE);
      while (s.stats().swap_slots_used < 255) await s.swapOut(zero);
      let got: SwapSlot | undefined;
      const waiting = s.swapOut(zero).then((slot) => {
        got = slot;
      });
      for (let i = 0; i < 10; i++) await immediate();
      assert.equal(got, undefined, "no slot is handed out while its write is in flight");
      dev.release();
      await waiting;
      assert.equal(got, busy, "the slot, once its write settled");
      await writebackSettled(s);
      await rejectsUnchanged(s, () => s.swapOut(zero), ZswapStateError, "ZSWAP_E_FULL");
      await s.close();
    });

    it("a swap-out to the device returns before its write lands: the slot reads from the swap cache meanwhile, and is not handed out again until it lands", async () => {
      const dev = new HeldWriteDevice({ slots: 2 });
      const s = await SwapSpace.open({ slots: 2, device: dev, zswap: false });
      const [a, b, c] = [randomPage(), randomPage(), randomPage()];
      const slotA = await s.swapOut(a); // resolves with its write held by the device
      assert.equal(dev.held, slotA);
      let st = s.stats();
      assert.equal(st.swap_cache_pages, 1);
      assert.equal(st.swap_io_in_flight, 1);
      let into = dirty();
      await s.swapIn(slotA, into, { free: true });
      assert.deepEqual(into, a, "read from the copy the write is made from");
      st = s.stats();
      assert.equal(st.swpin_cache, 1);
      assert.equal(st.pswpin, 0);
      const slotB = await s.swapOut(b);
      let got: SwapSlot | undefined;
      const waiting = s.swapOut(c).then((slot) => {
        got = slot;
      });
      for (let i = 0; i < 10; i++) await immediate();
      assert.equal(got, undefined, "slot A is free, but its write has not landed");
      dev.release();
      await waiting;
      assert.equal(got, slotA, "slot A, once its write landed");
      await s.flush();
      assert.equal(s.stats().swap_cache_pages, 0);
      for (const [slot, page] of [
        [slotB, b],
        [slotA, c],
      ] as const) {
        into = dirty();
        await s.swapIn(slot, into);
        assert.deepEqual(into, page);
      }
      assert.equal(s.stats().pswpin, 2, "from the device, once written");
      await s.close();
    });

    it("a space with every slot in use rejects swapOut with ZSWAP_E_FULL", async () => {
      const s = await SwapSpace.open({
        slots: 4,
        device: new MemoryDevice({ slots: 4 }),
        zswap: BIG_POOL,
      });
      const pages = [...compressiblePages(2, 60), randomPage(), new Uint8Array(PAGE_SIZE)];
      const slots: SwapSlot[] = [];
      for (const p of pages) slots.push(await s.swapOut(p));
      for (const p of [...compressiblePages(1, 70), randomPage(), new Uint8Array(PAGE_SIZE)]) {
        await rejectsUnchanged(s, () => s.swapOut(p), ZswapStateError, "ZSWAP_E_FULL");
      }
      s.free(slots[2]);
      const again = await s.swapOut(compressiblePages(1, 80)[0]);
      assert.equal(again, slots[2], "the one free slot is handed out");
      for (const [i, slot] of slots.entries()) {
        if (i === 2) continue;
        const into = dirty();
        await s.swapIn(slot, into);
        assert.deepEqual(into, pages[i]);
      }
      await s.close();
    });

    it("a page of the wrong length is ZSWAP_E_PAGE_SIZE", async () => {
      const s = await SwapSpace.open({
        slots: 4,
        device: new MemoryDevice({ slots: 4 }),
        zswap: BIG_POOL,
      });
      const slot = await s.swapOut(compressiblePages(1, 90)[0]);
      for (const n of [0, 100, PAGE_SIZE - 1, PAGE_SIZE + 1]) {
        await rejectsUnchanged(
          s,
          () => s.swapOut(new Uint8Array(n)),
          ZswapArgumentError,
          "ZSWAP_E_PAGE_SIZE",
        );
        await rejectsUnchanged(
          s,
          () => s.swapIn(slot, new Uint8Array(n)),
          ZswapArgumentError,
          "ZSWAP_E_PAGE_SIZE",
        );
      }
      const notPage = "x".repeat(PAGE_SIZE) as unknown as Uint8Array;
      await rejectsUnchanged(s, () => s.swapOut(notPage), ZswapArgumentError, "ZSWAP_E_PAGE_SIZE");
      const into = dirty();
      await s.swapIn(slot, into);
      assert.deepEqual(into, compressiblePages(1, 90)[0], "the refused calls touched nothing");
      await s.close();
    });

    it("after close every call is ZSWAP_E_CLOSED, and close is idempotent", async () => {
      const dev = new MemoryDevice({ slots: 8 });
      const s = await SwapSpace.open({ slots: 8, device: dev, zswap: BIG_POOL });
      const a = await s.swapOut(compressiblePages(1, 100)[0]);
      const b = await s.swapOut(randomPage());
      await s.close();
      const st = s.stats();
      assert.equal(st.swap_io_in_flight, 0);
      await rejectsUnchanged(
        s,
        () => s.swapOut(compressiblePages(1, 101)[0]),
        ZswapStateError,
        "ZSWAP_E_CLOSED",
      );
      await rejectsUnchanged(
        s,
        () => s.swapOut(new Uint8Array(PAGE_SIZE)),
        ZswapStateError,
        "ZSWAP_E_CLOSED",
      );
      await rejectsUnchanged(s, () => s.swapIn(a, dirty()), ZswapStateError, "ZSWAP_E_CLOSED");
      await rejectsUnchanged(
        s,
        () => s.swapIn(b, dirty(), { free: true }),
        ZswapStateError,
        "ZSWAP_E_CLOSED",
      );
      throwsUnchanged(s, () => s.free(a), ZswapStateError, "ZSWAP_E_CLOSED");
      await s.close();
      await dev.write(0 as SwapOffset, randomPage()); // a caller's device stays the caller's to close
      await dev.close();
    });

    it("close called twice while I/O is in flight: each call waits for all of it", async () => {
      const s = await SwapSpace.open({ slots: 64, zswap: false });
      const file = await swapFileOf(s.device as FileDevice, tmpdir());
      const outs = Array.from({ length: 16 }, () => s.swapOut(randomPage()));
      assert.equal(s.stats().swap_io_in_flight, 16);
      const first = s.close();
      await s.close();
      assert.equal(s.stats().swap_io_in_flight, 0, "the second close waited for the I/O");
      assert.equal(existsSync(file), false, "and for the swap file to be closed");
      await first;
      // The writes in flight at close finish: their swap-outs resolve, none is lost half-way.
      assert.equal(
        (await Promise.allSettled(outs)).filter((r) => r.status === "fulfilled").length,
        16,
      );
      assert.equal(s.stats().pswpout, 16);
    });

    it("two spaces share one Zswap: one pool and limit, their own slots and devices", async () => {
      const z = new Zswap({
        maxPoolBytes: 32 * PAGE_SIZE,
        compressor: "lz4",
        writebacksInFlightMax: 4,
      });
      const devA = new MemoryDevice({ slots: 256 });
      const devB = new MemoryDevice({ slots: 256 });
      const a = await SwapSpace.open({ slots: 256, device: devA, zswap: z, type: 0 });
      const b = await SwapSpace.open({ slots: 256, device: devB, zswap: z, type: 1 });
      await assert.rejects(
        SwapSpace.open({ slots: 8, device: new MemoryDevice({ slots: 8 }), zswap: z, type: 1 }),
        isCode(ZswapStateError, "ZSWAP_E_AREA"),
      );
      const liveA = new Map<SwapSlot, Uint8Array>();
      const liveB = new Map<SwapSlot, Uint8Array>();
      const pages = compressiblePages(400, 9000);
      for (let i = 0; i < pages.length; i += 2) {
        liveA.set(await a.swapOut(pages[i]!), pages[i]!);
        liveB.set(await b.swapOut(pages[i + 1]!), pages[i + 1]!);
        const st = z.stats();
        assert.ok(st.pool_total_size <= st.pool_limit_bytes, `pool ${st.pool_total_size}`);
      }
      await writebackSettled(a);
      assert.ok(z.stats().written_back_pages > 0);
      assert.equal(a.stats().swap_slots_used, 200);
      assert.equal(b.stats().swap_slots_used, 200);
      // Writeback put each space's pages on its own device: every page reads back.
      const check = async (s: SwapSpace, live: Map<SwapSlot, Uint8Array>, free: boolean) => {
        for (const [slot, p] of live) {
          const into = dirty();
          await s.swapIn(slot, into, { free });
          assert.deepEqual(into, p, `slot ${slot}`);
        }
      };
      await check(a, liveA, false);
      await check(b, liveB, false);
      await a.close();
      await assert.rejects(
        a.swapIn([...liveA.keys()][0]!, dirty()),
        isCode(ZswapStateError, "ZSWAP_E_CLOSED"),
      );
      // B goes on, writeback included: A's close did not stop the shared Zswap.
      const wb = z.stats().written_back_pages;
      for (const p of compressiblePages(40, 9500)) liveB.set(await b.swapOut(p), p);
      await writebackSettled(b);
      assert.ok(z.stats().written_back_pages > wb, "writeback goes on for B");
      await check(b, liveB, true);
      assert.equal(z.stats().stored_pages, 0);
      // A's area can be opened again.
      const a2 = await SwapSpace.open({
        slots: 8,
        device: new MemoryDevice({ slots: 8 }),
        zswap: z,
      });
      await a2.close();
      await b.close();
    });

    it("bad options are ZSWAP_E_OPTION and create nothing", async () => {
      const dir = await mkdtemp(join(tmpdir(), "zswap-options-"));
      // A folder that does not exist: had a file been made before the options were checked,
      // the error would be ENOENT (ZSWAP_E_IO), not ZSWAP_E_OPTION.
      const path = join(dir, "missing", "swap");
      const dev = new MemoryDevice({ slots: 8 });
      const cases: [string, SwapSpaceOptions][] = [
        ["slots 0", { slots: 0, path }],
        ["slots 1.5", { slots: 1.5, path }],
        ["slots missing", { path } as unknown as SwapSpaceOptions],
        ['whenFull "x"', { slots: 8, path, whenFull: "x" as "wait" }],
        [
          'whenFull "wait", writeback false',
          { slots: 8, path, whenFull: "wait", writeback: false },
        ],
        ['whenFull "wait", zswap false', { slots: 8, path, whenFull: "wait", zswap: false }],
        ["waitMs -1", { slots: 8, path, waitMs: -1 }],
        ["type 32", { slots: 8, path, type: 32 }],
        ["device smaller than slots", { slots: 9, device: dev }],
        ["path and device", { slots: 8, device: dev, path }],
        ["direct and device", { slots: 8, device: dev, direct: false }],
        ["bad zswap option", { slots: 8, path, zswap: { maxPoolBytes: -1 } }],
        ["unknown zswap option", { slots: 8, path, zswap: { bogus: 1 } as object }],
        ["reuse without a path", { slots: 8, reuse: true }],
        ["path and folder", { slots: 8, path, folder: dir }],
        ["a device that is not one", { slots: 8, device: { slots: 8 } as unknown as SwapDevice }],
        ["a device that is a string", { slots: 8, device: "x" as unknown as SwapDevice }],
        ["a null device", { slots: 8, device: null as unknown as SwapDevice }],
        ["a clock that is not one", { slots: 8, path, clock: {} as never }],
        ["an unknown option (a typo)", { slots: 8, path, whenfull: "wait" } as SwapSpaceOptions],
        ['writeback "no"', { slots: 8, path, writeback: "no" as never }],
        ["zswap null", { slots: 8, path, zswap: null as never }],
        // A shared Zswap runs on its own clock: this one would have been ignored.
        [
          "a clock beside a shared Zswap",
          { slots: 8, path, zswap: new Zswap(), clock: REAL_CLOCK },
        ],
        ['threads "2"', { slots: 8, path, threads: "2" as never }],
      ];
      try {
        for (const [what, opts] of cases) {
          await assert.rejects(
            SwapSpace.open(opts),
            isCode(ZswapArgumentError, "ZSWAP_E_OPTION"),
            what,
          );
        }
        await dev.write(0 as SwapOffset, randomPage()); // the refused opens left the device open
        // The same options, made good, do open.
        const s = await SwapSpace.open({ slots: 8, device: dev, whenFull: "wait" });
        await s.close();
      } finally {
        await dev.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe("device faults", () => {
    it("a failed device read is a ZswapIOError for that slot only; it reads back once the fault passes", async () => {
      const dev = new SwitchDevice(new MemoryDevice({ slots: 16 }), 2);
      const s = await SwapSpace.open({ slots: 16, device: dev, zswap: BIG_POOL });
      const onDevice = [randomPage(), randomPage()];
      const inZswap = compressiblePages(1, 110)[0];
      const d0 = await s.swapOut(onDevice[0]);
      const d1 = await s.swapOut(onDevice[1]);
      const z = await s.swapOut(inZswap);
      const zero = await s.swapOut(new Uint8Array(PAGE_SIZE));
      assert.equal(s.stats().pswpout, 2);

      dev.failReads = true;
      for (const free of [false, true]) {
        const before = s.stats();
        await assert.rejects(s.swapIn(d0, dirty(), { free }), (err) => {
          assert.ok(err instanceof ZswapIOError, String(err));
          assert.equal(err.code, "ZSWAP_E_IO");
          assert.equal(err.errno, "EIO");
          return true;
        });
        const after = s.stats();
        assert.equal(after.swap_slots_used, before.swap_slots_used, "the slot stays in use");
        assert.equal(after.pswpin, before.pswpin, "a failed read is not a swap-in");
        assert.equal(after.swap_io_in_flight, 0);
      }
      // The other slots are not affected: zswap and the zero map do not touch the device.
      let into = dirty();
      await s.swapIn(z, into);
      assert.deepEqual(into, inZswap);
      into = dirty();
      await s.swapIn(zero, into);
      assert.ok(isZero(into));

      dev.failReads = false;
      into = dirty();
      await s.swapIn(d0, into);
      assert.deepEqual(into, onDevice[0], "the slot that failed reads back its own page");
      into = dirty();
      await s.swapIn(d1, into, { free: true });
      assert.deepEqual(into, onDevice[1]);
      into = dirty();
      await s.swapIn(d0, into, { free: true });
      assert.deepEqual(into, onDevice[0]);
      assert.equal(s.stats().pswpin, 3);
      await s.close();
    });

    it("a failed write behind keeps the page in the swap cache; with every buffer held, swapOut writes through and rejects, giving the slot back", async () => {
      const slots = SWAP_WRITES_BEHIND_MAX + 8;
      const dev = new SwitchDevice(new MemoryDevice({ slots }), 3);
      const s = await SwapSpace.open({ slots, device: dev, zswap: false });
      const live = new Map<SwapSlot, Uint8Array>();
      const kept = randomPage();
      live.set(await s.swapOut(kept), kept);
      await s.flush();
      dev.failWrites = true;
      for (let i = 0; i < SWAP_WRITES_BEHIND_MAX; i++) {
        const p = randomPage();
        live.set(await s.swapOut(p), p); // written behind: the swap-out does not wait for it
      }
      await s.flush();
      let st = s.stats();
      assert.equal(st.swpout_fail, SWAP_WRITES_BEHIND_MAX, "every write behind failed");
      assert.equal(st.swap_cache_pages, SWAP_WRITES_BEHIND_MAX, "and its page stayed");
      for (const [slot, page] of live) {
        const into = dirty();
        await s.swapIn(slot, into);
        assert.deepEqual(into, page, `slot ${slot} while its write fails`);
      }
      assert.equal(s.stats().swpin_cache, SWAP_WRITES_BEHIND_MAX, "served from the swap cache");
      for (let i = 0; i < 5; i++) {
        const before = s.stats();
        await assert.rejects(s.swapOut(randomPage()), (err) => {
          assert.ok(err instanceof ZswapIOError, String(err));
          assert.equal(err.errno, "EIO");
          return true;
        });
        const after = s.stats();
        assert.equal(after.swap_slots_used, before.swap_slots_used, "the slot was given back");
        assert.equal(after.pswpout, before.pswpout);
        assert.equal(after.swap_io_in_flight, 0);
      }
      dev.failWrites = false;
      // A write that lands is the sign the device works: the pages held are written again.
      const p = randomPage();
      live.set(await s.swapOut(p), p);
      await s.flush();
      st = s.stats();
      assert.equal(st.swap_cache_pages, 0, "every page held was written at last");
      assert.equal(st.swpout_fail, SWAP_WRITES_BEHIND_MAX, "and no write failed again");
      for (const [slot, page] of live) {
        const into = dirty();
        await s.swapIn(slot, into, { free: true });
        assert.deepEqual(into, page, `slot ${slot} from the device`);
      }
      // Each page came back from the device, and `kept` once more before.
      assert.equal(s.stats().pswpin, live.size + 1);
      // No slot was leaked by the failures.
      for (let i = 0; i < slots; i++) await s.swapOut(randomPage());
      await assert.rejects(s.swapOut(randomPage()), isCode(ZswapStateError, "ZSWAP_E_FULL"));
      await s.close();
    });

    it("a full device (ENOSPC) holds swap-outs in the swap cache, then refuses them with its errno until it heals", async () => {
      const slots = SWAP_WRITES_BEHIND_MAX + 8;
      const dev = new FaultyDevice(new MemoryDevice({ slots }), { seed: 4, nospcAfterWrites: 3 });
      const s = await SwapSpace.open({ slots, device: dev, zswap: BIG_POOL });
      const live = new Map<SwapSlot, Uint8Array>();
      const out = async (p: Uint8Array) => live.set(await s.swapOut(p), p);
      for (let i = 0; i < 3 + SWAP_WRITES_BEHIND_MAX; i++) await out(randomPage());
      await s.flush();
      assert.equal(s.stats().swpout_fail, SWAP_WRITES_BEHIND_MAX);
      const late = randomPage();
      await assert.rejects(
        s.swapOut(late),
        (err) => err instanceof ZswapIOError && err.errno === "ENOSPC",
      );
      assert.equal(s.stats().swap_slots_used, live.size);
      await out(compressiblePages(1, 120)[0]); // zswap still takes what it can
      dev.heal();
      await out(late);
      await s.flush();
      // The healed device takes 3 writes (late's, then two of the pages held, written again)
      // before it is full once more: the others stay held, readable.
      assert.equal(s.stats().swap_cache_pages, SWAP_WRITES_BEHIND_MAX - 2);
      for (const [slot, page] of live) {
        const into = dirty();
        await s.swapIn(slot, into, { free: true });
        assert.deepEqual(into, page, `slot ${slot}`);
      }
      await s.close();
      await dev.close();
    });

    it("a failed writeback keeps the page in the pool; writeback succeeds once the device heals", async () => {
      const dev = new SwitchDevice(new MemoryDevice({ slots: 512 }), 5);
      const s = await SwapSpace.open({
        slots: 512,
        device: dev,
        zswap: { maxPoolBytes: 16 * PAGE_SIZE, compressor: "lz4", writebacksInFlightMax: 4 },
      });
      const live = new Map<SwapSlot, Uint8Array>();
      const pool = () => {
        const st = s.stats();
        assert.ok(st.pool_total_size! <= st.pool_limit_bytes!, `pool ${st.pool_total_size}`);
      };
      const swapOutKeep = async (p: Uint8Array, failOk: boolean) => {
        try {
          live.set(await s.swapOut(p), p);
        } catch (err) {
          assert.ok(failOk && err instanceof ZswapIOError, String(err));
        }
        pool();
      };
      dev.failWrites = true;
      for (const p of compressiblePages(150, 1000)) await swapOutKeep(p, true);
      await writebackSettled(s);
      let st = s.stats();
      assert.ok(st.pool_limit_hit! > 0, "the pool filled");
      assert.ok(st.writeback_fail! > 0, "writeback was tried and failed");
      assert.equal(st.written_back_pages, 0);
      assert.equal(st.zswpwb, 0);
      assert.equal(st.pswpout, st.swpout_fail, "every page written behind failed too");
      assert.equal(
        st.stored_pages! + st.swap_cache_pages,
        live.size,
        "every live page is still in the pool or the swap cache",
      );
      for (const [slot, page] of live) {
        const into = dirty();
        await s.swapIn(slot, into);
        assert.deepEqual(into, page, `slot ${slot} after failed writebacks`);
      }
      const failed = s.stats().writeback_fail;

      dev.failWrites = false;
      // Writeback retries by itself (after its backoff); more swap-outs also kick it.
      for (let i = 0; i < 500 && s.stats().written_back_pages === 0; i++) {
        if (i % 10 === 0) await swapOutKeep(compressiblePages(1, 5000 + i)[0], false);
        await sleep(10);
      }
      await writebackSettled(s);
      st = s.stats();
      assert.ok(st.written_back_pages! > 0, "writeback succeeded after the device healed");
      assert.equal(st.writeback_fail, failed, "no writeback failed after the device healed");
      for (const [slot, page] of live) {
        const into = dirty();
        await s.swapIn(slot, into, { free: true });
        assert.deepEqual(into, page, `slot ${slot} after writeback`);
        pool();
      }
      st = s.stats();
      assert.ok(st.pswpin > 0, "some pages came back from the device");
      assert.equal(st.swap_slots_used, 0);
      await s.close();
    });
  });

  describe("writeback", () => {
    it("a small pool writes its oldest pages back, stays in bounds, and loses nothing", async () => {
      const pages = realisticPages(200, 500, 9);
      const s = await SwapSpace.open({
        slots: pages.length,
        zswap: { maxPoolBytes: 64 * PAGE_SIZE, compressor: "lz4", writebacksInFlightMax: 8 },
      });
      const pool = (when: string) => {
        const st = s.stats();
        assert.ok(
          st.pool_total_size! <= st.pool_limit_bytes!,
          `${when}: pool ${st.pool_total_size}`,
        );
        assert.ok(
          st.outstanding_writebacks! <= 8,
          `${when}: ${st.outstanding_writebacks} in flight`,
        );
      };
      const slots: SwapSlot[] = [];
      for (const [i, p] of pages.entries()) {
        slots.push(await s.swapOut(p));
        pool(`swapOut ${i}`);
      }
      assert.ok(s.stats().written_back_pages! > 0, "writeback ran while swapping out");
      for (const [i, slot] of slots.entries()) {
        const into = dirty();
        await s.swapIn(slot, into, { free: true });
        assert.deepEqual(into, pages[i], `page ${i}`);
        pool(`swapIn ${i}`);
      }
      await writebackSettled(s);
      const st = s.stats();
      assert.ok(st.written_back_pages! > 0);
      assert.equal(st.writeback_fail, 0);
      assert.equal(st.zswpwb, st.written_back_pages);
      assert.ok(st.zswpin! > 0, "some pages came back from zswap");
      assert.ok(st.pswpin > st.pswpout, "some written-back pages came back from the device");
      // Every page went one way and came back the same way.
      assert.equal(st.zswpin! + st.written_back_pages!, st.zswpout);
      assert.equal(st.pswpin, st.pswpout + st.written_back_pages!);
      assert.equal(st.swpin_zero, st.swpout_zero);
      assert.equal(st.swap_slots_used, 0);
      await s.close();
    });
  });

  describe("writeback, run in a worker (a regression here is an infinite loop: it fails, not hangs)", () => {
    it("a writeback that completes after its LRU neighbours were swapped in leaves the LRU whole", () =>
      isolated("lruAfterWriteback"));
    it("entries that no longer decompress are reported on swapIn and do not stall writeback", () =>
      isolated("corruptEntries"));
  });
}

// --- scenarios run in a worker thread, watched from the test ---

/** A memory device whose writes complete only when released. */
class GateDevice extends MemoryDevice {
  hold = true;
  private readonly held: (() => void)[] = [];
  override write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    const done = super.write(slot, page);
    if (!this.hold) return done;
    return new Promise<void>((resolve) => this.held.push(resolve)).then(() => done);
  }
  release(): void {
    this.hold = false;
    for (const resolve of this.held.splice(0)) resolve();
  }
}

const scenarios: Record<string, () => Promise<void>> = {
  /**
   * Writeback takes the oldest entry off the LRU; its neighbours are then swapped in (freed)
   * while its write is held; then the write completes. The entry must leave through the index
   * only: unlinking it again through its stale links would splice freed rows into the LRU.
   */
  async lruAfterWriteback() {
    const dev = new GateDevice({ slots: 256 });
    const s = await SwapSpace.open({
      slots: 256,
      device: dev,
      zswap: { maxPoolBytes: 32 * PAGE_SIZE, compressor: "lz4", writebacksInFlightMax: 1 },
    });
    const z = s.zswap!;
    const live = new Map<SwapSlot, Uint8Array>();
    const outs: Promise<unknown>[] = [];
    const pages = compressiblePages(256, 3000);
    let next = 0;
    while (s.stats().outstanding_writebacks === 0) {
      const p = pages[next++]!;
      outs.push(s.swapOut(p).then((slot) => live.set(slot, p)));
    }
    await immediate(); // the swap-outs zswap took resolve; those sent to the device are held
    let underWriteback = -1;
    for (let e = 1; e < Zswap.unsafeExposeInternals(z).entries.capacity; e++) {
      if (Zswap.unsafeExposeInternals(z).entries.flags[e] & WRITEBACK)
        underWriteback = Zswap.unsafeExposeInternals(z).entries.offset[e]!;
    }
    assert.ok(underWriteback >= 0 && live.has(underWriteback as SwapSlot));
    for (const [slot, p] of [...live]) {
      if (slot === underWriteback) continue;
      const into = dirty();
      await s.swapIn(slot, into, { free: true });
      assert.deepEqual(into, p);
      live.delete(slot);
    }
    dev.release();
    await Promise.all(outs);
    await writebackSettled(s);
    assert.ok(s.stats().written_back_pages! >= 1);
    assert.equal(lruProblem(z), undefined);
    // And the cache goes on working: three pools' worth more, all back byte for byte.
    for (const p of pages.slice(next, next + 96)) live.set(await s.swapOut(p), p);
    assert.equal(lruProblem(z), undefined);
    for (const [slot, p] of live) {
      const into = dirty();
      await s.swapIn(slot, into, { free: true });
      assert.deepEqual(into, p, `slot ${slot}`);
    }
    await writebackSettled(s);
    assert.equal(lruProblem(z), undefined);
    await s.close();
  },

  /**
   * Every entry in the pool is corrupted (through the test hook) just before the pool fills:
   * writeback cannot read any of them. It must give up on them (decompress_fail) and let the
   * store path go on; each corrupted slot's swapIn is a ZswapDataError, never wrong bytes.
   */
  async corruptEntries() {
    const s = await SwapSpace.open({
      slots: 256,
      device: new MemoryDevice({ slots: 256 }),
      // Once full, reclaim until 10% full: past the corrupt entries, so writeback keeps wanting.
      zswap: {
        maxPoolBytes: 32 * PAGE_SIZE,
        compressor: "lz4",
        writebacksInFlightMax: 4,
        acceptThresholdPercent: 10,
      },
    });
    const z = s.zswap!;
    const pages = compressiblePages(200, 4000);
    const corrupt = new Map<SwapSlot, Uint8Array>();
    let next = 0;
    while (s.stats().pool_total_size! < s.stats().pool_limit_bytes! * 0.75) {
      const p = pages[next++]!;
      corrupt.set(await s.swapOut(p), p);
    }
    assert.equal(s.stats().outstanding_writebacks, 0, "no writeback yet");
    assert.equal(s.stats().stored_pages, corrupt.size);
    entriesCorrupt(z);
    const good = new Map<SwapSlot, Uint8Array>();
    for (const p of pages.slice(next, next + 60)) good.set(await s.swapOut(p), p);
    const st = s.stats();
    assert.ok(st.pool_limit_hit! > 0, "the pool filled");
    assert.ok(st.decompress_fail! > 0, "writeback found the corrupt entries");
    assert.ok(st.stored_pages! >= corrupt.size, "the corrupt entries stay (for swapIn to report)");
    for (const [slot, p] of good) {
      const into = dirty();
      await s.swapIn(slot, into, { free: true });
      assert.deepEqual(into, p, `good slot ${slot}`);
    }
    for (const slot of corrupt.keys()) {
      const into = dirty();
      await assert.rejects(s.swapIn(slot, into), isCode(ZswapDataError, "ZSWAP_E_CORRUPT"));
      s.free(slot);
    }
    assert.equal(s.stats().stored_pages, 0);
    const p = pages[199]!;
    const slot = await s.swapOut(p);
    const into = dirty();
    await s.swapIn(slot, into);
    assert.deepEqual(into, p, "the cache works on");
    await s.close();
  },
};

/** Runs scenario `name` in a worker; fails if it throws or does not finish within `ms`. */
function isolated(name: string, ms = 20_000): Promise<void> {
  return inWorker(import.meta.url, name, ms);
}

// Last, once everything above is defined: the tests in the main thread, a scenario in a worker.
if (await isTestThread(scenarios)) testsDeclare();
