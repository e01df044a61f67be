// Model-based: random sequences of hooks against a Map, counters checked after every step.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { it } from "node:test";
import fc from "fast-check";
import { COMPRESSOR_NAMES, compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../../src/constants.ts";
import { ZswapError } from "../../src/errors.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { realisticPages } from "../pages.ts";
import { zswapCheck } from "./consistency.ts";

const AREAS = 3;
const SLOTS = 48;
const corpus = [
  ...realisticPages(120, 60, 7),
  new Uint8Array(PAGE_SIZE),
  new Uint8Array(randomBytes(PAGE_SIZE)),
];

type Op =
  | { op: "swapon"; type: number }
  | { op: "swapoff"; type: number }
  | { op: "store"; type: number; offset: number; page: number }
  | { op: "load"; type: number; offset: number }
  | { op: "invalidate"; type: number; offset: number }
  | { op: "compressor"; name: (typeof COMPRESSOR_NAMES)[number] }
  | { op: "compact" };

const type = fc.integer({ min: 0, max: AREAS - 1 });
const offset = fc.integer({ min: 0, max: SLOTS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ op: fc.constant("swapon" as const), type }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("swapoff" as const), type }) },
  {
    weight: 12,
    arbitrary: fc.record({
      op: fc.constant("store" as const),
      type,
      offset,
      page: fc.integer({ min: 0, max: corpus.length - 1 }),
    }),
  },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("load" as const), type, offset }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("invalidate" as const), type, offset }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("compressor" as const),
      name: fc.constantFrom(...COMPRESSOR_NAMES),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "compact" as const }) },
);

const setupArb = fc.record({
  poolPages: fc.integer({ min: 1, max: 120 }),
  accept: fc.integer({ min: 0, max: 100 }),
  ratio: fc.integer({ min: 30, max: 100 }),
  raw: fc.boolean(),
  exclusive: fc.boolean(),
});

type Setup = { poolPages: number; accept: number; ratio: number; raw: boolean; exclusive: boolean };

