// Large folios in zswap (zswap_store of a folio): all or none, the kernel's per-size counters,
// bad input refused with nothing changed. On generated pages, seeded.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FOLIO_PAGES_MAX, FOLIO_PAGES_MIN, PAGE_SIZE } from "../../src/constants.ts";
import { ZswapError } from "../../src/errors.ts";
import { Random } from "../../src/random.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { storablePages } from "../pages.ts";
import { lruProblem } from "./consistency.ts";

/** Generated pages zswap takes; seeded random ones it does not. */
const pages = storablePages(generatePages(1600, 13));

function randomPage(seed: number): Uint8Array {
  const r = new Random(seed);
  return Uint8Array.from({ length: PAGE_SIZE }, () => r.below(256));
}

function cache(options = {}): Zswap {
  const z = new Zswap({ maxPoolBytes: 4096 * PAGE_SIZE, compressor: "lz4", ...options });
  z.swapon(0, 2048);
  return z;
}

const code = (c: string) => (err: unknown) => err instanceof ZswapError && err.code === c;

/** Every offset of off..off+n-1 misses (a non-exclusive peek finds nothing). */
function allMiss(z: Zswap, off: number, n: number): void {
  const into = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < n; i++) assert.equal(z.peek(0, off + i, into), 0, `offset ${off + i}`);
}

describe("zswap large folios", () => {
  it("stores a folio whole and loads each page back byte for byte", () => {
    const z = cache();
    const folio = pages.slice(0, 16);
    assert.ok(z.storeFolio(0, 32, folio));
    const s = z.stats();
    assert.equal(s.zswpout, 16);
    assert.equal(s.stored_pages, 16);
    assert.equal(z.folioStats()["64kB"]!.zswpout, 1);
    const into = new Uint8Array(PAGE_SIZE);
    folio.forEach((p, i) => {
      assert.ok(z.load(0, 32 + i, into));
      assert.deepEqual(into, p);
    });
    assert.equal(lruProblem(z), undefined);
  });

  it("counts one folio per size, from 16kB to 2048kB, and zswpout per page", () => {
    const z = cache();
    let pagesIn = 0;
    for (let n = FOLIO_PAGES_MIN; n <= FOLIO_PAGES_MAX; n *= 2) {
      assert.ok(z.storeFolio(0, n, pages.slice(0, n)), `a folio of ${n}`);
      pagesIn += n;
    }
    const sizes = z.folioStats();
    assert.deepEqual(Object.keys(sizes), [
      "16kB",
      "32kB",
      "64kB",
      "128kB",
      "256kB",
      "512kB",
      "1024kB",
      "2048kB",
    ]);
    for (const counts of Object.values(sizes)) {
      assert.deepEqual(counts, { zswpout: 1, swpout: 0, swpout_fallback: 0 });
    }
    // Later folios overwrote the earlier ones' offsets (n..2n-1 overlaps 2n..): count them all.
    assert.equal(z.stats().zswpout, pagesIn);
  });

  it("a page that does not compress mid-folio: nothing of the folio stays, one reject counted", () => {
    const z = cache();
    assert.ok(z.store(0, 70, pages[100]!)); // an older entry at one of the folio's offsets
    const before = z.stats();
    const folio = pages.slice(0, 8);
    folio[5] = randomPage(1);
    assert.equal(z.storeFolio(0, 64, folio), false);
    const s = z.stats();
    assert.equal(s.reject_compress_poor, before.reject_compress_poor + 1);
    assert.equal(s.zswpout, before.zswpout);
    assert.equal(s.stored_pages, 0, "the folio's pages and the stale older entry are gone");
    assert.equal(s.compressed_bytes, 0);
    assert.equal(z.folioStats()["32kB"]!.zswpout, 0);
    allMiss(z, 64, 8);
    assert.equal(lruProblem(z), undefined);
  });

  it("a pool that fills mid-folio: nothing of the folio stays, pool_limit_hit once", () => {
    const z = cache({ maxPoolBytes: 24 * PAGE_SIZE, incompressible: "store-raw" });
    const folio = Array.from({ length: 32 }, (_, i) => randomPage(100 + i)); // raw: a page each
    assert.equal(z.storeFolio(0, 0, folio), false);
    const s = z.stats();
    assert.equal(s.pool_limit_hit, 1);
    assert.equal(s.stored_pages, 0);
    assert.equal(s.zswpout, 0);
    allMiss(z, 0, 32);
    assert.equal(lruProblem(z), undefined);
    assert.equal(z.poolPages, 0, "the pages stored before the failure gave their pool pages back");
  });

  it("a group bound passed mid-folio: nothing stays, group_limit_hit once in the group and the whole", () => {
    const z = new Zswap({ maxPoolBytes: 4096 * PAGE_SIZE, compressor: "lz4" });
    z.groupAdd("small", { maxBytes: 20 * 1024 });
    z.swapon(0, 256, undefined, "small");
    const folio = pages.slice(0, 64);
    assert.equal(z.storeFolio(0, 64, folio), false);
    assert.equal(z.stats().group_limit_hit, 1);
    assert.equal(z.groupStats("small").group_limit_hit, 1);
    assert.equal(z.groupStats("small").zswpout, 0);
    assert.equal(z.stats().stored_pages, 0);
    allMiss(z, 64, 64);
    assert.ok(z.storeFolio(0, 0, pages.slice(0, 4)), "a folio within the bound is stored");
    assert.equal(z.groupStats("small").zswpout, 4);
  });

  it("refuses bad folios with a typed error, nothing changed", () => {
    const z = cache();
    assert.ok(z.storeFolio(0, 8, pages.slice(0, 8)));
    const before = z.stats();
    const bad: [string, () => unknown][] = [
      ["OPTION", () => z.storeFolio(0, 0, pages.slice(0, 3))],
      ["OPTION", () => z.storeFolio(0, 0, pages.slice(0, 2))],
      ["OPTION", () => z.storeFolio(0, 0, pages.slice(0, 12))],
      ["OPTION", () => z.storeFolio(0, 0, [])],
      ["OPTION", () => z.storeFolio(0, 0, new Array(1024).fill(pages[0]))],
      ["OPTION", () => z.storeFolio(0, 0, "pages" as unknown as Uint8Array[])],
      ["PAGE_SIZE", () => z.storeFolio(0, 8, [...pages.slice(0, 3), new Uint8Array(100)])],
      ["OFFSET", () => z.storeFolio(0, 4, pages.slice(0, 8))],
      ["OFFSET", () => z.storeFolio(0, 2044, pages.slice(0, 8))],
      ["OFFSET", () => z.storeFolio(0, -8, pages.slice(0, 8))],
      ["OFFSET", () => z.storeFolio(0, 2048, pages.slice(0, 4))],
      ["AREA", () => z.storeFolio(3, 0, pages.slice(0, 4))],
      ["TYPE", () => z.storeFolio(99, 0, pages.slice(0, 4))],
    ];
    for (const [c, call] of bad) assert.throws(call, code(`ZSWAP_E_${c}`), c);
    assert.deepEqual(z.stats(), before);
    const into = new Uint8Array(PAGE_SIZE);
    for (let i = 0; i < 8; i++) {
      assert.ok(z.peek(0, 8 + i, into) > 0);
      assert.deepEqual(into, pages[i]);
    }
  });
});
