import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE, POOL_BYTES_MAX } from "../../src/constants.ts";
import {
  ZswapAreaError,
  ZswapArgumentError,
  ZswapError,
  ZswapStateError,
} from "../../src/errors.ts";
import { classOfSize, sizeIndexPages } from "../../src/pool/geometry.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { realisticPages } from "../pages.ts";
import { entriesCorrupt } from "./consistency.ts";

// Real pages that zswap takes with its defaults (nonzero, under 80% with lz4): the captured ones
// differ from run to run, and a test that stores pages[i] must not meet an incompressible one.
const lz4 = compressorCreate("lz4");
const scratch = new Uint8Array(COMPRESS_BUFFER_BYTES);
const pages = realisticPages(300, 200, 3).filter(
  (p) => !p.every((b) => b === 0) && lz4.compress(p, scratch, (PAGE_SIZE * 80) / 100) > 0,
);

function cache(options = {}): Zswap {
  const z = new Zswap({ maxPoolBytes: 64 * PAGE_SIZE, compressor: "lz4", ...options });
  z.swapon(0, 1024);
  return z;
}

const code = (c: string) => (err: unknown) => err instanceof ZswapError && err.code === c;

describe("zswap hooks", () => {
  it("stores and loads real pages byte for byte, exclusively by default", () => {
    const z = cache({ maxPoolBytes: 4096 * PAGE_SIZE });
    const kept: number[] = [];
    pages.forEach((p, i) => {
      if (z.store(0, i, p)) kept.push(i);
    });
    assert.ok(kept.length > pages.length * 0.8);
    const into = new Uint8Array(PAGE_SIZE);
    for (const i of kept) {
      assert.ok(z.load(0, i, into));
      assert.deepEqual(into, pages[i]);
      assert.equal(z.load(0, i, into), false, "an exclusive load frees the entry");
    }
    const s = z.stats();
    assert.equal(s.stored_pages, 0);
    assert.equal(s.pool_total_size, 0);
    assert.equal(s.zswpin, kept.length);
  });

  it("non-exclusive loads keep the entry", () => {
    const z = cache({ exclusiveLoads: false });
    assert.ok(z.store(0, 5, pages[0]));
    const into = new Uint8Array(PAGE_SIZE);
    assert.ok(z.load(0, 5, into));
    assert.ok(z.load(0, 5, into));
    assert.deepEqual(into, pages[0]);
    assert.equal(z.stats().stored_pages, 1);
  });

  it("a second store replaces the first and counts duplicate_entry", () => {
    const z = cache();
    assert.ok(z.store(0, 7, pages[0]));
    assert.ok(z.store(0, 7, pages[1]));
    const into = new Uint8Array(PAGE_SIZE);
    assert.ok(z.load(0, 7, into));
    assert.deepEqual(into, pages[1]);
    assert.equal(z.stats().duplicate_entry, 1);
  });

  it("a declined second store still drops the stale first one", () => {
    const z = cache({ maxCompressionRatio: 50 });
    assert.ok(z.store(0, 1, pages[0]));
    assert.equal(z.store(0, 1, randomBytes(PAGE_SIZE)), false);
    const s = z.stats();
    assert.equal(s.reject_compress_poor, 1);
    assert.equal(s.stored_pages, 0);
    assert.equal(z.load(0, 1, new Uint8Array(PAGE_SIZE)), false, "the old page must not come back");
  });

  it("incompressible pages are declined, or kept raw with store-raw", () => {
    const random = randomBytes(PAGE_SIZE);
    const z = cache();
    assert.equal(z.store(0, 0, random), false);
    assert.equal(z.stats().reject_compress_poor, 1);
    const raw = cache({ incompressible: "store-raw" });
    assert.ok(raw.store(0, 0, random));
    assert.equal(raw.stats().stored_incompressible_pages, 1);
    const into = new Uint8Array(PAGE_SIZE);
    assert.ok(raw.load(0, 0, into));
    assert.deepEqual(into, new Uint8Array(random));
  });

  it("a full pool refuses stores until it is below the accept threshold", () => {
    const z = cache({ maxPoolBytes: 100 * PAGE_SIZE, acceptThresholdPercent: 50 });
    let i = 0;
    while (z.store(0, i, pages[i % pages.length])) i++;
    const full = z.stats();
    assert.equal(full.pool_limit_hit, 1, "the store that found no room, wherever it found none");
    assert.equal(full.reject_alloc_fail, 0, "the allocator never failed: the bound did");
    assert.ok(full.pool_total_size <= 100 * PAGE_SIZE);
    let next = 0;
    while (z.poolPages > 90) z.invalidate(0, next++);
    assert.equal(z.store(0, 900, pages[0]), false, "refused above the threshold: hysteresis");
    assert.equal(z.stats().pool_limit_hit, full.pool_limit_hit + 1);
    while (z.poolPages > 50) z.invalidate(0, next++);
    assert.ok(z.store(0, 901, pages[0]), "accepted again at the threshold");
  });

  it("the threshold keeps one longest zspage of room, so the next allocation can succeed", () => {
    // 90% of 32 pages is 28, but a new zspage may take 8: stores resume at 24. Random pages kept
    // raw take one pool page each, so the pool's size steps one page at a time.
    const z = cache({
      maxPoolBytes: 32 * PAGE_SIZE,
      acceptThresholdPercent: 90,
      incompressible: "store-raw",
    });
    const random = () => new Uint8Array(randomBytes(PAGE_SIZE));
    let i = 0;
    while (z.store(0, i, random())) i++;
    assert.equal(z.poolPages, 32);
    for (let next = 0; z.poolPages > 24; next++) {
      assert.equal(z.store(0, 900, random()), false, `${z.poolPages} pages: still refused`);
      z.invalidate(0, next);
    }
    assert.ok(z.store(0, 901, random()), "24 pages: accepted");
  });

  it("defaults to lz4, as the CLI does; lzo, installed here, stays opt-in", () => {
    assert.equal(new Zswap({ maxPoolBytes: PAGE_SIZE }).options.compressor, "lz4");
  });

  it("a store whose size class needs a zspage that does not fit under the bound is a limit hit; a failed allocation is reject_alloc_fail", () => {
    const z = cache({ maxPoolBytes: 16 * PAGE_SIZE, incompressible: "store-raw" });
    // Random pages kept raw take one pool page each: 15 of the 16.
    for (let i = 0; i < 15; i++) assert.ok(z.store(0, i, new Uint8Array(randomBytes(PAGE_SIZE))));
    // A page whose size class chains zspages of several pages: its first one does not fit.
    const chained = pages.find((p) => {
      const n = lz4.compress(p, scratch, PAGE_SIZE);
      return sizeIndexPages[classOfSize(n)]! > 1;
    })!;
    assert.equal(z.poolPages, 15, "below the bound by the page count");
    assert.equal(z.store(0, 100, chained), false);
    let st = z.stats();
    assert.equal(st.pool_limit_hit, 1, "the limit, though the pool is below its bound");
    assert.equal(st.reject_alloc_fail, 0, "the allocator did not fail: the bound stopped it");

    // The allocator itself failing (V8 refusing an ArrayBuffer) is reject_alloc_fail.
    const { pool } = Zswap.unsafeExposeInternals(z);
    pool.malloc = () => {
      throw new RangeError("Array buffer allocation failed");
    };
    for (let i = 0; i < 15; i++) z.invalidate(0, i);
    assert.equal(z.store(0, 101, chained), false);
    st = z.stats();
    assert.equal(st.reject_alloc_fail, 1);
    assert.equal(st.pool_limit_hit, 1);
  });

  it("switching the compressor keeps old entries readable", () => {
    const z = cache({ maxPoolBytes: 1024 * PAGE_SIZE });
    const names = ["lzo", "lz4", "lz4hc", "zstd", "deflate"];
    const stored: number[] = [];
    for (let i = 0; i < 100; i++) {
      z.configure({ compressor: names[i % names.length] });
      if (z.store(0, i, pages[i])) stored.push(i);
    }
    assert.ok(stored.length > 80);
    const into = new Uint8Array(PAGE_SIZE);
    for (const i of stored) {
      assert.ok(z.load(0, i, into));
      assert.deepEqual(into, pages[i]);
    }
  });

  it("swapoff drops the area's entries and frees their pool space", () => {
    const z = cache();
    z.swapon(1, 10);
    assert.ok(z.store(0, 1, pages[0]));
    assert.ok(z.store(1, 1, pages[1]));
    z.swapoff(1);
    assert.equal(z.stats().stored_pages, 1);
    assert.throws(() => z.load(1, 1, new Uint8Array(PAGE_SIZE)), code("ZSWAP_E_AREA"));
    z.swapoff(0);
    assert.equal(z.stats().pool_total_size, 0);
  });

  it("corrupt stored data is a typed error, counted, never a wrong page", () => {
    const z = cache();
    assert.ok(z.store(0, 3, pages[0]));
    entriesCorrupt(z, 1, 16);
    assert.throws(() => z.load(0, 3, new Uint8Array(PAGE_SIZE)), code("ZSWAP_E_CORRUPT"));
    assert.equal(z.stats().decompress_fail, 1);
  });
});

