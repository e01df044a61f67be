import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import {
  COMPRESSOR_DEFAULT,
  COMPRESSOR_NAMES,
  compressorCreate,
  compressorsAvailable,
} from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../../src/constants.ts";
import { ZswapArgumentError } from "../../src/errors.ts";
import { Random } from "../../src/random.ts";
import { generatePage, generatePages } from "../../src/workload/generate.ts";

const ROOT = new URL("../..", import.meta.url);
const pages = generatePages(1000, 1);
/** Pages that do not shrink: every codec's worst case. */
const incompressible = Array.from({ length: 16 }, (_, i) => {
  const page = new Uint8Array(PAGE_SIZE);
  generatePage("random", 1000 + i, page);
  return page;
});
/** Each codec's documented worst case for one page (compressBound), all within the buffer. */
const BOUND: Record<string, number> = {
  lz4: 4096 + Math.floor(4096 / 255) + 16, // LZ4_COMPRESSBOUND
  lz4hc: 4096 + Math.floor(4096 / 255) + 16,
  zstd: 4096 + (4096 >> 8) + ((128 * 1024 - 4096) >> 11), // ZSTD_COMPRESSBOUND
  lzo: 4096 + 4096 / 16 + 64 + 3, // lzo1x's documented worst case
  deflate: 4096 + 5 * Math.ceil(4096 / 16383) + 1, // stored blocks: 5 bytes each, and a spare
};
/** Bytes the test writes past a limit, to see that a codec leaves them alone. */
const SENTINEL = 0xa5;

const isCompressorError = (err: unknown) =>
  err instanceof ZswapArgumentError && err.code === "ZSWAP_E_COMPRESSOR";

