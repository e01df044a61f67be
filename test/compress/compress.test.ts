import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  COMPRESSOR_NAMES,
  compressorCreate,
  compressorsAvailable,
} from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../../src/constants.ts";
import { ZswapArgumentError } from "../../src/errors.ts";
import { realisticPages } from "../pages.ts";

const pages = realisticPages(600, 400);

describe("compressors", () => {
  it("all five load on this machine", () => {
    assert.deepEqual(compressorsAvailable(), [...COMPRESSOR_NAMES]);
  });

  for (const name of COMPRESSOR_NAMES) {
    it(`${name}: real pages round-trip byte for byte`, () => {
      const c = compressorCreate(name);
      const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
      const out = new Uint8Array(PAGE_SIZE);
      let stored = 0;
      let compressed = 0;
      for (const page of pages) {
        const n = c.compress(page, dst, PAGE_SIZE * 2);
        assert.ok(n > 0, "every page fits in two pages");
        // decompress from the middle of a larger buffer, as from a pool object
        const arena = new Uint8Array(n + 100);
        arena.set(dst.subarray(0, n), 37);
        out.fill(0xaa);
        assert.equal(c.decompress(arena, 37, 37 + n, out), PAGE_SIZE);
        assert.deepEqual(out, page);
        if (n < PAGE_SIZE) {
          stored++;
          compressed += n;
        }
      }
      assert.ok(stored > pages.length / 2, `${name} shrinks most real pages`);
      assert.ok(compressed < stored * PAGE_SIZE, "and they get smaller");
    });

    it(`${name}: honours the output limit and reports corrupt input`, () => {
      const c = compressorCreate(name);
      const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
      assert.equal(
        c.compress(randomBytes(PAGE_SIZE), dst, 3000),
        0,
        "random data does not fit 3000 bytes",
      );
      const zero = new Uint8Array(PAGE_SIZE);
      const n = c.compress(zero, dst, 3000);
      assert.ok(n > 0 && n < 200, `a zero page compresses to ${n} bytes`);
      const out = new Uint8Array(PAGE_SIZE);
      const garbage = Uint8Array.from(dst.subarray(0, n), (b, i) => b ^ (i * 31 + 7));
      const got = c.decompress(garbage, 0, garbage.length, out);
      assert.ok(
        got !== PAGE_SIZE || !out.every((b) => b === 0),
        "corruption is not silently a zero page",
      );
      assert.ok(c.decompress(dst, 0, 3, out) !== PAGE_SIZE, "a truncated stream is not a page");
    });
  }

  it("an unknown name is a typed error listing the available ones", () => {
    assert.throws(
      () => compressorCreate("snappy"),
      (err: unknown) =>
        err instanceof ZswapArgumentError &&
        err.code === "ZSWAP_E_COMPRESSOR" &&
        /available: lzo, lz4/.test(err.message),
    );
  });
});
