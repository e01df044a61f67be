// zstd dictionaries: zstd's trainer on pages, the codec with a dictionary, and a Zswap that
// changes dictionaries while entries stored with older ones are live (each stays readable, and
// the dictionaries kept are bounded).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  COMPRESSOR_NAMES,
  compressorCreate,
  dictionaryId,
  dictionaryTrain,
} from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, DICTS_KEPT_MAX, PAGE_SIZE } from "../../src/constants.ts";
import { ZswapInputError, ZswapOptionError, ZswapPageSizeError } from "../../src/errors.ts";
import { generatePage } from "../../src/workload/generate.ts";
import { Zswap } from "../../src/zswap/index.ts";

/** Text and pointer pages: what a dictionary learns from, and is measured on. */
function pages(count: number, seed: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const p = new Uint8Array(PAGE_SIZE);
    generatePage(i % 2 === 0 ? "text" : "pointers", seed + i, p);
    return p;
  });
}

/** A dictionary trained on pages of its own seed: a different one per seed. */
const trained = new Map<number, Uint8Array>();
function dictOf(seed: number): Uint8Array {
  let d = trained.get(seed);
  if (d === undefined) {
    d = dictionaryTrain(pages(64, seed * 1000), `seed ${seed}`, 16_384);
    trained.set(seed, d);
  }
  return d;
}

/** The codec id of the live entry at slot `offset` of area 0. */
function codecAt(z: Zswap, offset: number): number {
  const x = Zswap.unsafeExposeInternals(z);
  for (let e = 1; e < x.entries.capacity; e++) {
    if (x.handleOf(e as never) !== 0 && x.entries.offset[e] === offset) return x.entries.codec[e]!;
  }
  throw new Error(`no entry at ${offset}`);
}

describe("zstd dictionaries", () => {
  it("the trainer makes a dictionary with an id; zstd compresses with it, and only it decodes", () => {
    const dict = dictOf(1);
    assert.ok(dict.length > 0 && dict.length <= 16_384);
    assert.ok((dictionaryId(dict) as number) > 0);
    const withDict = compressorCreate("zstd", { dictionary: dict });
    const plain = compressorCreate("zstd");
    const dst = new Uint8Array(COMPRESS_BUFFER_BYTES);
    const back = new Uint8Array(PAGE_SIZE);
    let bytesDict = 0;
    let bytesPlain = 0;
    for (const p of pages(40, 777_000)) {
      bytesPlain += plain.compress(p, dst, PAGE_SIZE);
      const n = withDict.compress(p, dst, PAGE_SIZE);
      bytesDict += n;
      assert.equal(withDict.decompress(dst, 0, n, back), PAGE_SIZE);
      assert.deepEqual(back, p);
      assert.equal(plain.decompress(dst, 0, n, back), -1, "a frame needs its dictionary");
    }
    assert.ok(bytesDict < bytesPlain, `dictionary ${bytesDict} B, none ${bytesPlain} B`);
  });

  it("bad input is a typed error in the user's terms", () => {
    assert.throws(() => dictionaryTrain([], "corpus x"), ZswapInputError);
    assert.throws(() => dictionaryTrain(pages(3, 1), "corpus x"), /at least 16/);
    assert.throws(() => dictionaryTrain(pages(32, 1), "corpus x", 100), ZswapOptionError);
    // Every page is a page: a short one was trained on as if zero-padded, a long one was a RangeError.
    const short = Array.from({ length: 20 }, () => new Uint8Array(3).fill(7));
    assert.throws(() => dictionaryTrain(short, "corpus x"), ZswapPageSizeError);
    const long = [...pages(31, 1), new Uint8Array(2 * PAGE_SIZE)];
    assert.throws(() => dictionaryTrain(long, "corpus x"), ZswapPageSizeError);
    assert.throws(() => dictionaryTrain("x".repeat(20) as never, "corpus x"), ZswapOptionError);
    assert.match(String(dictionaryId(new Uint8Array(100))), /not a zstd dictionary/);
    assert.match(String(dictionaryId("x")), /not a Uint8Array/);
    assert.throws(() => compressorCreate("lz4", { dictionary: dictOf(1) }), ZswapOptionError);
    assert.throws(
      () => new Zswap({ compressor: "zstd", compressorParams: { dictionary: new Uint8Array(64) } }),
      ZswapOptionError,
    );
    assert.throws(
      () => new Zswap({ compressor: "lz4", compressorParams: { dictionary: dictOf(1) } }),
      /for the zstd compressor/,
    );
  });

  it("entries stored with older dictionaries stay readable; the dictionaries kept are bounded", () => {
    const z = new Zswap({ maxPoolBytes: 4096 * PAGE_SIZE, compressor: "zstd" });
    z.swapon(0, 1024);
    const stored = new Map<number, Uint8Array>();
    let slot = 0;
    const storeSome = (seed: number) => {
      for (const p of pages(8, seed)) {
        assert.ok(z.store(0, slot, p));
        stored.set(slot++, p);
      }
    };
    storeSome(10);
    const ids = [] as number[];
    for (let k = 1; k <= DICTS_KEPT_MAX; k++) {
      const caller = dictOf(k).slice();
      z.configure({ compressorParams: { dictionary: caller } });
      caller.fill(0); // the Zswap holds its own copy
      storeSome(10 + k * 100);
      ids.push(codecAt(z, slot - 1));
    }
    assert.equal(new Set(ids).size, DICTS_KEPT_MAX, "each dictionary has its own id");
    assert.ok(ids.every((id) => id >= COMPRESSOR_NAMES.length));
    // All dictionaries' ids hold live entries: a new one is refused, and nothing changes.
    const before = z.options;
    assert.throws(
      () => z.configure({ compressorParams: { dictionary: dictOf(DICTS_KEPT_MAX + 1) } }),
      ZswapOptionError,
    );
    assert.deepEqual(z.options, before);
    // The same dictionary again takes its old id, and a codec change drops the dictionary.
    z.configure({ compressorParams: { dictionary: dictOf(1) } });
    z.configure({ compressor: "lz4" });
    assert.deepEqual(z.options.compressorParams, {});
    storeSome(900);
    const into = new Uint8Array(PAGE_SIZE);
    for (const [s, p] of stored) {
      assert.ok(z.load(0, s, into, false), `slot ${s}`);
      assert.deepEqual(into, p, `slot ${s} came back changed`);
    }
    // Once the pages of the first dictionary are gone, a new dictionary takes its id.
    for (let s = 8; s < 16; s++) z.invalidate(0, s);
    z.configure({
      compressor: "zstd",
      compressorParams: { dictionary: dictOf(DICTS_KEPT_MAX + 1) },
    });
    storeSome(5000);
    assert.equal(codecAt(z, slot - 1), ids[0]);
    for (const [s, p] of stored) {
      if (s >= 8 && s < 16) continue;
      assert.ok(z.load(0, s, into, false), `slot ${s}`);
      assert.deepEqual(into, p, `slot ${s} came back changed`);
    }
  });
});

