// Model-based test: random malloc / free / compact / bound changes against a list of live objects,
// with every object's bytes, every handle and the pool's structure checked after every step.
// Reproduce a failure with the seed and path fast-check prints (FC_SEED=<seed> to pin the seed).

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { POOL_ARENAS, POOL_CHUNK_PAGES } from "../../src/constants.ts";
import { classOfObject, ZsPool } from "../../src/pool/index.ts";
import { poolInternals } from "../../src/pool/zspool.ts";
import { Random } from "../../src/random.ts";
import { type ByteCount, type Handle, NO_HANDLE, type PageCount } from "../../src/types.ts";
import { poolCheck } from "./pool-check.ts";

type Op =
  | { kind: "malloc"; size: number; choice: number; count: number }
  | { kind: "free"; pick: number }
  | { kind: "freeMany"; every: number; pick: number }
  | { kind: "compact" }
  | { kind: "limit"; pagesMax: number };

interface Live {
  tag: number;
  size: number;
  h: Handle;
  /** Where the object was last seen: its handle then, and its chunk's bytes. */
  seenH?: Handle;
  seenIn?: Uint8Array;
}

/** Pattern source: object `tag` holds SOURCE[tag % 4096 ..][0, size), distinct per tag. */
const SOURCE = new Uint8Array(8192);
{
  const rnd = new Random(7);
  for (let i = 0; i < SOURCE.length; i++) SOURCE[i] = rnd.u32() & 0xff;
}
function pattern(tag: number, size: number): Uint8Array {
  return SOURCE.subarray(tag % 4096, (tag % 4096) + size);
}

// A realistic mix of compressed page sizes: mostly 400..2100, some tiny, some nearly incompressible.
const sizeArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 400, max: 2100 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 128 }) },
  { weight: 2, arbitrary: fc.integer({ min: 3500, max: 4096 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4096 }) },
);
// Bursts of mallocs fill zspages and bursts of frees leave holes, so compaction has work to do.
const mallocArb = (count: fc.Arbitrary<number>) =>
  fc.record({ kind: fc.constant("malloc" as const), size: sizeArb, choice: fc.nat(), count });
/** Operations with bursts of up to `burstMax` mallocs and bounds up to `pagesMax` pages. */
const opsArb = (burstMax: number, pagesMax: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 8, arbitrary: mallocArb(fc.constant(1)) },
    { weight: 2, arbitrary: mallocArb(fc.integer({ min: 2, max: burstMax })) },
    { weight: 6, arbitrary: fc.nat().map((pick): Op => ({ kind: "free", pick })) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("freeMany" as const),
        every: fc.integer({ min: 2, max: 4 }),
        pick: fc.nat(),
      }),
    },
    { weight: 2, arbitrary: fc.constant<Op>({ kind: "compact" }) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: pagesMax })
        .map((p): Op => ({ kind: "limit", pagesMax: p })),
    },
  );
const opArb = opsArb(100, 96);

/** Objects seen in another chunk under the same handle: their zspage moved (arena compaction). */
let zspageMovesSeen = 0;

function liveCheck(pool: ZsPool, live: readonly Live[]): void {
  const byZspage = new Map<Uint8Array, Array<[number, number]>>();
  for (const o of live) {
    assert.equal(pool.tagOf(o.h), o.tag, `tag of object ${o.tag}`);
    assert.equal(pool.lengthOf(o.h), o.size, `length of object ${o.tag}`);
    const bytes = pool.bytesOf(o.h);
    const start = pool.offsetOf(o.h);
    const end = start + pool.sizeOf(o.h);
    assert.ok(pool.sizeOf(o.h) >= o.size, "capacity holds the request");
    assert.ok(start >= 0 && end <= bytes.length, "object inside its chunk");
    if (o.seenH === o.h && o.seenIn !== bytes) zspageMovesSeen++;
    o.seenH = o.h;
    o.seenIn = bytes;
    assert.equal(
      Buffer.compare(bytes.subarray(start, start + o.size), pattern(o.tag, o.size)),
      0,
      `bytes of object ${o.tag}`,
    );
    let ranges = byZspage.get(bytes);
    if (ranges === undefined) {
      ranges = [];
      byZspage.set(bytes, ranges);
    }
    ranges.push([start, end]);
  }
  for (const ranges of byZspage.values()) {
    ranges.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ranges.length; i++) {
      assert.ok(ranges[i - 1][1] <= ranges[i][0], "two live objects overlap");
    }
  }
}

