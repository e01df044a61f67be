// zram's tools on zswap: idle tracking (markIdle), on-demand writeback within a budget
// (writebackNow, writebackLimitSet) with bd_stat's counters, and recompression (recompress).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { SimClock } from "../../src/clock.ts";
import { COMPRESSOR_NAMES, compressorCreate } from "../../src/compress/index.ts";
import {
  COMPRESS_BUFFER_BYTES,
  IDLE_AGE_TICKS_MAX,
  IDLE_TICK_MS,
  PAGE_SIZE,
} from "../../src/constants.ts";
import { FaultyDevice, MemoryDevice } from "../../src/device/index.ts";
import { ZswapCompressorError, ZswapOptionError } from "../../src/errors.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { CODEC_ID_MASK } from "../../src/zswap/entries.ts";
import { Zswap, type ZswapOptions } from "../../src/zswap/index.ts";
import { zswapCheck } from "./consistency.ts";

const SLOTS = 256;
const lz4 = compressorCreate("lz4");
const dst = new Uint8Array(COMPRESS_BUFFER_BYTES);
/** Generated pages that lz4 compresses to at most half a page: every one of them is stored. */
const corpus = generatePages(400, 15).filter(
  (p) => p.some((b) => b !== 0) && lz4.compress(p, dst, PAGE_SIZE / 2) > 0,
);
const randomPages = Array.from({ length: 8 }, () => new Uint8Array(randomBytes(PAGE_SIZE)));

/** Moves the simulated clock on by `ms`. */
function timePass(clock: SimClock, ms: number): void {
  clock.setTimeout(() => {}, ms);
  clock.advance();
}

function zswapNew(options: ZswapOptions = {}, clock = new SimClock()) {
  const z = new Zswap(
    { maxPoolBytes: 4 << 20, compressor: "lz4", exclusiveLoads: false, ...options },
    { clock },
  );
  const device = new MemoryDevice({ slots: SLOTS });
  z.swapon(0, SLOTS, device);
  return { z, clock, device };
}

/** Stores pages[i] at slot i; returns the slots zswap took. */
function storeAll(z: Zswap, pages: readonly Uint8Array[], from = 0): number[] {
  const taken: number[] = [];
  pages.forEach((p, i) => {
    if (z.store(0, from + i, p)) taken.push(from + i);
  });
  return taken;
}

/** Every slot of `slots` comes back as pages[slot - from], from zswap or the device. */
async function allReadable(
  z: Zswap,
  device: MemoryDevice,
  slots: number[],
  page: (slot: number) => Uint8Array,
) {
  const into = new Uint8Array(PAGE_SIZE);
  for (const s of slots) {
    if (!z.load(0, s, into)) await device.read(s as never, into);
    assert.deepEqual(into, page(s), `slot ${s}`);
  }
}

