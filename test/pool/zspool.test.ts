import assert from "node:assert/strict";
import { test } from "node:test";
import { POOL_CHUNK_PAGES, POOL_PAGES_MAX } from "../../src/constants.ts";
import { ZswapArgumentError } from "../../src/errors.ts";
import { classOfObject, POOL_CLASSES, type PoolStats, ZsPool } from "../../src/pool/index.ts";
import { POOL_LAYOUT } from "../../src/pool/zspool.ts";
import { Random } from "../../src/random.ts";
import { type ByteCount, type Handle, NO_HANDLE, type PageCount } from "../../src/types.ts";
import { poolCheck } from "./pool-check.ts";

const pages = (n: number) => n as PageCount;
const bytes = (n: number) => n as ByteCount;

function isOptionError(err: unknown): boolean {
  return err instanceof ZswapArgumentError && err.code === "ZSWAP_E_OPTION";
}

/** Object contents derived from its tag, so any misplaced or lost byte shows. */
function patternByte(tag: number, j: number): number {
  return (Math.imul(tag, 2654435761) + j * 131 + (j >> 8)) & 0xff;
}

function objectWrite(pool: ZsPool, h: Handle, tag: number, size: number): void {
  const b = pool.bytesOf(h);
  const off = pool.offsetOf(h);
  for (let j = 0; j < size; j++) b[off + j] = patternByte(tag, j);
}

function objectIntact(pool: ZsPool, h: Handle, tag: number, size: number): boolean {
  if (pool.tagOf(h) !== tag) return false;
  const b = pool.bytesOf(h);
  const off = pool.offsetOf(h);
  for (let j = 0; j < size; j++) if (b[off + j] !== patternByte(tag, j)) return false;
  return true;
}

test("full pool: malloc returns NO_HANDLE at the bound and room comes back on free", () => {
  const pool = new ZsPool({ pagesMax: pages(10) });
  const huge: Handle[] = [];
  for (let i = 0; i < 10; i++) {
    const h = pool.malloc(bytes(4096), i);
    assert.notEqual(h, NO_HANDLE);
    huge.push(h);
  }
  assert.equal(pool.pagesUsed, 10);
  assert.equal(pool.malloc(bytes(4096), 99), NO_HANDLE);
  assert.equal(pool.malloc(bytes(32), 99), NO_HANDLE, "a new class needs a new zspage too");
  assert.equal(pool.pagesUsed, 10);
  poolCheck(pool);
  pool.free(huge[3]);
  assert.equal(pool.pagesUsed, 9);
  const again = pool.malloc(bytes(4000), 3);
  assert.notEqual(again, NO_HANDLE);
  assert.equal(pool.malloc(bytes(4000), 4), NO_HANDLE);
  poolCheck(pool);
});

test("full pool: a zspage with room still serves its class at the bound", () => {
  const pool = new ZsPool({ pagesMax: pages(1) });
  const perPage = 4096 / 32;
  const small: Handle[] = [];
  for (let i = 0; i < perPage; i++) {
    const h = pool.malloc(bytes(20), i); // with its 8-byte header, a 32-byte slot
    assert.notEqual(h, NO_HANDLE, `object ${i}`);
    small.push(h);
  }
  assert.equal(pool.pagesUsed, 1);
  assert.equal(pool.malloc(bytes(20), 500), NO_HANDLE);
  pool.free(small[77]);
  const h = pool.malloc(bytes(24), 77);
  assert.notEqual(h, NO_HANDLE);
  assert.equal(pool.malloc(bytes(1), 501), NO_HANDLE);
  // An 8-page class never fits a 1-page bound.
  assert.equal(pool.malloc(bytes(3632), 502), NO_HANDLE);
  poolCheck(pool);
});

test("pagesMax setter: shrinking below pagesUsed only stops growth", () => {
  const pool = new ZsPool({ pagesMax: pages(8) });
  const hs = [1, 2, 3, 4].map((tag) => pool.malloc(bytes(4096), tag));
  pool.pagesMax = pages(2);
  assert.equal(pool.pagesMax, 2);
  assert.equal(pool.pagesUsed, 4);
  assert.equal(pool.malloc(bytes(4096), 5), NO_HANDLE);
  pool.free(hs[0]);
  pool.free(hs[1]);
  assert.equal(pool.malloc(bytes(4096), 6), NO_HANDLE, "2 + 1 pages exceed the bound of 2");
  pool.free(hs[2]);
  assert.notEqual(pool.malloc(bytes(4096), 7), NO_HANDLE);
  assert.throws(() => {
    pool.pagesMax = pages(0);
  }, isOptionError);
  assert.equal(pool.pagesMax, 2);
});