function statsCheck(pool: ZsPool, live: readonly Live[], zspages: number): void {
  const s = pool.stats();
  assert.equal(s.objects, live.length, "obj_used is the live count");
  assert.equal(
    s.requestedBytes,
    live.reduce((sum, o) => sum + o.size, 0),
    "requested bytes",
  );
  assert.equal(s.pagesUsed, pool.pagesUsed);
  assert.equal(
    s.classes.reduce((sum, r) => sum + r.pagesUsed, 0),
    s.pagesUsed,
    "pages_used per class adds up",
  );
  assert.equal(s.zspages, zspages);
  for (const r of s.classes) {
    assert.equal(
      r.zspagesByFullness.reduce((a, b) => a + b, 0),
      r.zspages,
    );
    assert.equal(r.objAllocated, r.zspages * r.objsPerZspage);
    assert.equal(r.pagesUsed, r.zspages * r.pagesPerZspage);
  }
}

/** Moves and chunks given back across all runs, so the suite can show both were exercised. */
let movesSeen = 0;
let chunksGivenBackSeen = 0;

/**
 * Runs `ops` on a pool of `pagesMaxStart` pages. A non-empty `palette` concentrates mallocs on a
 * few sizes (a few classes with many zspages each); an empty one uses each op's own size.
 */
function run(pagesMaxStart: number, palette: readonly number[], ops: readonly Op[]): void {
  let compacting = false;
  let tagNext = 0;
  let pagesCompacted = 0;
  const live: Live[] = [];
  const byTag = new Map<number, Live>();
  const pool = new ZsPool({
    pagesMax: pagesMaxStart as PageCount,
    onMove: (tag, to) => {
      assert.ok(compacting, "objects move only inside compact()");
      const o = byTag.get(tag);
      assert.ok(o !== undefined, `moved object ${tag} is live`);
      assert.notEqual(to, o.h, "a moved object gets a new handle");
      o.h = to;
      movesSeen++;
    },
  });
  const arenas = poolInternals(pool).arenas;
  const mallocOne = (size: number): void => {
    const pagesBefore = pool.pagesUsed;
    const chunksBefore = arenas.held;
    const tag = tagNext++;
    const h = pool.malloc(size as ByteCount, tag);
    if (arenas.held > chunksBefore) {
      const limit = Math.ceil(pool.pagesMax / POOL_CHUNK_PAGES) + POOL_ARENAS;
      assert.ok(arenas.held <= limit, `took chunk ${arenas.held} past the limit ${limit}`);
    }
    if (h === NO_HANDLE) {
      const row = pool.stats().classes.find((r) => r.index === classOfObject(size));
      assert.ok(row !== undefined);
      assert.equal(row.objAllocated, row.objUsed, "NO_HANDLE while the class had room");
      assert.ok(pool.pagesUsed + row.pagesPerZspage > pool.pagesMax, "NO_HANDLE below bound");
      return;
    }
    if (pool.pagesUsed > pagesBefore)
      assert.ok(pool.pagesUsed <= pool.pagesMax, "grew past pagesMax");
    assert.ok(pool.sizeOf(h) >= size);
    pool.bytesOf(h).set(pattern(tag, size), pool.offsetOf(h));
    const o = { tag, size, h };
    live.push(o);
    byTag.set(tag, o);
  };
  const freeAt = (i: number): void => {
    const o = live[i];
    pool.free(o.h);
    byTag.delete(o.tag);
    assert.throws(() => pool.tagOf(o.h), "a freed handle is dead (its zspage slot is free)");
  };
  for (const op of ops) {
    const pagesBefore = pool.pagesUsed;
    switch (op.kind) {
      case "malloc":
        for (let k = 0; k < op.count; k++) {
          mallocOne(palette.length > 0 ? palette[(op.choice + k) % palette.length] : op.size);
        }
        break;
      case "free": {
        if (live.length === 0) break;
        const i = op.pick % live.length;
        freeAt(i);
        live[i] = live[live.length - 1];
        live.pop();
        break;
      }
      case "freeMany": {
        let kept = 0;
        for (let i = 0; i < live.length; i++) {
          if ((i + op.pick) % op.every === 0) freeAt(i);
          else live[kept++] = live[i];
        }
        live.length = kept;
        break;
      }
      case "compact": {
        const freeable = pool.stats().freeable;
        compacting = true;
        const freed = pool.compact();
        compacting = false;
        pagesCompacted += freed;
        assert.equal(freed, pagesBefore - pool.pagesUsed, "compact reports the pages it freed");
        assert.equal(freed, freeable, "compact frees every freeable page");
        assert.equal(pool.stats().freeable, 0);
        assert.equal(pool.stats().pagesCompacted, pagesCompacted);
        break;
      }
      case "limit":
        pool.pagesMax = op.pagesMax as PageCount;
        break;
    }
    if (pool.pagesUsed > pagesBefore)
      assert.ok(pool.pagesUsed <= pool.pagesMax, "grew past pagesMax");
    const zspages = poolCheck(pool);
    liveCheck(pool, live);
    statsCheck(pool, live, zspages);
  }
  chunksGivenBackSeen += pool.stats().chunksGivenBack;
}

