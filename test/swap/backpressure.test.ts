// Backpressure: with whenFull "wait", a store that finds the pool full waits for writeback to make
// room instead of going to the device, so under a working set twice the pool the device receives
// pages only through writeback. With "reject" the same workload sends pages straight to the
// device. Only counters are checked, never times; the wait bound is generous so that it holds on
// a slow machine (when it does not, reject_reclaim_fail says so and the test fails).

import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { setImmediate as immediate } from "node:timers/promises";
import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE, WRITEBACK_SCAN_MAX } from "../../src/constants.ts";
import { FileDevice, MemoryDevice, type SwapDevice } from "../../src/device/index.ts";
import { Random } from "../../src/random.ts";
import { type SwapSlot, SwapSpace, type SwapSpaceStats } from "../../src/swap/index.ts";
import { generatePage } from "../../src/workload/generate.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { entriesCorrupt } from "../zswap/consistency.ts";

/** The pool: 128 pages, so that its accept threshold (90%) leaves room for any zspage (8 pages). */
const POOL_PAGES = 128;
/** A pool so small that a zspage may not fit below the accept threshold. */
const SMALL_POOL_PAGES = 32;
const COMPRESSOR = "lz4";
const IN_FLIGHT_MAX = 8;
const BATCH = 16;
const ROUNDS = 4;

/**
 * Text and pointer pages (nonzero, compressible) whose compressed sizes add up to twice the
 * pool: the working set of the test.
 */
function workingSet(poolPages: number): Uint8Array[] {
  const codec = compressorCreate(COMPRESSOR);
  const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
  const pages: Uint8Array[] = [];
  for (let bytes = 0, i = 0; bytes < 2 * poolPages * PAGE_SIZE; i++) {
    const p = new Uint8Array(PAGE_SIZE);
    generatePage(i % 2 === 0 ? "text" : "pointers", 7000 + i, p);
    const n = codec.compress(p, dst, Math.floor(PAGE_SIZE * 0.8));
    assert.ok(n > 0, "a working-set page compresses");
    bytes += n;
    pages.push(p);
  }
  return pages;
}

const pages = workingSet(POOL_PAGES);
const smallPages = workingSet(SMALL_POOL_PAGES);

/**
 * Swaps out every page not out yet, BATCH at a time concurrently, then swaps in (and frees) a
 * seeded half of the pages out, ROUNDS times, then the rest; every swap-in is checked byte for
 * byte, and `check` runs after every step. Returns the final stats.
 */
async function cycle(
  s: SwapSpace,
  check: (st: SwapSpaceStats) => void,
  pages: Uint8Array[],
): Promise<SwapSpaceStats> {
  const out = new Map<number, SwapSlot>(); // page index -> slot
  const r = new Random(99);
  for (let round = 0; round < ROUNDS; round++) {
    const todo = pages.map((_, i) => i).filter((i) => !out.has(i));
    for (let b = 0; b < todo.length; b += BATCH) {
      const idx = todo.slice(b, b + BATCH);
      const slots = await Promise.all(idx.map((i) => s.swapOut(pages[i])));
      for (const [k, i] of idx.entries()) out.set(i, slots[k]!);
      check(s.stats());
    }
    for (const [i, slot] of [...out]) {
      if (!r.chance(0.5)) continue;
      const into = new Uint8Array(PAGE_SIZE);
      await s.swapIn(slot, into, { free: true });
      assert.deepEqual(into, pages[i], `round ${round}: page ${i} came back changed`);
      out.delete(i);
      check(s.stats());
    }
  }
  for (const [i, slot] of out) {
    const into = new Uint8Array(PAGE_SIZE);
    await s.swapIn(slot, into, { free: true });
    assert.deepEqual(into, pages[i], `page ${i} came back changed`);
  }
  const st = s.stats();
  await s.close();
  return st;
}

function inBounds(st: SwapSpaceStats): void {
  assert.ok(st.pool_total_size! <= st.pool_limit_bytes!, `pool ${st.pool_total_size}`);
  assert.ok(st.outstanding_writebacks! <= IN_FLIGHT_MAX, `${st.outstanding_writebacks} in flight`);
}

async function space(
  device: SwapDevice,
  whenFull: "wait" | "reject",
  { waitMs = 10_000, poolPages = POOL_PAGES } = {},
): Promise<SwapSpace> {
  return SwapSpace.open({
    slots: device.slots,
    device,
    whenFull,
    waitMs,
    zswap: {
      maxPoolBytes: poolPages * PAGE_SIZE,
      compressor: COMPRESSOR,
      writebacksInFlightMax: IN_FLIGHT_MAX,
    },
  });
}

const devices: [string, () => Promise<SwapDevice>][] = [
  ["memory", async () => new MemoryDevice({ slots: pages.length })],
  ["file", () => FileDevice.open({ slots: pages.length })],
];