describe("bad input: typed error, stable code, nothing changed", () => {
  const cases: [string, string, (z: Zswap) => unknown][] = [
    ["short page", "ZSWAP_E_PAGE_SIZE", (z) => z.store(0, 0, new Uint8Array(4095))],
    ["long page", "ZSWAP_E_PAGE_SIZE", (z) => z.store(0, 0, new Uint8Array(4097))],
    ["not a page", "ZSWAP_E_PAGE_SIZE", (z) => z.store(0, 0, "x" as never)],
    ["load into a short page", "ZSWAP_E_PAGE_SIZE", (z) => z.load(0, 0, new Uint8Array(10))],
    ["area not on", "ZSWAP_E_AREA", (z) => z.store(5, 0, pages[0])],
    ["area out of range", "ZSWAP_E_TYPE", (z) => z.store(32, 0, pages[0])],
    ["negative area", "ZSWAP_E_TYPE", (z) => z.invalidate(-1, 0)],
    ["offset past the end", "ZSWAP_E_OFFSET", (z) => z.store(0, 1024, pages[0])],
    ["negative offset", "ZSWAP_E_OFFSET", (z) => z.load(0, -1, new Uint8Array(PAGE_SIZE))],
    ["fractional offset", "ZSWAP_E_OFFSET", (z) => z.invalidate(0, 1.5)],
    ["swapon twice", "ZSWAP_E_AREA", (z) => z.swapon(0, 10)],
    ["swapon zero slots", "ZSWAP_E_OPTION", (z) => z.swapon(1, 0)],
    ["swapon a device that is not one", "ZSWAP_E_OPTION", (z) => z.swapon(1, 10, {} as never)],
    [
      "swapon a device without read",
      "ZSWAP_E_OPTION",
      (z) => z.swapon(1, 10, { slots: 10, write: () => {}, close: () => {} } as never),
    ],
    ["swapoff an area not on", "ZSWAP_E_AREA", (z) => z.swapoff(2)],
    [
      "off-thread decompression for an area not on",
      "ZSWAP_E_AREA",
      (z) => z.decompressOffThread(2, () => false),
    ],
    ["unknown compressor", "ZSWAP_E_COMPRESSOR", (z) => z.configure({ compressor: "snappy" })],
    ["percent over 100", "ZSWAP_E_OPTION", (z) => z.configure({ acceptThresholdPercent: 101 })],
    ["negative pool", "ZSWAP_E_OPTION", (z) => z.configure({ maxPoolBytes: -1 })],
    [
      "a pool over its largest bound",
      "ZSWAP_E_OPTION",
      (z) => z.configure({ maxPoolBytes: 2 ** 40 }),
    ],
    [
      "a pool bound with a bad codec",
      "ZSWAP_E_COMPRESSOR",
      (z) => z.configure({ maxPoolBytes: 4096, compressor: "snappy" }),
    ],
    ["NaN ratio", "ZSWAP_E_OPTION", (z) => z.configure({ maxCompressionRatio: Number.NaN })],
    [
      "both pool bounds",
      "ZSWAP_E_OPTION",
      (z) => z.configure({ maxPoolBytes: 1, maxPoolPercent: 1 }),
    ],
    ["unknown option", "ZSWAP_E_OPTION", (z) => z.configure({ maxPool: 1 } as never)],
    [
      "bad incompressible",
      "ZSWAP_E_OPTION",
      (z) => z.configure({ incompressible: "keep" as never }),
    ],
  ];
  for (const [name, c, call] of cases) {
    it(name, () => {
      const z = cache();
      assert.ok(z.store(0, 0, pages[0]));
      const before = { stats: z.stats(), options: { ...z.options } };
      assert.throws(() => call(z), code(c));
      assert.deepEqual({ stats: z.stats(), options: { ...z.options } }, before);
      const into = new Uint8Array(PAGE_SIZE);
      assert.ok(z.load(0, 0, into));
      assert.deepEqual(into, pages[0]);
    });
  }

  it("storeWait: bad input is a typed error at once, not a decline counted after the wait", async () => {
    const z = cache();
    let n = 0;
    while (z.store(0, n, pages[n % pages.length])) n++; // full: a store would wait
    const before = z.stats();
    const calls: [string, () => Promise<boolean>][] = [
      ["ZSWAP_E_PAGE_SIZE", () => z.storeWait(0, 1000, new Uint8Array(5), 10)],
      ["ZSWAP_E_OFFSET", () => z.storeWait(0, 1024, pages[0], 10)],
      ["ZSWAP_E_OPTION", () => z.storeWait(0, 1000, pages[0], Number.NaN)],
      ["ZSWAP_E_OPTION", () => z.storeWait(0, 1000, pages[0], -1)],
      ["ZSWAP_E_OPTION", () => z.storeWait(0, 1000, pages[0], 2 ** 40)],
    ];
    for (const [c, call] of calls) await assert.rejects(call(), code(c), c);
    assert.deepEqual(z.stats(), before);
  });

  it("the default pool bound is capped at the largest pool on a machine of any size", () => {
    for (const memoryBytes of [2 ** 40, 2 ** 50]) {
      const z = new Zswap({ memoryBytes, maxPoolPercent: 20 });
      assert.equal(z.stats().pool_limit_bytes, POOL_BYTES_MAX);
    }
    const exact = new Zswap({ maxPoolBytes: POOL_BYTES_MAX });
    assert.equal(exact.stats().pool_limit_bytes, POOL_BYTES_MAX);
  });

  it("bad constructor options are typed errors", () => {
    assert.throws(() => new Zswap({ maxPoolPercent: -5 }), code("ZSWAP_E_OPTION"));
    assert.throws(() => new Zswap({ compressor: "nope" }), code("ZSWAP_E_COMPRESSOR"));
    assert.throws(() => new Zswap(null as never), ZswapArgumentError);
    assert.throws(() => new Zswap({}, null as never), code("ZSWAP_E_OPTION"));
    assert.throws(() => new Zswap({}, { clock: 5 as never }), code("ZSWAP_E_OPTION"));
    const noClear = { now: () => 0, setTimeout: () => ({ clock: undefined }) };
    assert.throws(() => new Zswap({}, { clock: noClear as never }), code("ZSWAP_E_OPTION"));
    // A misspelt clock left a simulation on real time.
    assert.throws(() => new Zswap({}, { clok: {} } as never), /unknown option "clok"/);
    const area = new ZswapAreaError("x");
    assert.ok(area instanceof ZswapStateError && area instanceof ZswapError);
    assert.equal(area.code, "ZSWAP_E_AREA");
    assert.equal(area.message, "ZSWAP_E_AREA: x");
  });
});