function run(setup: Setup, ops: Op[]): void {
  const z = new Zswap({
    maxPoolBytes: setup.poolPages * PAGE_SIZE,
    acceptThresholdPercent: setup.accept,
    maxCompressionRatio: setup.ratio,
    incompressible: setup.raw ? "store-raw" : "reject",
    exclusiveLoads: setup.exclusive,
    compressor: "lz4",
  });
  // The model: what each slot holds, which areas are on, the counters it expects.
  const model = new Map<string, { page: Uint8Array; length: number }>();
  const on = new Set<number>();
  let codec = compressorCreate("lz4");
  let reachedFull = false;
  // The accept threshold, kept one longest zspage (8 pages) under the bound.
  const acceptPages = Math.max(
    0,
    Math.min(Math.floor((setup.poolPages * setup.accept) / 100), setup.poolPages - 8),
  );
  const want = { zswpout: 0, zswpin: 0, duplicate_entry: 0, rejects: 0 };
  const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
  const into = new Uint8Array(PAGE_SIZE);
  const key = (t: number, o: number) => `${t}:${o}`;

  for (const op of ops) {
    if (op.op !== "compact" && op.op !== "compressor" && !on.has(op.type) && op.op !== "swapon") {
      const before = z.stats();
      assert.throws(() => {
        if (op.op === "store") z.store(op.type, op.offset, corpus[op.page]);
        else if (op.op === "load") z.load(op.type, op.offset, into);
        else if (op.op === "invalidate") z.invalidate(op.type, op.offset);
        else z.swapoff(op.type);
      }, ZswapError);
      assert.deepEqual(z.stats(), before, "a refused call changes nothing");
      continue;
    }
    switch (op.op) {
      case "swapon":
        if (on.has(op.type)) assert.throws(() => z.swapon(op.type, SLOTS), ZswapError);
        else z.swapon(op.type, SLOTS);
        on.add(op.type);
        break;
      case "swapoff":
        z.swapoff(op.type);
        on.delete(op.type);
        for (const k of [...model.keys()]) if (k.startsWith(`${op.type}:`)) model.delete(k);
        break;
      case "store": {
        const k = key(op.type, op.offset);
        const page = corpus[op.page];
        if (model.has(k)) want.duplicate_entry++;
        model.delete(k);
        // Predict the decline the way zswap_store decides it.
        const used = z.poolPages;
        if (used >= setup.poolPages) reachedFull = true;
        else if (reachedFull && used <= acceptPages) reachedFull = false;
        let n = codec.compress(page, dst, Math.floor((PAGE_SIZE * setup.ratio) / 100));
        if (n === 0 && setup.raw) n = PAGE_SIZE;
        const before = z.stats();
        const took = z.store(op.type, op.offset, page);
        const after = z.stats();
        if (took) {
          assert.ok(!reachedFull && n > 0, "a store the model would decline was taken");
          want.zswpout++;
          model.set(k, { page, length: n });
        } else {
          want.rejects++;
          const moved = (
            [
              "pool_limit_hit",
              "reject_compress_poor",
              "reject_alloc_fail",
              "reject_compress_fail",
            ] as const
          ).filter((c) => after[c] !== before[c]);
          assert.equal(moved.length, 1, "a declined store moves exactly one reject counter");
          // Not full by the page count, compressed well: its size class's next zspage did not
          // fit under the bound, which is the limit too, and starts the hysteresis.
          const expected: string =
            n === 0 && !reachedFull ? "reject_compress_poor" : "pool_limit_hit";
          assert.equal(moved[0], expected);
          if (moved[0] === "pool_limit_hit") reachedFull = true;
        }
        break;
      }
      case "load": {
        const k = key(op.type, op.offset);
        const hit = z.load(op.type, op.offset, into);
        const m = model.get(k);
        assert.equal(hit, m !== undefined);
        if (m !== undefined) {
          assert.deepEqual(into, m.page, "loaded page differs from stored");
          want.zswpin++;
          if (setup.exclusive) model.delete(k);
        }
        break;
      }
      case "invalidate":
        z.invalidate(op.type, op.offset);
        model.delete(key(op.type, op.offset));
        break;
      case "compressor":
        z.configure({ compressor: op.name });
        codec = compressorCreate(op.name);
        break;
      case "compact":
        z.compact();
        break;
    }
    zswapCheck(z);
    const s = z.stats();
    assert.equal(s.stored_pages, model.size);
    assert.equal(s.zswpout, want.zswpout);
    assert.equal(s.zswpin, want.zswpin);
    assert.equal(s.duplicate_entry, want.duplicate_entry);
    assert.equal(
      s.pool_limit_hit + s.reject_compress_poor + s.reject_alloc_fail + s.reject_compress_fail,
      want.rejects,
    );
    let compressed = 0;
    let raw = 0;
    for (const m of model.values()) {
      compressed += m.length;
      if (m.length === PAGE_SIZE) raw++;
    }
    assert.equal(s.compressed_bytes, compressed);
    assert.equal(s.stored_incompressible_pages, raw);
    assert.ok(s.pool_total_size <= setup.poolPages * PAGE_SIZE, "pool above its bound");
    if (model.size === 0) assert.equal(s.pool_total_size, 0, "an empty cache holds no pool pages");
  }
  // Everything still stored comes back byte for byte.
  for (const [k, m] of model) {
    const [t, o] = k.split(":").map(Number);
    assert.ok(z.load(t, o, into));
    assert.deepEqual(into, m.page);
  }
}

it("zswap agrees with a Map model on random hook sequences", () => {
  fc.assert(
    fc.property(
      setupArb,
      fc.array(opArb, { minLength: 20, maxLength: 400, size: "max" }),
      (setup, ops) => {
        run(setup, [{ op: "swapon", type: 0 }, ...ops]);
      },
    ),
    { numRuns: Number(process.env.ZSWAP_MODEL_RUNS ?? 150) },
  );
});