const paletteArb = fc.array(sizeArb, { maxLength: 4 });

test("model: random malloc / free / compact / bound changes keep every object and invariant", () => {
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  const movesBefore = movesSeen;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 96 }),
      paletteArb,
      fc.array(opArb, { minLength: 20, maxLength: 200, size: "max" }),
      run,
    ),
    { numRuns: 200, seed },
  );
  assert.ok(movesSeen - movesBefore > 100, "compaction moved objects in these runs");
});

test("model: long runs in a large pool with compaction under churn", () => {
  const movesBefore = movesSeen;
  fc.assert(
    fc.property(
      paletteArb,
      fc.array(opArb, { minLength: 600, maxLength: 800, size: "max" }),
      (palette, ops) =>
        run(
          400,
          palette,
          ops.map((op): Op => (op.kind === "limit" ? { kind: "compact" } : op)),
        ),
    ),
    { numRuns: 5 },
  );
  assert.ok(movesSeen - movesBefore > 0, "compaction moved objects in these runs");
});

// Sizes whose zspages are one page (huge, 1024 and 2048 classes) or eight (1424 class): a few
// arenas, each of several chunks (840 zspages of one page fill a chunk). Each run fills the pool
// to its bound and frees every other object before its random operations, and compacts after
// them, so that sparse chunks exist and compaction empties and gives them back.
const arenaPaletteArb = fc.array(fc.constantFrom(3700, 4096, 1000, 2000, 1400), {
  minLength: 1,
  maxLength: 3,
});

test("model: pools of several chunks an arena: compaction empties chunks and gives them back", () => {
  const givenBackBefore = chunksGivenBackSeen;
  const zspageMovesBefore = zspageMovesSeen;
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  fc.assert(
    fc.property(
      fc.integer({ min: 1000, max: 4000 }),
      arenaPaletteArb,
      fc.array(opsArb(1500, 4000), { minLength: 10, maxLength: 40, size: "max" }),
      (pagesMax, palette, ops) =>
        run(pagesMax, palette, [
          { kind: "malloc", size: 0, choice: 0, count: 4 * pagesMax },
          { kind: "freeMany", every: 2, pick: 0 },
          ...ops,
          { kind: "compact" },
        ]),
    ),
    { numRuns: 12, seed },
  );
  assert.ok(chunksGivenBackSeen - givenBackBefore > 0, "chunks were given back in these runs");
  assert.ok(zspageMovesSeen - zspageMovesBefore > 0, "zspages moved out of chunks to empty them");
});

test("model: a pool at its chunk limit empties sparse chunks before it takes another", () => {
  // Nine chunks of one-page zspages (huge objects), thinned out until they hold under a chunk's
  // worth, under a bound of one chunk: the pool is at its limit of 1 + POOL_ARENAS chunks, and
  // any zspage of another length needs a chunk that only compaction can free.
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  const thin: Op = { kind: "freeMany", every: 2, pick: 0 };
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 10, maxLength: 30, size: "max" }), (ops) =>
      run(
        10 * POOL_CHUNK_PAGES,
        [],
        [
          { kind: "malloc", size: 4096, choice: 0, count: 9 * POOL_CHUNK_PAGES },
          thin,
          thin,
          thin,
          thin,
          { kind: "limit", pagesMax: POOL_CHUNK_PAGES },
          { kind: "malloc", size: 2714, choice: 0, count: 10 },
          ...ops,
          { kind: "compact" },
        ],
      ),
    ),
    { numRuns: 3, seed },
  );
});