describe("markIdle", () => {
  test("marks every page, and an access clears the mark", () => {
    const { z } = zswapNew();
    const slots = storeAll(z, corpus.slice(0, 20));
    assert.equal(z.markIdle(), slots.length);
    z.load(0, slots[0]!, new Uint8Array(PAGE_SIZE)); // non-exclusive: an access
    z.store(0, slots[1]!, corpus[1]!); // a store: a new entry, not idle
    assert.equal(z.markIdle({ olderThanMs: 1000 }), slots.length - 2, "no time has passed");
  });

  test("olderThanMs marks only pages not accessed for that long, to the tick", () => {
    const { z, clock } = zswapNew();
    assert.equal(storeAll(z, corpus.slice(0, 15)).length, 15);
    z.invalidate(0, 10);
    timePass(clock, 30 * IDLE_TICK_MS);
    for (let i = 10; i < 15; i++) z.store(0, i, corpus[i]!);
    timePass(clock, 5 * IDLE_TICK_MS);
    z.load(0, 0, new Uint8Array(PAGE_SIZE));
    // Ages now: slots 1..9 35 ticks, 10..14 5 ticks, 0 none; a mark stays until an access.
    assert.equal(z.markIdle({ olderThanMs: 36 * IDLE_TICK_MS }), 0);
    assert.equal(z.markIdle({ olderThanMs: 35 * IDLE_TICK_MS - 1 }), 9, "slots 1..9");
    assert.equal(z.markIdle({ olderThanMs: 5 * IDLE_TICK_MS }), 14, "all but slot 0");
  });

  test("walked every 100 ticks, an entry is idle before its one-byte access time wraps", () => {
    const { z, clock } = zswapNew();
    const slots = storeAll(z, corpus.slice(0, 4));
    const oldest = IDLE_AGE_TICKS_MAX * IDLE_TICK_MS;
    timePass(clock, 100 * IDLE_TICK_MS);
    assert.equal(z.markIdle({ olderThanMs: oldest }), 0);
    timePass(clock, 100 * IDLE_TICK_MS);
    assert.equal(z.markIdle({ olderThanMs: oldest }), slots.length, "200 ticks: at least 127");
    // 300 ticks on, the stored tick alone would read as an age of 45: the mark says idle.
    timePass(clock, 100 * IDLE_TICK_MS);
    assert.equal(z.markIdle({ olderThanMs: oldest }), slots.length);
    z.load(0, slots[0]!, new Uint8Array(PAGE_SIZE));
    assert.equal(z.markIdle({ olderThanMs: oldest }), slots.length - 1, "an access clears it");
  });

  test("bad olderThanMs is a typed error", () => {
    const { z } = zswapNew();
    for (const v of [-1, Number.NaN, IDLE_AGE_TICKS_MAX * IDLE_TICK_MS + 1, "5" as never]) {
      assert.throws(() => z.markIdle({ olderThanMs: v }), ZswapOptionError);
    }
    // Options that are not an object, or a misspelt one (which marked every page), too.
    assert.throws(() => z.markIdle(null as never), ZswapOptionError);
    assert.throws(() => z.markIdle({ olderthanms: 5 } as never), /unknown option "olderthanms"/);
  });
});