describe(`a working set of ${pages.length} pages, twice a pool of ${POOL_PAGES} pages`, () => {
  for (const [name, make] of devices) {
    it(`"wait": the device gets pages only through writeback (${name} device)`, async () => {
      const device = await make();
      const st = await cycle(await space(device, "wait"), inBounds, pages);
      await device.close();
      const summary = JSON.stringify(st);
      assert.equal(st.reject_reclaim_fail, 0, `the wait bound held: ${summary}`);
      assert.equal(st.pswpout, 0, `no page went to the device around zswap: ${summary}`);
      assert.equal(st.pool_limit_hit, 0, summary);
      assert.ok(st.written_back_pages! > 0, summary);
      assert.ok(st.saved_by_writeback! > 0, `stores waited for room: ${summary}`);
      assert.equal(st.zswpout, st.zswpin! + st.written_back_pages!, summary);
      assert.equal(st.pswpin, st.written_back_pages, summary);
      assert.equal(st.writeback_waiters, 0, summary);
    });

    it(`"reject": the same workload sends pages straight to the device (${name} device)`, async () => {
      const device = await make();
      const st = await cycle(await space(device, "reject"), inBounds, pages);
      await device.close();
      const summary = JSON.stringify(st);
      assert.ok(st.pswpout > 0, summary);
      assert.ok(st.pool_limit_hit! > 0, summary);
      assert.equal(st.saved_by_writeback, 0, summary);
      assert.equal(st.pswpin, st.pswpout + st.written_back_pages!, summary);
    });
  }

  it(`"wait" with a pool of ${SMALL_POOL_PAGES} pages: still only writeback reaches the device`, async () => {
    const device = new MemoryDevice({ slots: smallPages.length });
    const s = await space(device, "wait", { poolPages: SMALL_POOL_PAGES });
    const st = await cycle(s, inBounds, smallPages);
    assert.equal(st.reject_reclaim_fail, 0, JSON.stringify(st));
    assert.equal(st.pswpout, 0, JSON.stringify(st));
  });

  it(`"wait": a store that finds others waiting while the pool has room does not spin`, async () => {
    // Held writes keep writebacks in flight while stores queue up; then swap-ins free pool pages,
    // so the pool has room while stores still wait. A new swap-out must be woken with them or
    // queue behind them: a loop on an already-resolved wait holds the event loop until its
    // deadline, then gives up (reject_reclaim_fail) and sends the page to the device.
    const held: (() => void)[] = [];
    let holding = true;
    const gate: SwapDevice = new (class extends MemoryDevice {
      override write(slot: Parameters<MemoryDevice["write"]>[0], page: Uint8Array): Promise<void> {
        const done = super.write(slot, page);
        if (!holding) return done;
        return new Promise<void>((resolve) => held.push(resolve)).then(() => done);
      }
    })({ slots: smallPages.length });
    const s = await space(gate, "wait", { waitMs: 5_000, poolPages: SMALL_POOL_PAGES });
    const live = new Map<SwapSlot, Uint8Array>();
    const outs: Promise<unknown>[] = [];
    let next = 0;
    while (s.stats().writeback_waiters! < 3 && next < smallPages.length - 1) {
      const p = smallPages[next++]!;
      outs.push(s.swapOut(p).then((slot) => live.set(slot, p)));
    }
    assert.equal(s.stats().writeback_waiters, 3, "stores wait for writeback");
    await immediate(); // the swap-outs zswap took resolve; the waiting ones wait on held writes
    for (const [slot, p] of [...live]) {
      const into = new Uint8Array(PAGE_SIZE);
      await s.swapIn(slot, into, { free: true });
      assert.deepEqual(into, p);
      live.delete(slot);
    }
    assert.ok(s.stats().stored_pages! < 4, "the pool has room");
    assert.equal(s.stats().writeback_waiters, 3, "stores still wait");
    const last = smallPages[next]!;
    outs.push(s.swapOut(last).then((slot) => live.set(slot, last)));
    await immediate();
    holding = false;
    for (const resolve of held.splice(0)) resolve();
    await Promise.all(outs);
    const st = s.stats();
    assert.equal(st.reject_reclaim_fail, 0, JSON.stringify(st));
    assert.equal(st.writeback_waiters, 0);
    for (const [slot, p] of live) {
      const into = new Uint8Array(PAGE_SIZE);
      await s.swapIn(slot, into, { free: true });
      assert.deepEqual(into, p);
    }
    await s.close();
  });
});

// Progress of the `wait` policy. New entries enter the LRU referenced (their second chance), so a
// pool filled by more fresh entries than one writeback scan looks at gives a scan nothing to
// start. Writeback must go on scanning while stores wait, and a wait must end by writeback, or at
// once when nothing can be written back: never by the clock. setTimeout is mocked and never
// advanced, so a wait that could end only by its timer never ends; `settled` allows a fixed
// number of event-loop turns, a number fixed by the code alone.

/** A page that is one 32-byte pool object (a counter, then one repeated byte: 30 bytes with lz4). */
function tinyPage(i: number): Uint8Array {
  const p = new Uint8Array(PAGE_SIZE).fill(1 + (i % 251));
  new DataView(p.buffer).setUint32(0, i, true);
  return p;
}