describe("compressors", () => {
  it("the permissive ones load here; lzo is opt-in and never listed", () => {
    assert.deepEqual(compressorsAvailable(), ["lz4", "lz4hc", "zstd", "deflate"]);
    assert.equal(COMPRESSOR_DEFAULT, "lz4");
  });

  it("nothing loads lzo's GPL code unless lzo is asked for by name", () => {
    const probe = (then: string) =>
      execFileSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          `import { createRequire } from "node:module";
           const c = await import("./src/compress/index.ts");
           c.compressorsAvailable();
           try { c.compressorCreate("snappy"); } catch {}
           new (await import("./src/zswap/index.ts")).Zswap({ maxPoolBytes: 1 << 20 });
           ${then}
           const cache = createRequire(import.meta.url).cache;
           console.log(Object.keys(cache).some((k) => k.includes("/node_modules/lzo/")));`,
        ],
        { encoding: "utf8", cwd: ROOT },
      ).trim();
    assert.equal(probe(""), "false", "listing, a bad name and a default Zswap leave it alone");
    assert.equal(probe(`c.compressorCreate("lzo");`), "true", "asking by name loads it");
  });

  for (const name of COMPRESSOR_NAMES) {
    it(`${name}: generated pages round-trip byte for byte, from inside a larger buffer`, () => {
      const c = compressorCreate(name);
      const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
      const out = new Uint8Array(PAGE_SIZE);
      let shrunk = 0;
      let compressed = 0;
      for (const page of pages) {
        const n = c.compress(page, dst, COMPRESS_BUFFER_BYTES);
        assert.ok(n > 0 && n <= BOUND[name], `${n} bytes: within ${name}'s bound`);
        const arena = new Uint8Array(n + 100);
        arena.set(dst.subarray(0, n), 37);
        out.fill(0xaa);
        assert.equal(c.decompress(arena, 37, 37 + n, out), PAGE_SIZE);
        assert.deepEqual(out, page);
        if (n < PAGE_SIZE) {
          shrunk++;
          compressed += n;
        }
      }
      assert.ok(shrunk > pages.length * 0.8, `${name} shrinks ${shrunk} of ${pages.length}`);
      assert.ok(compressed < (shrunk * PAGE_SIZE) / 2, "to less than half, on average");
    });

    it(`${name}: incompressible pages stay within the bound and round-trip`, () => {
      const c = compressorCreate(name);
      const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
      const out = new Uint8Array(PAGE_SIZE);
      for (const page of incompressible) {
        const n = c.compress(page, dst, COMPRESS_BUFFER_BYTES);
        assert.ok(n >= PAGE_SIZE && n <= BOUND[name], `${n} bytes`);
        assert.equal(c.decompress(dst, 0, n, out), PAGE_SIZE);
        assert.deepEqual(out, page);
        assert.equal(c.compress(page, dst, PAGE_SIZE - 1), 0, "does not fit below a page");
      }
    });

    it(`${name}: returns 0 exactly when the output passes the limit; never writes past its bound`, () => {
      const c = compressorCreate(name);
      const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
      for (const page of [pages[1], pages[2], incompressible[0]]) {
        const need = c.compress(page, dst, COMPRESS_BUFFER_BYTES);
        for (const limit of [0, 1, need - 1, need, need + 1]) {
          dst.fill(SENTINEL);
          const n = c.compress(page, dst, limit);
          assert.equal(n, limit >= need ? need : 0, `limit ${limit}, needs ${need}`);
          assert.ok(
            dst.subarray(BOUND[name]).every((b) => b === SENTINEL),
            "within the bound",
          );
        }
      }
    });

    it(`${name}: corrupt, truncated and oversized streams are reported, never a page`, () => {
      const c = compressorCreate(name);
      const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
      const out = new Uint8Array(PAGE_SIZE);
      const rng = new Random(7);
      const page = pages.find((p) => c.compress(p, dst, PAGE_SIZE) > 64)!;
      const n = c.compress(page, dst, PAGE_SIZE);
      const good = Uint8Array.from(dst.subarray(0, n));
      let refused = 0;
      for (let trial = 0; trial < 200; trial++) {
        const bad = Uint8Array.from(good);
        for (let k = 0; k <= rng.below(4); k++) bad[rng.below(n)] ^= 1 + rng.below(255);
        const got = c.decompress(bad, 0, bad.length, out);
        assert.ok(Number.isInteger(got) && got <= PAGE_SIZE, `${got}: at most the page given`);
        if (got !== PAGE_SIZE) refused++;
      }
      // A codec without a checksum may decode a damaged stream to other bytes (zswap's own
      // length check and the caller's page catch those); most damage is still caught here.
      assert.ok(refused > 100, `${refused} of 200 damaged streams refused`);
      assert.ok(c.decompress(good, 0, Math.floor(n / 2), out) !== PAGE_SIZE, "truncated");
      assert.ok(c.decompress(good, 0, 0, out) <= 0, "empty");
      // Two pages' worth in one stream: decompressing it into one page must fail, not overflow.
      const twoPages = new Uint8Array(2 * PAGE_SIZE);
      twoPages.set(page);
      twoPages.set(page, PAGE_SIZE);
      const big = Buffer.alloc(4 * PAGE_SIZE);
      const m = c.compress(twoPages, big, big.length);
      if (m > 0) assert.ok(c.decompress(big, 0, m, out) < 0, "a stream longer than a page");
    });
  }

  it("arguments out of range are a programmer's error, refused before any byte is read", () => {
    for (const name of ["lz4", "lz4hc", "zstd"]) {
      const c = compressorCreate(name);
      const src = new Uint8Array(100);
      const out = new Uint8Array(PAGE_SIZE);
      assert.throws(() => c.decompress(src, 50, 40, out), RangeError);
      assert.throws(() => c.decompress(src, 0, 101, out), RangeError);
      assert.throws(() => c.decompress(src, -1, 10, out), RangeError);
      assert.throws(() => c.compress("page" as never, out, 10), TypeError);
      assert.throws(() => c.compress(src, new Uint16Array(10) as never, 10), TypeError);
    }
  });

  it("an unknown name is a typed error listing the available ones and lzo's license", () => {
    assert.throws(
      () => compressorCreate("snappy"),
      (err: unknown) =>
        isCompressorError(err) &&
        /available: lz4, lz4hc, zstd, deflate; opt-in: lzo \(GPL-2.0-or-later/.test(
          (err as Error).message,
        ),
    );
  });
});
