// Every await in writeback, load, invalidate and slot reuse, in the orders fast-check's
// scheduler finds. Each scenario ends by checking that every live slot reads back its last page.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { PAGE_SIZE } from "../../src/constants.ts";
import { ZswapError, ZswapIOError } from "../../src/errors.ts";
import { type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { zswapCheck } from "../zswap/consistency.ts";
import { ScheduledDevice } from "./scheduled-device.ts";

/** fc.assert, but the failure's own error (hidden by the scheduler's report) is what is thrown. */
async function check(property: fc.IAsyncProperty<unknown[]>, params: fc.Parameters<unknown[]>) {
  const out = await fc.check(property, params);
  if (!out.failed) return;
  const err =
    out.errorInstance instanceof Error ? out.errorInstance : new Error(String(out.errorInstance));
  err.message += `\n  reproduce with { seed: ${out.seed}, path: "${out.counterexamplePath}" }\n  ${fc.stringify(out.counterexample)}`;
  throw err;
}

const RUNS = Number(process.env.ZSWAP_INTERLEAVING_RUNS ?? 60);
// Compressible, nonzero pages: text and pointer-heavy ones from the generator.
const pages = generatePages(400, 11)
  .filter((p) => p.some((b) => b !== 0))
  .slice(0, 160);
const SLOTS = 256;
/** A pool of 24 pages holds ~40 of these pages: writeback starts after a handful of stores. */
const POOL = { maxPoolBytes: 24 * PAGE_SIZE, compressor: "lz4", writebacksInFlightMax: 4 };

/**
 * A space on a scheduled device. Without codec threads (the default here) stores are synchronous,
 * so the scheduler orders every await; with them, pages also come back from the threads
 * whenever they are done, outside the scheduler.
 */
async function space(
  s: fc.Scheduler,
  slots = SLOTS,
  threads = 0,
): Promise<{ sp: SwapSpace; dev: ScheduledDevice }> {
  const dev = new ScheduledDevice(s, slots);
  const sp = await SwapSpace.open({ slots, device: dev, zswap: POOL, threads });
  return { sp, dev };
}

/** Runs with codec threads: each starts two threads, so fewer runs. */
const THREADED_RUNS = Math.max(1, Math.ceil(RUNS / 4));

/**
 * Swaps out n pages, all at once (stores are synchronous; device writes and writebacks pile up
 * on the scheduler). A swap-out that the device fails is not live; any other failure is a bug.
 */
function fill(
  sp: SwapSpace,
  n: number,
): { live: Map<SwapSlot, Uint8Array>; done: Promise<unknown> } {
  const live = new Map<SwapSlot, Uint8Array>();
  const outs = [];
  for (let i = 0; i < n; i++) {
    const page = pages[i % pages.length];
    outs.push(
      sp.swapOut(page).then(
        (slot) => live.set(slot, page),
        (err) => {
          if (!(err instanceof ZswapIOError)) throw err;
        },
      ),
    );
  }
  return { live, done: Promise.all(outs) };
}

type Quiet = { outstanding_writebacks?: number; swap_io_in_flight?: number };
const quiet = (st: Quiet) => !st.outstanding_writebacks && !st.swap_io_in_flight;

/**
 * Runs the scheduler until `until` has settled and, unless sp is null, no I/O is in flight.
 * Between scheduler rounds it yields to the event loop, so that work waiting on microtasks or
 * on writeback's backoff timer can schedule its next I/O.
 */
async function settle(
  s: fc.Scheduler,
  sp: { stats(): Quiet } | null,
  until: Promise<unknown> = Promise.resolve(),
): Promise<void> {
  let done = false;
  until.then(
    () => (done = true),
    () => (done = true),
  );
  for (;;) {
    if (s.count() > 0) await s.waitAll();
    else if (done && (sp === null || quiet(sp.stats()))) return;
    else await new Promise((r) => setImmediate(r));
  }
}

async function checkAll(s: fc.Scheduler, sp: SwapSpace, live: Map<SwapSlot, Uint8Array>) {
  const into = new Uint8Array(PAGE_SIZE);
  for (const [slot, page] of live) {
    const read = sp.swapIn(slot, into);
    await settle(s, null, read);
    await read;
    assert.deepEqual(into, page, `slot ${slot} lost its page`);
  }
}

/** Swap-ins of the first live slots, each scheduled; frees[i] frees the i-th as it is read. */
function scheduledReads(
  s: fc.Scheduler,
  sp: SwapSpace,
  live: Map<SwapSlot, Uint8Array>,
  frees: readonly boolean[],
): Promise<void>[] {
  return [...live.keys()].slice(0, frees.length).map((slot, i) =>
    s.schedule(Promise.resolve(), `swapIn ${slot}`).then(async () => {
      const into = new Uint8Array(PAGE_SIZE);
      await sp.swapIn(slot, into, { free: frees[i] });
      assert.deepEqual(into, live.get(slot));
      if (frees[i]) live.delete(slot);
    }),
  );
}

describe("interleavings", () => {
  it("swap-ins during writeback return the page, from the pool or the device", async () => {
    await check(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        async (s, frees) => {
          const { sp } = await space(s);
          const { live, done } = fill(sp, 80);
          for (let i = 0; i < 4; i++) await Promise.resolve(); // zswap's stores settle
          assert.ok(sp.stats().outstanding_writebacks! > 0, "writeback is in flight");
          const reads = scheduledReads(s, sp, live, frees);
          const all = Promise.all([...reads, done]);
          await settle(s, sp, all);
          await all;
          await checkAll(s, sp, live);
          await settle(s, null, sp.close());
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("a slot freed and reused while its old page's writeback is in flight keeps the new page", async () => {
    await check(
      fc.asyncProperty(
        fc.scheduler(),
        fc.nat(),
        fc.integer({ min: 1, max: 4 }),
        async (s, pick, n) => {
          // Two slots to spare: new pages take them, then wrap around to the freed slot.
          const { sp, dev } = await space(s, 82);
          const { live, done } = fill(sp, 80);
          for (let i = 0; i < 4; i++) await Promise.resolve();
          // A slot whose old page is being written back right now.
          const busy = dev.writing.filter((slot) => live.has(slot as SwapSlot));
          assert.ok(busy.length > 0, "a writeback is in flight");
          const slot = busy[pick % busy.length] as SwapSlot;
          // Incompressible new pages: zswap declines them, so they go to the device directly and
          // would race the old page's write if the slot were handed out again too early.
          const fresh = Array.from({ length: n }, () => new Uint8Array(randomBytes(PAGE_SIZE)));
          const ops = s
            .schedule(Promise.resolve(), `free ${slot}, swap out ${n} new pages`)
            .then(async () => {
              sp.free(slot);
              live.delete(slot);
              for (const page of fresh) {
                try {
                  live.set(await sp.swapOut(page), page);
                } catch (err) {
                  // Full is right only when every slot is in use: a free slot whose old write
                  // is still in flight is waited for.
                  const full = err instanceof ZswapError && err.code === "ZSWAP_E_FULL";
                  if (!full || sp.stats().swap_slots_used < 82) throw err;
                }
              }
            });
          const all = Promise.all([ops, done]);
          await settle(s, sp, all);
          await all;
          await checkAll(s, sp, live);
          await settle(s, null, sp.close());
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("device write failures in the middle of writeback lose nothing", async () => {
    await check(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
        async (s, fails) => {
          const { sp, dev } = await space(s);
          dev.failWrite = (n) => fails[n % fails.length];
          const { live, done } = fill(sp, 100);
          await settle(s, sp, done);
          const st = sp.stats();
          if (fails.some((f) => f)) assert.ok(st.writeback_fail! + st.written_back_pages! > 0);
          await checkAll(s, sp, live);
          await settle(s, null, sp.close());
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("with codec threads: swap-outs and swap-ins during writeback, device I/O in any order, lose nothing", async () => {
    await check(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
        async (s, frees) => {
          const { sp } = await space(s, SLOTS, 2);
          const first = fill(sp, 80); // 80 calls in one turn: they go to the threads
          await settle(s, sp, first.done);
          assert.equal(sp.stats().swap_codec_threads, 2, "the swap-outs went to the threads");
          const live = first.live;
          // More pages out (writeback running, their stores coming back from the threads)
          // while swap-ins of the first ones are scheduled among the device's I/O.
          const second = fill(sp, 40);
          const reads = scheduledReads(s, sp, live, frees);
          const all = Promise.all([...reads, second.done]);
          await settle(s, sp, all);
          await all;
          for (const [slot, page] of second.live) live.set(slot, page);
          await checkAll(s, sp, live);
          await settle(s, null, sp.close());
          assert.equal(sp.stats().swap_codec_threads, 0, "close() stopped the threads");
        },
      ),
      { numRuns: THREADED_RUNS },
    );
  });

  it("close during writeback waits for the I/O in flight and then refuses calls", async () => {
    await check(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const { sp, dev } = await space(s);
        const { done } = fill(sp, 80);
        const closing = s.schedule(Promise.resolve(), "close").then(() => sp.close());
        await settle(s, { stats: () => ({}) }, Promise.allSettled([closing, done]));
        await closing;
        assert.equal(dev.inFlight, 0, "close resolved with I/O in flight");
        await assert.rejects(
          sp.swapOut(pages[0]),
          (e: unknown) => e instanceof ZswapError && e.code === "ZSWAP_E_CLOSED",
        );
      }),
      { numRuns: RUNS },
    );
  });
});

describe("interleavings on the zswap hooks", () => {
  it("a second store, an invalidate or a swapoff while the slot is under writeback: the newest data wins", async () => {
    await check(
      fc.asyncProperty(
        fc.scheduler(),
        fc.nat(),
        fc.constantFrom("store", "invalidate", "swapoff"),
        async (s, pick, op) => {
          const dev = new ScheduledDevice(s, SLOTS);
          const z = new Zswap(POOL);
          z.swapon(0, SLOTS, dev);
          const held = new Map<number, Uint8Array>();
          for (let i = 0; i < 60; i++) if (z.store(0, i, pages[i])) held.set(i, pages[i]);
          await Promise.resolve();
          assert.ok(dev.writing.length > 0, "a writeback is in flight");
          pick = dev.writing[pick % dev.writing.length]; // a slot under writeback
          const fresh = pages[150];
          const step = s.schedule(Promise.resolve(), `${op} ${pick}`).then(() => {
            if (op === "store") {
              if (z.store(0, pick, fresh)) held.set(pick, fresh);
              else held.delete(pick);
            } else if (op === "invalidate") {
              z.invalidate(0, pick);
              held.delete(pick);
            } else {
              // The area goes with writebacks in flight; they end on orphaned rows.
              z.swapoff(0);
              held.clear();
              z.swapon(0, SLOTS, dev);
            }
          });
          await settle(s, z, step);
          // Write everything back: the device must then hold the newest data of every slot.
          z.configure({ maxPoolBytes: 0, shrinkerEnabled: true, shrinkerTargetPercent: 0 });
          await settle(s, z);
          zswapCheck(z);
          const into = new Uint8Array(PAGE_SIZE);
          for (const [slot, page] of held) {
            if (z.load(0, slot, into, false))
              assert.deepEqual(into, page, `zswap holds stale data at ${slot}`);
            else assert.deepEqual(dev.page(slot), page, `device holds stale data at ${slot}`);
          }
          z.swapoff(0);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