/** Tiny entries a full pool holds: two scans' worth. */
const TINY_POOL_ENTRIES = 2 * WRITEBACK_SCAN_MAX;
const TINY_POOL_BYTES = TINY_POOL_ENTRIES * 32;
const TURNS_MAX = 10_000;
/** The longest wait allowed: the swap layer's deadline reads the real clock, which must not end it. */
const WAIT_MS = 60_000;

/** Resolves p, failing if it needs more than TURNS_MAX turns of the event loop. */
async function settled<T>(p: Promise<T>, what: string): Promise<T> {
  let done = false;
  const flag = () => {
    done = true;
  };
  p.then(flag, flag);
  for (let i = 0; i < TURNS_MAX && !done; i++) await immediate();
  assert.ok(done, `${what} did not settle while the clock stood still`);
  return p;
}

/**
 * Fills a pool shared by two areas to 95% through area 0, lets `spoil` make every entry
 * unwritable and halve the bound; a "wait" store into area 1 (which has a device) must then be
 * told at once that nothing can make room, and go to the device.
 */
async function hopeless(
  t: TestContext,
  areaZeroWriteback: boolean,
  spoil: (z: Zswap) => void,
): Promise<SwapSpaceStats> {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const z = new Zswap({
    maxPoolBytes: TINY_POOL_BYTES,
    compressor: COMPRESSOR,
    writebacksInFlightMax: IN_FLIGHT_MAX,
  });
  const fill = await SwapSpace.open({
    slots: TINY_POOL_ENTRIES,
    device: new MemoryDevice({ slots: TINY_POOL_ENTRIES }),
    zswap: z,
    writeback: areaZeroWriteback,
  });
  let i = 0;
  while (z.stats().pool_total_size < TINY_POOL_BYTES * 0.95) await fill.swapOut(tinyPage(i++));
  spoil(z);
  z.configure({ maxPoolBytes: TINY_POOL_BYTES / 2 });
  const waiter = await SwapSpace.open({
    slots: 1,
    device: new MemoryDevice({ slots: 1 }),
    zswap: z,
    type: 1,
    whenFull: "wait",
    waitMs: WAIT_MS,
  });
  await settled(waiter.swapOut(tinyPage(i)), "a swap-out with nothing to write back");
  const st = waiter.stats();
  const summary = JSON.stringify(st);
  assert.equal(st.reject_reclaim_fail, 1, summary);
  assert.equal(st.pswpout, 1, `the page went to the device: ${summary}`);
  assert.equal(st.written_back_pages, 0, summary);
  assert.equal(st.writeback_waiters, 0, summary);
  await waiter.close();
  await fill.close();
  return st;
}

describe(`"wait" with a pool of fresh entries, two scans' worth (${TINY_POOL_ENTRIES})`, () => {
  it("writeback runs while stores wait; no wait ends by its timer", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const count = 3 * TINY_POOL_ENTRIES;
    const s = await SwapSpace.open({
      slots: count,
      device: new MemoryDevice({ slots: count }),
      whenFull: "wait",
      waitMs: WAIT_MS,
      zswap: {
        maxPoolBytes: TINY_POOL_BYTES,
        compressor: COMPRESSOR,
        writebacksInFlightMax: IN_FLIGHT_MAX,
        shrinkerEnabled: false,
      },
    });
    // One swap-out at a time, as a program's loop does: each wait has only its own kick.
    const slots: SwapSlot[] = [];
    let storedAtFirstWait = 0;
    for (let i = 0; i < count; i++) {
      const out = s.swapOut(tinyPage(i));
      const st = s.stats();
      if (storedAtFirstWait === 0 && st.writeback_waiters! > 0) {
        storedAtFirstWait = st.stored_pages!;
        assert.equal(st.written_back_pages, 0, "the pool filled before any writeback");
      }
      slots.push(await settled(out, `swap-out ${i}`));
    }
    t.mock.timers.tick(WAIT_MS); // a wait still pending would time out now
    const st = s.stats();
    const summary = JSON.stringify(st);
    assert.ok(storedAtFirstWait > WRITEBACK_SCAN_MAX, `fresh entries filled the pool: ${summary}`);
    assert.equal(st.reject_reclaim_fail, 0, `no wait timed out: ${summary}`);
    assert.equal(st.pswpout, 0, summary);
    assert.ok(st.written_back_pages! > 0, summary);
    assert.equal(st.zswpout, st.stored_pages! + st.written_back_pages!, summary);
    assert.equal(st.zswpwb, st.written_back_pages, summary);
    assert.ok(st.saved_by_writeback! > 0, summary);
    for (const [i, slot] of slots.entries()) {
      const into = new Uint8Array(PAGE_SIZE);
      await s.swapIn(slot, into, { free: true });
      assert.deepEqual(into, tinyPage(i), `page ${i}`);
    }
    await s.close();
  });

  it("every entry in an area without a device: the wait ends at once", async (t) => {
    await hopeless(t, false, () => {});
  });

  it("every entry corrupt: the wait ends at once", async (t) => {
    const st = await hopeless(t, true, (z) => entriesCorrupt(z));
    // Each entry was decompressed once, then passed by as CORRUPT.
    assert.equal(st.decompress_fail, st.stored_pages, JSON.stringify(st));
  });
});
