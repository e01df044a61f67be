// Model-based: random sequences of hooks against a Map, counters checked after every step.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { it } from "node:test";
import fc from "fast-check";
import { SimClock } from "../../src/clock.ts";
import {
  COMPRESSOR_NAMES,
  type CompressorName,
  compressorCreate,
} from "../../src/compress/index.ts";
import {
  COMPRESS_BUFFER_BYTES,
  IDLE_AGE_TICKS_MAX,
  IDLE_TICK_MS,
  PAGE_SIZE,
} from "../../src/constants.ts";
import { ZswapError } from "../../src/errors.ts";
import { classOfObject } from "../../src/pool/index.ts";
import type { EntryIndex } from "../../src/types.ts";
import { CODEC_ID_MASK } from "../../src/zswap/entries.ts";
import { RECOMPRESS_TYPES, type RecompressType } from "../../src/zswap/idle.ts";
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
  | { op: "compact" }
  | { op: "time"; ms: number }
  | { op: "idle"; olderThanMs: number | undefined }
  | { op: "recompress"; pick: RecompressType; threshold: number };

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
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("time" as const),
      ms: fc.integer({ min: 0, max: 5 * IDLE_TICK_MS }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("idle" as const),
      olderThanMs: fc.option(fc.integer({ min: 0, max: 8 * IDLE_TICK_MS }), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("recompress" as const),
      pick: fc.constantFrom(...RECOMPRESS_TYPES),
      threshold: fc.constantFrom(0, 0, 1000, 2500),
    }),
  },
);

/** Recompressor lists a run may use: none, one, two in order. */
const RECOMPRESSOR_LISTS: readonly (readonly CompressorName[])[] = [
  [],
  ["zstd"],
  ["lz4hc", "zstd"],
  ["deflate"],
];

const setupArb = fc.record({
  poolPages: fc.integer({ min: 1, max: 120 }),
  accept: fc.integer({ min: 0, max: 100 }),
  ratio: fc.integer({ min: 30, max: 100 }),
  raw: fc.boolean(),
  exclusive: fc.boolean(),
  recompressors: fc.integer({ min: 0, max: RECOMPRESSOR_LISTS.length - 1 }),
});

type Setup = {
  poolPages: number;
  accept: number;
  ratio: number;
  raw: boolean;
  exclusive: boolean;
  recompressors: number;
};

/** What the model holds for a slot. */
interface Held {
  page: Uint8Array;
  length: number;
  codec: CompressorName;
  /** Last store or load, ms on the run's clock. */
  atime: number;
  idle: boolean;
  incompressible: boolean;
}