describe("recompression with a dictionary", () => {
  const SLOTS = 128;
  const first = pages(40, 555_000);
  const second = pages(40, 666_000);
  /** lz4 entries of `first`, recompressed by zstd with the given parameters. */
  function recompressed(recompressorParams?: { dictionary: Uint8Array }) {
    const z = new Zswap({
      maxPoolBytes: 4 << 20,
      compressor: "lz4",
      recompressors: ["zstd"],
      exclusiveLoads: false,
      ...(recompressorParams === undefined ? {} : { recompressorParams }),
    });
    z.swapon(0, SLOTS);
    for (const [i, p] of first.entries()) assert.ok(z.store(0, i, p));
    return { z, r: z.recompress() };
  }
  const ids = (z: Zswap, from: number, to: number) =>
    new Set(Array.from({ length: to - from }, (_, i) => codecAt(z, from + i) & 0x7f));

  it("the zstd recompressor uses recompressorParams' dictionary; older pages stay readable", () => {
    const plain = recompressed();
    const { z, r } = recompressed({ dictionary: dictOf(1) });
    assert.ok(r.recompressed > 0);
    assert.ok(r.savedBytes > plain.r.savedBytes, `${r.savedBytes} vs ${plain.r.savedBytes}`);
    const zstdPlain = COMPRESSOR_NAMES.indexOf("zstd");
    const dictIds = ids(z, 0, first.length);
    const lz4 = COMPRESSOR_NAMES.indexOf("lz4");
    assert.ok(!dictIds.has(zstdPlain), "no page recompressed without the dictionary");
    assert.ok(
      [...dictIds].some((id) => id !== lz4),
      "pages recompressed with the dictionary",
    );
    // Another dictionary for the next pages: the first ones keep theirs.
    z.configure({ recompressorParams: { dictionary: dictOf(2) } });
    for (const [i, p] of second.entries()) assert.ok(z.store(0, first.length + i, p));
    assert.ok(z.recompress().recompressed > 0);
    const newIds = ids(z, first.length, first.length + second.length);
    assert.ok(
      [...newIds].some((id) => !dictIds.has(id)),
      "a new dictionary's id",
    );
    z.configure({ recompressors: [] }); // the parameters go with zstd
    assert.deepEqual(z.options.recompressorParams, {});
    const into = new Uint8Array(PAGE_SIZE);
    for (const [s, p] of [...first, ...second].entries()) {
      assert.ok(z.load(0, s, into), `slot ${s}`);
      assert.deepEqual(into, p, `slot ${s} came back changed`);
    }
  });

  it("a dictionary without zstd among the recompressors is a typed error, nothing changed", () => {
    const dictionary = dictOf(1);
    assert.throws(
      () => new Zswap({ recompressors: ["lz4hc"], recompressorParams: { dictionary } }),
      ZswapOptionError,
    );
    const z = new Zswap({ recompressors: ["zstd"] });
    assert.throws(
      () => z.configure({ recompressors: ["lz4hc"], recompressorParams: { dictionary } }),
      ZswapOptionError,
    );
    assert.deepEqual(z.options.recompressors, ["zstd"]);
    assert.deepEqual(z.options.recompressorParams, {});
  });
});
