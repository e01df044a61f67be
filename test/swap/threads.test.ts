// SwapSpace on codec threads: batches round trip, a thread that dies holding pages fails exactly
// the calls it held (ZSWAP_E_THREAD) and loses nothing, the space goes on with the threads left
// and on its own thread when none is left, and close() stops the threads. Every verdict follows
// from the order of the calls (jobs are queued to threads in a fixed order and taken in it), not
// from timing; every test closes its space, which ends its threads.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CodecThreads,
  compressorId,
  OP_COMPRESS,
  OP_DECOMPRESS,
  OP_THROW,
  RESULT_THREAD_DIED,
} from "../../src/compress/index.ts";
import {
  CODEC_DRAIN_JOBS_MAX,
  CODEC_INLINE_DECOMPRESS_SHARE,
  CODEC_INLINE_PAGES_PER_TURN,
  PAGE_SIZE,
  SWAP_BATCH_PAGES_MAX,
} from "../../src/constants.ts";
import { MemoryDevice } from "../../src/device/index.ts";
import {
  ZswapArgumentError,
  ZswapClosedError,
  ZswapDataError,
  ZswapThreadError,
} from "../../src/errors.ts";
import { type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import type { SwapOffset } from "../../src/types.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { WRITEBACK } from "../../src/zswap/entries.ts";
import { Zswap } from "../../src/zswap/index.ts";

/** A memory device that records the slots written to. */
class WriteLog extends MemoryDevice {
  readonly written = new Set<number>();
  override write(slot: SwapOffset, page: Uint8Array): Promise<void> {
    this.written.add(slot);
    return super.write(slot, page);
  }
}

/** Generated pages: zero, text, pointers, numbers and random (which go to the device). */
const pages = generatePages(64, 5);

/** lz4 pages decompress inline (SwapThreads' DECOMPRESS_INLINE), zstd pages on the threads. */
async function spaceOpen(compressor = "zstd", threads = 2): Promise<SwapSpace> {
  return SwapSpace.open({
    slots: 256,
    device: new MemoryDevice({ slots: 256 }),
    zswap: { maxPoolBytes: 1 << 20, compressor },
    threads,
  });
}

function threadsOf(space: SwapSpace): CodecThreads {
  return SwapSpace.unsafeExposeInternals(space).codecThreads()!;
}

/** A job that makes thread 0 throw: pushed first, while both threads hold nothing, it goes there. */
function poisonFirst(threads: CodecThreads): { result: number } {
  const got = { result: 0 };
  const s = threads.take();
  threads.push(s, OP_THROW, 0, 0, (r) => {
    got.result = r;
  });
  return got;
}

async function readAll(space: SwapSpace, slots: readonly SwapSlot[]): Promise<Uint8Array[]> {
  const into = slots.map(() => new Uint8Array(PAGE_SIZE).fill(0xa5));
  await space.swapInMany(slots, into);
  return into;
}

/**
 * Pages each its own (none same-filled), the first CODEC_INLINE_PAGES_PER_TURN of them swapped
 * out one at a time in a turn of their own: they ran inline and spent the turn's budget.
 */
async function budgetSpend(
  space: SwapSpace,
  more: number,
  seed: number,
): Promise<{ many: Uint8Array[]; slots: SwapSlot[]; rest: Uint8Array[] }> {
  const many = generatePages(CODEC_INLINE_PAGES_PER_TURN + more, seed).map((p, i) => {
    p[0] = i;
    p[1] = 1;
    return p;
  });
  await new Promise((resolve) => setImmediate(resolve));
  const slots: SwapSlot[] = [];
  for (const page of many.slice(0, CODEC_INLINE_PAGES_PER_TURN)) {
    slots.push(await space.swapOut(page));
  }
  return { many, slots, rest: many.slice(CODEC_INLINE_PAGES_PER_TURN) };
}

describe("codec threads", () => {
  for (const codec of ["lz4", "zstd"]) {
    it(`swapOutMany and swapInMany round trip every kind of page off-thread (${codec})`, async () => {
      const space = await spaceOpen(codec);
      try {
        const slots = await space.swapOutMany(pages);
        const st = space.stats();
        assert.equal(st.swap_codec_threads, 2);
        assert.equal(st.swap_codec_jobs, 0);
        assert.ok(st.zswpout! > 0 && st.pswpout > 0 && st.swpout_zero > 0, JSON.stringify(st));
        assert.deepEqual(await readAll(space, slots), pages);
        // Concurrent single calls go off-thread too, and free as they read.
        const again = await Promise.all(pages.map((p) => space.swapOut(p)));
        const into = pages.map(() => new Uint8Array(PAGE_SIZE));
        await Promise.all(again.map((s, i) => space.swapIn(s, into[i], { free: true })));
        assert.deepEqual(into, pages);
        assert.equal(space.stats().swap_slots_used, pages.length);
      } finally {
        await space.close();
      }
      assert.equal(space.stats().swap_codec_threads, 0, "close() stopped the threads");
    });
  }

  it("a thread that throws fails the swap-outs it held; the batch gives back every slot", async () => {
    const space = await spaceOpen();
    try {
      const poison = poisonFirst(threadsOf(space));
      const batch = pages.slice(1, 9); // nonzero pages; thread 0 holds the odd ones, after the poison
      await assert.rejects(
        space.swapOutMany(batch),
        (e: unknown) => e instanceof ZswapThreadError && /asked for/.test(e.message), // the why
      );
      assert.equal(poison.result, RESULT_THREAD_DIED);
      const st = space.stats();
      assert.equal(st.swap_slots_used, 0, "all or none");
      assert.equal(st.stored_pages, 0);
      assert.equal(st.swap_codec_threads, 1);
      // The space goes on with the thread left.
      const slots = await space.swapOutMany(batch);
      assert.deepEqual(await readAll(space, slots), batch);
    } finally {
      await space.close();
    }
  });

  it("a thread that throws fails the swap-ins it held; their slots keep their pages", async () => {
    const space = await spaceOpen();
    try {
      const batch = pages.filter((_, i) => i % 5 === 1 || i % 5 === 2).slice(0, 8); // text, pointers
      const slots = await space.swapOutMany(batch);
      const stored = space.stats().stored_pages!;
      assert.ok(stored >= 4, `${stored} pages in zswap, to decompress`);
      poisonFirst(threadsOf(space));
      const into = slots.map(() => new Uint8Array(PAGE_SIZE));
      await assert.rejects(space.swapInMany(slots, into), ZswapThreadError);
      assert.equal(space.stats().stored_pages, stored, "nothing was freed");
      assert.deepEqual(await readAll(space, slots), batch);
    } finally {
      await space.close();
    }
  });

  it("with every thread terminated, swaps run on the caller's thread", async () => {
    const space = await spaceOpen();
    try {
      const threads = threadsOf(space);
      await CodecThreads.unsafeWorker(threads, 0)!.terminate();
      assert.equal(space.stats().swap_codec_threads, 1);
      await CodecThreads.unsafeWorker(threads, 1)!.terminate();
      assert.equal(space.stats().swap_codec_threads, 0);
      const slots = await space.swapOutMany(pages);
      assert.equal(space.stats().swap_codec_jobs, 0, "nothing waits on a thread");
      assert.deepEqual(await readAll(space, slots), pages);
    } finally {
      await space.close();
    }
  });

  it("close() right after the last job stops every thread (a stop as a thread goes to sleep wakes it)", async () => {
    // A thread spins a moment after its last job, then sleeps: a close() that lands in that
    // moment must still reach it. Each round closes as soon as its jobs are called back.
    for (let round = 0; round < 8; round++) {
      const threads = new CodecThreads(2);
      const done = [0, 1].map(
        () =>
          new Promise<number>((resolve) => {
            const s = threads.take();
            threads.input(s).set(pages[4]); // text
            threads.push(s, OP_COMPRESS, compressorId("lz4"), PAGE_SIZE, resolve);
          }),
      );
      for (const n of await Promise.all(done))
        assert.ok(n > 0 && n < PAGE_SIZE, `compressed to ${n}`);
      await threads.close();
      assert.equal(threads.alive, 0, `round ${round}: every thread stopped`);
    }
  });

  it("a job finished as soon as it is pushed is called back (2,000 in a row, each awaited)", {
    timeout: 120_000, // a lost callback hangs: fail instead
  }, async () => {
    // Decompressing 1 byte fails at once: a thread still spinning from the job before finishes
    // it within the push that publishes it, before the owner has looked at its done count.
    const threads = new CodecThreads(1);
    try {
      for (let i = 0; i < 2000; i++) {
        const result = await new Promise<number>((resolve) => {
          const s = threads.take();
          threads.input(s)[0] = 0xff;
          threads.push(s, OP_DECOMPRESS, compressorId("lz4"), 1, resolve);
        });
        assert.ok(result < 0, `job ${i}: garbage does not decompress (${result})`);
      }
    } finally {
      await threads.close();
    }
  });

  it("one awaited swap at a time stays on the caller's thread, however many in a turn", async () => {
    // Past CODEC_INLINE_PAGES_PER_TURN pages in a turn, a call alone waits for the next turn
    // instead of going to a thread: no thread is ever started.
    const space = await spaceOpen("lz4");
    try {
      const many = generatePages(3 * CODEC_INLINE_PAGES_PER_TURN, 9);
      const slots: SwapSlot[] = [];
      for (const page of many) slots.push(await space.swapOut(page));
      const into = new Uint8Array(PAGE_SIZE);
      for (const [i, slot] of slots.entries()) {
        await space.swapIn(slot, into, { free: true });
        assert.deepEqual(into, many[i], `slot ${slot}`);
      }
      assert.equal(space.stats().swap_codec_threads, 0, "no thread was started");
      assert.ok(space.stats().zswpout! > 2 * CODEC_INLINE_PAGES_PER_TURN, "zswap stored them");
    } finally {
      await space.close();
    }
  });

  it("a batch waits behind a call that waits for the next turn, and goes on after it", async () => {
    const space = await spaceOpen("lz4");
    try {
      const { many, slots, rest } = await budgetSpend(space, 64, 19);
      const stored = space.stats().zswpout! + space.stats().pswpout;
      const last = space.swapOut(rest[0]); // waits for the next turn
      const batch = space.swapOutMany(rest.slice(1));
      assert.equal(space.stats().zswpout! + space.stats().pswpout, stored, "nothing ran ahead");
      slots.push(await last, ...(await batch));
      assert.deepEqual(await readAll(space, slots), many);
    } finally {
      await space.close();
    }
  });

  it("calls in flight together behind one that waits for the next turn go to the threads then", async () => {
    const space = await spaceOpen("lz4");
    try {
      const { many, slots, rest } = await budgetSpend(space, 33, 29);
      assert.equal(space.stats().swap_codec_threads, 0, "no thread yet");
      slots.push(...(await Promise.all(rest.map((page) => space.swapOut(page)))));
      assert.equal(space.stats().swap_codec_threads, 2, "the 33 waiting went to the threads");
      assert.deepEqual(await readAll(space, slots), many);
    } finally {
      await space.close();
    }
  });

  it("close() while calls wait for the next turn: they fail as closed, and close() ends", async () => {
    const space = await spaceOpen("lz4");
    const { slots, rest } = await budgetSpend(space, 2, 23);
    const out = space.swapOut(rest[0]); // waits for the next turn
    const back = space.swapIn(slots[0], new Uint8Array(PAGE_SIZE)); // behind it
    const closed = space.close();
    await assert.rejects(out, ZswapClosedError);
    await assert.rejects(back, ZswapClosedError);
    await closed;
  });

  it("a chain of swap-ins lets the event loop turn every CODEC_INLINE_DECOMPRESS_SHARE x CODEC_INLINE_PAGES_PER_TURN pages", async () => {
    const perTurn = CODEC_INLINE_DECOMPRESS_SHARE * CODEC_INLINE_PAGES_PER_TURN;
    // Text pages, each its own: all stored in zswap, each one decompressed.
    const many = Array.from({ length: perTurn + 64 }, (_, i) => {
      const page = new Uint8Array(PAGE_SIZE);
      new TextEncoder().encodeInto(`page ${i + 100}; `.repeat(PAGE_SIZE / 8), page);
      return page;
    });
    for (const threads of [0, 2]) {
      const space = await SwapSpace.open({
        slots: many.length,
        device: new MemoryDevice({ slots: many.length }),
        zswap: { maxPoolBytes: 1 << 20 },
        threads,
      });
      try {
        const slots = [];
        for (let i = 0; i < many.length; i += SWAP_BATCH_PAGES_MAX) {
          slots.push(...(await space.swapOutMany(many.slice(i, i + SWAP_BATCH_PAGES_MAX))));
        }
        assert.equal(space.stats().zswpout, many.length);
        await new Promise((resolve) => setImmediate(resolve)); // a turn of its own
        let done = 0;
        let doneAtTurn = -1;
        setImmediate(() => (doneAtTurn = done));
        const into = new Uint8Array(PAGE_SIZE);
        for (const slot of slots) {
          await space.swapIn(slot, into, { free: true });
          done++;
        }
        // With no threads (threads: 0) the chain holds the loop to its end: it never turned.
        assert.equal(
          doneAtTurn,
          threads === 0 ? -1 : perTurn,
          "swap-ins done when the loop first turned",
        );
      } finally {
        await space.close();
      }
    }
  });

  it("at most CODEC_DRAIN_JOBS_MAX jobs are called back in one task: the loop turns between", async () => {
    const threads = new CodecThreads(1);
    const garbage = (done: (result: number) => void) => {
      const s = threads.take();
      threads.input(s)[0] = 0xff; // 1 byte of garbage: done at once
      threads.push(s, OP_DECOMPRESS, compressorId("lz4"), 1, done);
    };
    try {
      await new Promise((resolve) => garbage(resolve)); // the thread started, and spinning
      const jobs = 3 * CODEC_DRAIN_JOBS_MAX;
      let turn = 0;
      const perTurn = new Map<number, number>();
      let left = jobs;
      const all = new Promise<void>((resolve) => {
        for (let i = 0; i < jobs; i++) {
          garbage(() => {
            perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
            if (--left === 0) resolve();
          });
        }
      });
      const tick = () => {
        turn++;
        if (left > 0) setImmediate(tick);
      };
      setImmediate(tick);
      // Hold the loop while the thread finishes them all: the first look finds every one done.
      const until = performance.now() + 100;
      while (performance.now() < until);
      await all;
      assert.ok(
        Math.max(...perTurn.values()) <= CODEC_DRAIN_JOBS_MAX,
        JSON.stringify([...perTurn]),
      );
    } finally {
      await threads.close();
    }
  });

  it("bad batches are argument errors and change nothing", async () => {
    const space = await spaceOpen();
    try {
      const tooMany = Array.from({ length: SWAP_BATCH_PAGES_MAX + 1 }, () => pages[1]);
      await assert.rejects(space.swapOutMany(tooMany), ZswapArgumentError);
      await assert.rejects(space.swapOutMany([pages[1], new Uint8Array(10)]), ZswapArgumentError);
      const [slot] = await space.swapOutMany([pages[1]]);
      await assert.rejects(space.swapInMany([slot], []), ZswapArgumentError);
      await assert.rejects(
        space.swapInMany(
          [slot, 200 as SwapSlot],
          [new Uint8Array(PAGE_SIZE), new Uint8Array(PAGE_SIZE)],
        ),
        ZswapArgumentError,
      );
      assert.equal(space.stats().swap_slots_used, 1);
      assert.deepEqual(await readAll(space, [slot]), [pages[1]]);
    } finally {
      await space.close();
    }
  });
});

describe("writeback on codec threads", () => {
  /** A pool of 16 pages, so that writeback runs; a device that records the slots written. */
  async function smallOpen(compressor: string) {
    const device = new WriteLog({ slots: 512 });
    const space = await SwapSpace.open({
      slots: 512,
      device,
      zswap: { maxPoolBytes: 16 * PAGE_SIZE, compressor },
      threads: 2,
    });
    return { space, device };
  }

  it("decompresses zstd pages for writeback off-thread, lz4 pages inline; every page comes back", async () => {
    const many = generatePages(256, 13);
    for (const codec of ["zstd", "lz4"]) {
      const { space } = await smallOpen(codec);
      try {
        const slots = await space.swapOutMany(many);
        await space.flush();
        const st = space.stats();
        assert.ok(st.written_back_pages! > 0, `${codec}: writeback ran`);
        if (codec === "zstd") {
          assert.ok(st.swap_codec_writeback_reads > 0, "on the threads");
          assert.ok(st.swap_codec_writeback_reads <= st.written_back_pages!);
        } else assert.equal(st.swap_codec_writeback_reads, 0, "lz4 decompresses inline");
        assert.deepEqual(await readAll(space, slots), many);
      } finally {
        await space.close();
      }
    }
  });

  it("a page that does not decompress on the thread stays, for swap-in to report; the rest go", async () => {
    const { space, device } = await smallOpen("zstd");
    try {
      const text = generatePages(200, 17).filter((p) => new Set(p.subarray(0, 64)).size > 8);
      const slots = [await space.swapOut(text[0])];
      // Its compressed bytes, garbled in the pool.
      const { entries, pool, handleOf } = Zswap.unsafeExposeInternals(space.zswap!);
      const bytes = pool.map(handleOf(entries.lruOldest()));
      bytes.fill(0xff, pool.mappedOffset, pool.mappedOffset + pool.mappedLength);
      for (const page of text.slice(1)) slots.push(await space.swapOut(page));
      await space.flush();
      const st = space.stats();
      assert.equal(st.decompress_fail, 1, "counted once, then passed by");
      assert.ok(st.swap_codec_writeback_reads > 0, "the others were written back");
      assert.ok(!device.written.has(slots[0]), "the garbled page was not written");
      await assert.rejects(space.swapIn(slots[0], new Uint8Array(PAGE_SIZE)), ZswapDataError);
      assert.deepEqual(await readAll(space, slots.slice(1)), text.slice(1));
    } finally {
      await space.close();
    }
  });

  it("a page freed while its writeback decompresses is not written to its slot", async () => {
    const { space, device } = await smallOpen("zstd");
    try {
      const text = generatePages(200, 17).filter((p) => new Set(p.subarray(0, 64)).size > 8);
      let freed: SwapSlot[] = [];
      for (const page of text) {
        await space.swapOut(page); // alone: compressed inline; a store past the bound kicks writeback
        if (space.stats().swap_codec_jobs === 0) continue;
        // The writebacks just started are decompressing on a thread: free their slots.
        const { entries } = Zswap.unsafeExposeInternals(space.zswap!);
        for (let e = 1; e < entries.rowsUsed; e++) {
          if (entries.flags[e] & WRITEBACK) freed.push(entries.offset[e] as SwapSlot);
        }
        assert.ok(freed.length > 0, "writebacks in flight");
        device.written.clear();
        for (const slot of freed) space.free(slot);
        break;
      }
      assert.ok(freed.length > 0, "writeback started on a thread");
      await space.flush();
      for (const slot of freed) assert.ok(!device.written.has(slot), `slot ${slot} not written`);
      assert.equal(
        space.stats().swap_codec_writeback_reads,
        freed.length,
        "decompressed all the same",
      );
      freed = [];
    } finally {
      await space.close();
    }
  });
});