test("bytesOf is the arena chunk's own array; map tells all; other objects survive a free", () => {
  const pool = new ZsPool({ pagesMax: pages(100) });
  const a = pool.malloc(bytes(1000), 1);
  const b = pool.malloc(bytes(1000), 2);
  assert.equal(pool.bytesOf(a), pool.bytesOf(b), "same zspage, same chunk, same array");
  assert.equal(pool.bytesOf(a).length, POOL_CHUNK_PAGES * 4096);
  assert.ok(pool.bytesOf(a).buffer instanceof SharedArrayBuffer, "arenas are shared memory");
  assert.equal(pool.sizeOf(a), 1016, "the 1024 class, less the header");
  assert.equal(pool.offsetOf(b) - pool.offsetOf(a), 1024, "slots follow each other");
  const c = pool.malloc(bytes(1192), 3);
  assert.equal(pool.stats().pagesUsed, 6, "a 1-page zspage and a 5-page one (1200 class)");
  assert.notEqual(pool.bytesOf(c), pool.bytesOf(a), "zspages of 5 pages live in another arena");
  objectWrite(pool, a, 1, 1000);
  objectWrite(pool, c, 3, 1192);
  assert.equal(pool.map(c), pool.bytesOf(c));
  assert.deepEqual(
    [pool.mappedOffset, pool.mappedLength, pool.mappedTag],
    [pool.offsetOf(c), 1192, 3],
  );
  pool.free(b);
  assert.ok(objectIntact(pool, a, 1, 1000));
  assert.ok(objectIntact(pool, c, 3, 1192));
  const s = pool.stats();
  assert.equal(s.objects, 2);
  assert.equal(s.requestedBytes, 2192);
  assert.equal(s.pagesUsed, 6);
  poolCheck(pool);
});

test("objects that cross a page boundary are contiguous in their zspage", () => {
  const pool = new ZsPool({ pagesMax: pages(100) });
  // 1192-byte objects in 1200-byte slots: the 4th starts at 3600 and ends at 4800, across pages.
  const hs = [0, 1, 2, 3, 4].map((tag) => pool.malloc(bytes(1192), tag));
  const crossing = hs.find((h) => {
    const start = pool.offsetOf(h);
    return Math.floor(start / 4096) !== Math.floor((start + 1199) / 4096);
  });
  assert.ok(crossing !== undefined, "some object crosses a page");
  objectWrite(pool, crossing, 3, 1192);
  assert.ok(objectIntact(pool, crossing, 3, 1192));
});

test("bad input throws ZSWAP_E_OPTION and changes nothing", () => {
  for (const pagesMax of [0, -1, Number.NaN, 1.5, POOL_PAGES_MAX + 1, undefined, "8"]) {
    assert.throws(() => new ZsPool({ pagesMax: pagesMax as PageCount }), isOptionError);
  }
  assert.throws(() => new ZsPool(null as never), isOptionError);
  assert.throws(() => new ZsPool({ pagesMax: pages(1), onMove: 5 as never }), isOptionError);
  assert.doesNotThrow(() => new ZsPool({ pagesMax: pages(POOL_PAGES_MAX) }));

  const pool = new ZsPool({ pagesMax: pages(50) });
  const live = [
    [pool.malloc(bytes(700), 7), 7, 700],
    [pool.malloc(bytes(4096), 8), 8, 4096],
    [pool.malloc(bytes(40), 9), 9, 40],
  ] as const;
  for (const [h, tag, size] of live) objectWrite(pool, h, tag, size);
  const freed = pool.malloc(bytes(700), 10);
  pool.free(freed);
  const before: PoolStats = pool.stats();

  for (const size of [0, 4097, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, "100"]) {
    assert.throws(() => pool.malloc(size as ByteCount, 1), isOptionError, `size ${String(size)}`);
  }
  for (const tag of [-1, 2 ** 32, 0.5, Number.NaN]) {
    assert.throws(() => pool.malloc(bytes(100), tag), isOptionError, `tag ${tag}`);
  }
  const hugeHandle = live[1][0];
  const badHandles = [
    0,
    NO_HANDLE,
    -1,
    1.5,
    2 ** 32,
    Number.NaN,
    freed, // freed already: a double free
    hugeHandle + 1, // index past the huge class's single object
    999 * 1024, // a zspage id never used
    (live[2][0] >>> 10) * 1024 + 127 + 1, // past the 32-byte class's 128 objects
  ];
  for (const h of badHandles) {
    assert.throws(() => pool.free(h as Handle), isOptionError, `free ${h}`);
    assert.throws(() => pool.bytesOf(h as Handle), isOptionError);
    assert.throws(() => pool.offsetOf(h as Handle), isOptionError);
    assert.throws(() => pool.sizeOf(h as Handle), isOptionError);
    assert.throws(() => pool.tagOf(h as Handle), isOptionError);
  }
  assert.deepEqual(pool.stats(), before);
  poolCheck(pool);
  for (const [h, tag, size] of live) assert.ok(objectIntact(pool, h, tag, size));
});