function run(setup: Setup, ops: Op[]): void {
  const clock = new SimClock();
  const recompressors = RECOMPRESSOR_LISTS[setup.recompressors]!;
  const z = new Zswap(
    {
      maxPoolBytes: setup.poolPages * PAGE_SIZE,
      acceptThresholdPercent: setup.accept,
      maxCompressionRatio: setup.ratio,
      incompressible: setup.raw ? "store-raw" : "reject",
      exclusiveLoads: setup.exclusive,
      compressor: "lz4",
      recompressors,
    },
    { clock },
  );
  // The model: what each slot holds, which areas are on, the counters it expects.
  const model = new Map<string, Held>();
  const on = new Set<number>();
  let codec = compressorCreate("lz4");
  let reachedFull = false;
  // The accept threshold, kept one longest zspage (8 pages) under the bound.
  const acceptPages = Math.max(
    0,
    Math.min(Math.floor((setup.poolPages * setup.accept) / 100), setup.poolPages - 8),
  );
  const want = {
    zswpout: 0,
    zswpin: 0,
    duplicate_entry: 0,
    rejects: 0,
    recomp_pages: 0,
    recomp_incompressible: 0,
  };
  const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
  const into = new Uint8Array(PAGE_SIZE);
  const key = (t: number, o: number) => `${t}:${o}`;
  const tick = (ms: number) => Math.floor(ms / IDLE_TICK_MS);
  let lastWalk = 0;
  /** markIdle, against the model's own ages. */
  const walk = (olderThanMs: number | undefined) => {
    const olderThan = Math.ceil((olderThanMs ?? 0) / IDLE_TICK_MS);
    for (const m of model.values()) {
      if (tick(clock.now()) - tick(m.atime) >= olderThan) m.idle = true;
    }
    const idle = [...model.values()].filter((m) => m.idle).length;
    assert.equal(z.markIdle({ olderThanMs }), idle);
    lastWalk = tick(clock.now());
  };

  for (const op of ops) {
    const onArea = "offset" in op || op.op === "swapoff";
    if (onArea && !on.has(op.type)) {
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
          model.set(k, {
            page,
            length: n,
            codec: codec.name,
            atime: clock.now(),
            idle: false,
            incompressible: false,
          });
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
          else Object.assign(m, { atime: clock.now(), idle: false });
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
      case "time":
        clock.setTimeout(() => {}, op.ms);
        clock.advance();
        // markIdle's contract: a walk at least every 128 ticks, or access times wrap unseen.
        if (tick(clock.now()) - lastWalk >= 100) walk(IDLE_AGE_TICKS_MAX * IDLE_TICK_MS);
        break;
      case "idle":
        walk(op.olderThanMs);
        break;
      case "recompress":
        recompressCheck(z, model, recompressors, op, want);
        break;
    }
    zswapCheck(z);
    const s = z.stats();
    assert.equal(s.stored_pages, model.size);
    assert.equal(s.zswpout, want.zswpout);
    assert.equal(s.zswpin, want.zswpin);
    assert.equal(s.duplicate_entry, want.duplicate_entry);
    assert.equal(s.recomp_pages, want.recomp_pages);
    assert.equal(s.recomp_incompressible, want.recomp_incompressible);
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

/** Each slot's entry as zswap holds it now: its pool object's length and its codec. */
function entriesBySlot(z: Zswap): Map<string, { length: number; codec: CompressorName }> {
  const { entries: t, pool, handleOf } = Zswap.unsafeExposeInternals(z);
  const held = new Map<string, { length: number; codec: CompressorName }>();
  for (let e = 1 as EntryIndex; e < t.rowsUsed; e++) {
    if (!t.isLive(e)) continue;
    const codec = COMPRESSOR_NAMES[t.codec[e]! & CODEC_ID_MASK]!;
    held.set(`${t.type[e]}:${t.offset[e]}`, { length: pool.lengthOf(handleOf(e)), codec });
  }
  return held;
}

/**
 * recompress() against the model: the model decides which pages are tried and what each
 * recompressor makes of them (the first to save a size class, below the threshold); a page
 * whose new object the pool had no room for stays as it was.
 */
function recompressCheck(
  z: Zswap,
  model: Map<string, Held>,
  recompressors: readonly CompressorName[],
  op: { pick: RecompressType; threshold: number },
  want: { recomp_pages: number; recomp_incompressible: number },
): void {
  const dst = new Uint8Array(COMPRESS_BUFFER_BYTES);
  const plans = new Map<string, { length: number; codec: CompressorName } | undefined>();
  for (const [k, m] of model) {
    const raw = m.length === PAGE_SIZE;
    const typed =
      op.pick === "all" ||
      (op.pick === "idle" && m.idle) ||
      (op.pick === "huge" && raw) ||
      (op.pick === "huge_idle" && raw && m.idle);
    const first = recompressors.indexOf(m.codec) + 1;
    if (!typed || m.incompressible || first >= recompressors.length) continue;
    if (m.length < op.threshold) continue;
    let plan: { length: number; codec: CompressorName } | undefined;
    for (const name of recompressors.slice(first)) {
      const n = compressorCreate(name).compress(m.page, dst, m.length - 1);
      const smaller = n > 0 && classOfObject(n) < classOfObject(m.length);
      if (smaller && (op.threshold === 0 || n < op.threshold)) {
        plan = { length: n, codec: name };
        break;
      }
    }
    plans.set(k, plan);
  }
  const r = z.recompress({ type: op.pick, threshold: op.threshold });
  assert.equal(r.tried, plans.size, "recompress tried the pages the model says");
  const held = entriesBySlot(z);
  for (const [k, plan] of plans) {
    const m = model.get(k)!;
    const now = held.get(k)!;
    if (plan === undefined) {
      m.incompressible = true;
      want.recomp_incompressible++;
    } else if (now.length === plan.length) {
      assert.equal(now.codec, plan.codec);
      Object.assign(m, plan);
      want.recomp_pages++;
    }
    assert.deepEqual(
      { length: now.length, codec: now.codec },
      { length: m.length, codec: m.codec },
    );
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