describe("writebackNow", () => {
  test("idle: writes exactly the idle pages, counted as bd_stat counts them", async () => {
    const { z, device, clock } = zswapNew();
    const pages = corpus.slice(0, 40);
    const slots = storeAll(z, pages);
    timePass(clock, 10 * IDLE_TICK_MS);
    const young = storeAll(z, corpus.slice(40, 50), 40);
    z.markIdle({ olderThanMs: 10 * IDLE_TICK_MS });
    const written = await z.writebackNow({ type: "idle" });
    assert.equal(written, slots.length);
    let s = z.stats();
    assert.equal(s.bd_writes, written);
    assert.equal(s.written_back_pages, written);
    assert.equal(s.bd_count, written);
    assert.equal(s.stored_pages, young.length);
    zswapCheck(z);
    await allReadable(z, device, [...slots, ...young], (i) => corpus[i]!);
    s = z.stats();
    assert.equal(s.bd_reads, slots.length, "each written-back slot read once from the device");
    z.invalidate(0, slots[0]!);
    z.store(0, slots[1]!, corpus[1]!);
    assert.equal(z.stats().bd_count, written - 2, "freed or stored again: off the device count");
  });

  test("maxPages and the budget bound it; a failed write gives its page back", async () => {
    const { z } = zswapNew({ writebackLimitEnable: true });
    const slots = storeAll(z, corpus.slice(0, 30));
    z.markIdle();
    assert.equal(await z.writebackNow({ type: "idle" }), 0, "the budget starts empty");
    z.writebackLimitSet(7);
    assert.equal(await z.writebackNow({ type: "idle", maxPages: 5 }), 5);
    assert.equal(z.stats().writeback_limit, 2);
    assert.equal(await z.writebackNow({ type: "idle" }), 2);
    assert.equal(z.stats().writeback_limit, 0);
    z.configure({ writebackLimitEnable: false });
    assert.equal(await z.writebackNow({ type: "idle" }), slots.length - 7, "the budget is off");
    assert.equal(z.stats().stored_pages, 0);
  });

  test("a device that fails every write: nothing lost, the budget refunded", async () => {
    const clock = new SimClock();
    const z = new Zswap(
      { maxPoolBytes: 4 << 20, writebackLimitEnable: true, exclusiveLoads: false },
      { clock },
    );
    const device = new FaultyDevice(new MemoryDevice({ slots: SLOTS }), {
      seed: 3,
      writeErrorRate: 1,
    });
    z.swapon(0, SLOTS, device);
    const slots = storeAll(z, corpus.slice(0, 12));
    z.markIdle();
    z.writebackLimitSet(100);
    assert.equal(await clock.run(z.writebackNow({ type: "idle" })), 0);
    z.stop();
    const s = z.stats();
    assert.equal(s.writeback_limit, 100);
    assert.equal(s.writeback_fail, slots.length);
    assert.equal(s.stored_pages, slots.length);
    zswapCheck(z);
    const into = new Uint8Array(PAGE_SIZE);
    for (const i of slots) assert.ok(z.load(0, i, into) && Buffer.compare(into, corpus[i]!) === 0);
  });

  test("huge, huge_idle: the pages stored raw", async () => {
    const { z, device } = zswapNew({ incompressible: "store-raw" });
    storeAll(z, corpus.slice(0, 10));
    storeAll(z, randomPages.slice(0, 4), 10);
    z.markIdle();
    storeAll(z, randomPages.slice(4, 8), 14); // huge, not idle
    assert.equal(await z.writebackNow({ type: "huge_idle" }), 4);
    assert.equal(await z.writebackNow({ type: "huge" }), 4);
    assert.equal(z.stats().stored_incompressible_pages, 0);
    assert.equal(z.stats().stored_pages, 10);
    const page = (s: number) => (s < 10 ? corpus[s]! : randomPages[s - 10]!);
    await allReadable(z, device, [...Array(18).keys()], page);
  });

  test("bad requests are typed errors and change nothing", async () => {
    const { z } = zswapNew();
    storeAll(z, corpus.slice(0, 5));
    const before = z.stats();
    await assert.rejects(z.writebackNow({ type: "cold" as never }), ZswapOptionError);
    await assert.rejects(z.writebackNow({ type: "idle", maxPages: 1.5 }), ZswapOptionError);
    const typo = { type: "idle", maxpages: 1 } as never; // unbounded, had it been taken
    await assert.rejects(z.writebackNow(typo), /unknown option "maxpages"/);
    assert.throws(() => z.writebackLimitSet(-1), ZswapOptionError);
    const bare = new Zswap({ maxPoolBytes: 1 << 20 });
    bare.swapon(0, 8);
    await assert.rejects(bare.writebackNow({ type: "idle" }), ZswapOptionError);
    assert.deepEqual(z.stats(), before);
  });
});