test("compaction frees pages after a random half is freed, and preserves every object", () => {
  const moved = new Map<number, Handle>();
  const pool = new ZsPool({
    pagesMax: pages(100_000),
    onMove: (tag, to) => moved.set(tag, to),
  });
  const rnd = new Random(20240611);
  const objects = new Map<number, { h: Handle; size: number }>();
  for (let tag = 0; tag < 6000; tag++) {
    const r = rnd.next();
    const size =
      r < 0.7 ? 500 + rnd.below(1501) : r < 0.85 ? 1 + rnd.below(200) : 3500 + rnd.below(597);
    const h = pool.malloc(bytes(size), tag);
    assert.notEqual(h, NO_HANDLE);
    objectWrite(pool, h, tag, size);
    objects.set(tag, { h, size });
  }
  for (const [tag, o] of objects) {
    if (rnd.chance(0.5)) {
      pool.free(o.h);
      objects.delete(tag);
    }
  }
  const before = pool.stats();
  assert.ok(before.freeable > 0, "freeing half leaves whole zspages of holes");
  const pagesBefore = pool.pagesUsed;
  const freedPages = pool.compact();
  assert.ok(freedPages > 0);
  assert.equal(pool.pagesUsed, pagesBefore - freedPages);
  assert.equal(freedPages, before.freeable, "compaction frees exactly what was freeable");
  assert.ok(moved.size > 0);
  for (const [tag, to] of moved) {
    const o = objects.get(tag);
    assert.ok(o !== undefined, `moved object ${tag} is live`);
    o.h = to;
  }
  for (const [tag, o] of objects) assert.ok(objectIntact(pool, o.h, tag, o.size), `object ${tag}`);
  const after = pool.stats();
  assert.equal(after.pagesCompacted, freedPages);
  assert.equal(after.objects, objects.size);
  assert.equal(after.freeable, 0);
  for (const row of after.classes) {
    assert.equal(row.zspages, Math.ceil(row.objUsed / row.objsPerZspage), `class ${row.sizeBytes}`);
  }
  poolCheck(pool);
  assert.equal(pool.compact(), 0, "a compact pool has nothing to free");
  assert.equal(pool.stats().pagesCompacted, freedPages);
});

test("an onMove that throws or re-enters leaves the pool consistent", () => {
  let calls = 0;
  let pool: ZsPool;
  pool = new ZsPool({
    pagesMax: pages(1000),
    onMove: () => {
      calls++;
      if (calls === 1) pool.free(1024 as Handle);
    },
  });
  const hs: Handle[] = [];
  for (let tag = 0; tag < 400; tag++) hs.push(pool.malloc(bytes(100), tag));
  for (let i = 0; i < hs.length; i++) if (i % 3 !== 0) pool.free(hs[i]);
  assert.throws(() => pool.compact(), /free from inside onMove/);
  poolCheck(pool);
  assert.ok(pool.compact() > 0, "later compaction runs");
  poolCheck(pool);
  assert.notEqual(pool.malloc(bytes(100), 999), NO_HANDLE);
});

test("stats: one row per class with its own geometry, totals add up", () => {
  const pool = new ZsPool({ pagesMax: pages(1000) });
  for (let tag = 0; tag < 50; tag++) pool.malloc(bytes(1560), tag); // 1568-byte slots
  const s = pool.stats();
  assert.equal(s.classes.length, POOL_CLASSES.length);
  const row = s.classes.find((r) => r.index === classOfObject(1560));
  assert.ok(row);
  assert.deepEqual(
    [row.sizeBytes, row.pagesPerZspage, row.objsPerZspage, row.zspages, row.objAllocated],
    [1568, 5, 13, 4, 52],
  );
  assert.equal(row.objUsed, 50);
  assert.equal(row.pagesUsed, 20);
  assert.equal(row.freeable, 0);
  // 3 full zspages and one with 11 of 13 (84%: the 90% column).
  assert.deepEqual(row.zspagesByFullness, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3]);
  assert.equal(s.pagesUsed, 20);
  assert.equal(s.objects, 50);
  assert.equal(s.requestedBytes, 50 * 1560);
  assert.equal(s.zspages, 4);
});

test("malloc fills the fullest zspage with room first", () => {
  const pool = new ZsPool({ pagesMax: pages(100) });
  // 1024-byte class: 4 objects in a 1-page zspage. Two zspages, then one left at 1/4, one at 3/4.
  const hs = [0, 1, 2, 3, 4, 5, 6, 7].map((tag) => pool.malloc(bytes(1000), tag));
  const zspageOf = (h: Handle) => h >>> POOL_LAYOUT.handleIndexBits;
  const first = zspageOf(hs[0]);
  const second = zspageOf(hs[4]);
  assert.notEqual(first, second);
  for (const i of [0, 1, 2, 7]) pool.free(hs[i]);
  // first holds 1 of 4 (hs[3]), second holds 3 of 4 (hs[4..6]).
  const h = pool.malloc(bytes(1000), 8);
  assert.equal(zspageOf(h), second, "the 75% zspage, not the 25% one");
  const h2 = pool.malloc(bytes(1000), 9);
  assert.equal(zspageOf(h2), first, "the full one is skipped");
  assert.deepEqual(
    pool.stats().classes.find((r) => r.index === classOfObject(1000))?.zspagesByFullness,
    [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  );
});

test("tags are whole uint32s, kept through free, reuse and compaction moves", () => {
  const tags = [0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  const moved = new Map<number, Handle>();
  const pool = new ZsPool({ pagesMax: pages(100), onMove: (tag, to) => moved.set(tag, to) });
  // The 1024 class holds 4 objects in a 1-page zspage: each tagged object shares one with
  // 3 fillers, so freeing the fillers leaves 8 zspages at 25% for compaction to merge into 2.
  const handles = new Map<number, Handle>();
  const fillers: Handle[] = [];
  for (const tag of tags) {
    const h = pool.malloc(bytes(1000), tag);
    assert.equal(pool.tagOf(h), tag);
    handles.set(tag, h);
    for (let i = 0; i < 3; i++) fillers.push(pool.malloc(bytes(1000), 0xfedcba98));
  }
  assert.equal(pool.pagesUsed, 8);
  for (const h of fillers) pool.free(h);
  assert.equal(pool.compact(), 6);
  assert.equal(moved.size, 6);
  for (const [tag, to] of moved) {
    assert.ok(handles.has(tag), `onMove reports tag ${tag} as allocated`);
    handles.set(tag, to);
  }
  for (const [tag, h] of handles) assert.equal(pool.tagOf(h), tag, `tag ${tag}`);
  poolCheck(pool);
});

/** Fills `chunks` chunks of the one-page arena with huge objects; keeps every 840th, frees the rest. */
function sparseChunks(pool: ZsPool, chunks: number): Map<number, Handle> {
  const all: Handle[] = [];
  for (let tag = 0; tag < chunks * POOL_CHUNK_PAGES; tag++) {
    const h = pool.malloc(bytes(3700), tag);
    assert.notEqual(h, NO_HANDLE);
    all.push(h);
  }
  const kept = new Map<number, Handle>();
  for (const [tag, h] of all.entries()) {
    if (tag % POOL_CHUNK_PAGES !== 0) {
      pool.free(h);
      continue;
    }
    objectWrite(pool, h, tag, 3700);
    kept.set(tag, h);
  }
  return kept;
}

test("compaction empties sparse chunks into others and gives them back; handles stay", () => {
  const pool = new ZsPool({ pagesMax: pages(4 * POOL_CHUNK_PAGES) });
  const kept = sparseChunks(pool, 3);
  assert.equal(pool.stats().chunks, 3, "one zspage left in each chunk");
  assert.equal(pool.compact(), 0, "no zspage pages to free: each holds its one object");
  const s = pool.stats();
  assert.equal(s.chunks, 1, "two chunks emptied and given back");
  assert.equal(s.chunksGivenBack, 2);
  assert.equal(s.pagesUsed, 3);
  for (const [tag, h] of kept) assert.ok(objectIntact(pool, h, tag, 3700), `object ${tag}`);
  poolCheck(pool);
});

test("at its chunk limit, malloc compacts the arenas first; every object stays", () => {
  const pool = new ZsPool({ pagesMax: pages(10 * POOL_CHUNK_PAGES) });
  const kept = sparseChunks(pool, 9);
  assert.equal(pool.stats().chunks, 9);
  // A bound of one chunk allows 1 + POOL_ARENAS chunks: the pool is at its limit, with free
  // slots only in the one-page arena. A zspage of two pages needs a chunk of its own.
  pool.pagesMax = pages(POOL_CHUNK_PAGES);
  const h = pool.malloc(bytes(2714), 99_999);
  assert.notEqual(h, NO_HANDLE);
  const s = pool.stats();
  assert.equal(s.chunks, 2, "the one-page zspages share one chunk; the new one has another");
  assert.equal(s.chunksGivenBack, 7, "eight chunks emptied: one became the new arena's");
  for (const [tag, kh] of kept) assert.ok(objectIntact(pool, kh, tag, 3700), `object ${tag}`);
  poolCheck(pool);
});