describe("recompress", () => {
  test("lz4 then zstd: smaller, readable, each page tried once", () => {
    const { z } = zswapNew({ recompressors: ["zstd"] });
    const slots = storeAll(z, corpus);
    const before = z.stats();
    const r = z.recompress();
    const after = z.stats();
    assert.ok(r.recompressed > slots.length / 2, `${r.recompressed} of ${slots.length}`);
    assert.equal(after.recomp_pages, r.recompressed);
    assert.equal(after.recomp_saved_bytes, r.savedBytes);
    assert.equal(before.compressed_bytes - after.compressed_bytes, r.savedBytes);
    assert.equal(r.tried, r.recompressed + r.incompressible);
    zswapCheck(z);
    const into = new Uint8Array(PAGE_SIZE);
    for (const i of slots) assert.ok(z.load(0, i, into) && Buffer.compare(into, corpus[i]!) === 0);
    assert.equal(z.recompress().tried, 0, "recompressed with the last codec, or incompressible");
  });

  test("idle only, above a threshold, at most maxPages", () => {
    const { z } = zswapNew({ recompressors: ["zstd"] });
    storeAll(z, corpus.slice(0, 60));
    z.markIdle();
    storeAll(z, corpus.slice(60, 100), 60);
    const { pool, handleOf, entries } = Zswap.unsafeExposeInternals(z);
    const lengths = new Map<number, number>();
    for (let e = 1; e < entries.rowsUsed; e++) {
      if (entries.isLive(e as never)) lengths.set(e, pool.lengthOf(handleOf(e as never)));
    }
    const r = z.recompress({ type: "idle", threshold: 1000, maxPages: 10 });
    assert.ok(r.tried <= 10);
    for (const [e, length] of lengths) {
      const now = pool.lengthOf(handleOf(e as never));
      if (now === length) continue;
      assert.ok(entries.offset[e]! < 60, "only idle pages change");
      assert.ok(length >= 1000 && now < 1000, "only pages at the threshold, to below it");
    }
  });

  test("a page no recompressor shrinks stays as it was, marked incompressible", async () => {
    const { z, device } = zswapNew({ incompressible: "store-raw", recompressors: ["zstd"] });
    storeAll(z, randomPages);
    const before = z.stats();
    const r = z.recompress({ type: "huge" });
    assert.equal(r.incompressible, randomPages.length);
    const after = z.stats();
    assert.equal(after.compressed_bytes, before.compressed_bytes);
    assert.equal(after.recomp_incompressible, randomPages.length);
    assert.equal(z.recompress({ type: "huge" }).tried, 0, "not tried again");
    assert.equal(await z.writebackNow({ type: "incompressible" }), randomPages.length);
    await allReadable(z, device, [...randomPages.keys()], (s) => randomPages[s]!);
  });

  test("several recompressors go in priority order, a raw page may leave the huge class", () => {
    const { z } = zswapNew({
      incompressible: "store-raw",
      maxCompressionRatio: 10,
      recompressors: ["lz4hc", "zstd"],
    });
    const slots = storeAll(z, corpus.slice(0, 50));
    const raw = z.stats().stored_incompressible_pages;
    assert.ok(raw > 0);
    const { entries } = Zswap.unsafeExposeInternals(z);
    const codecsOf = () => {
      const names = new Set<string>();
      for (let e = 1; e < entries.rowsUsed; e++) {
        if (entries.isLive(e as never))
          names.add(COMPRESSOR_NAMES[entries.codec[e]! & CODEC_ID_MASK]!);
      }
      return [...names].sort();
    };
    // The first recompressor that saves a size class wins: lz4hc shrinks every raw page.
    assert.equal(z.recompress({ type: "huge" }).recompressed, raw);
    assert.equal(z.stats().stored_incompressible_pages, 0);
    assert.deepEqual(codecsOf(), ["lz4hc"]);
    // Then only the recompressors after an entry's own are tried: zstd.
    const r = z.recompress();
    assert.ok(r.recompressed > 0 && r.recompressed + r.incompressible === r.tried);
    assert.ok(codecsOf().includes("zstd") && !codecsOf().includes("lz4"), codecsOf().join());
    zswapCheck(z);
    const into = new Uint8Array(PAGE_SIZE);
    for (const i of slots) assert.ok(z.load(0, i, into) && Buffer.compare(into, corpus[i]!) === 0);
  });

  test("without recompressors it does nothing; bad options are typed errors", () => {
    const { z } = zswapNew();
    storeAll(z, corpus.slice(0, 5));
    assert.equal(z.recompress().tried, 0);
    assert.throws(() => z.configure({ recompressors: ["nope"] }), ZswapCompressorError);
    assert.throws(() => z.configure({ recompressors: ["zstd", "zstd"] }), ZswapOptionError);
    assert.throws(
      () => z.configure({ recompressors: ["zstd", "lz4hc", "deflate", "lz4"] }),
      ZswapOptionError,
    );
    assert.throws(() => z.recompress({ type: "cold" as never }), ZswapOptionError);
    assert.throws(() => z.recompress({ threshold: -1 }), ZswapOptionError);
    assert.throws(() => z.recompress(null as never), ZswapOptionError);
    assert.throws(() => z.recompress({ maxpages: 1 } as never), /unknown option "maxpages"/);
    assert.deepEqual(z.options.recompressors, []);
  });
});
