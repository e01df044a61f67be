import assert from "node:assert/strict";
import { test } from "node:test";
import { POOL_PAGES_MAX } from "../../src/constants.ts";
import { ZswapArgumentError } from "../../src/errors.ts";
import { classOfSize, POOL_CLASSES, type PoolStats, ZsPool } from "../../src/pool/index.ts";
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
    const h = pool.malloc(bytes(20), i);
    assert.notEqual(h, NO_HANDLE, `object ${i}`);
    small.push(h);
  }
  assert.equal(pool.pagesUsed, 1);
  assert.equal(pool.malloc(bytes(20), 500), NO_HANDLE);
  pool.free(small[77]);
  const h = pool.malloc(bytes(32), 77);
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

test("bytesOf is the zspage's own cached array; handles of other objects survive", () => {
  const pool = new ZsPool({ pagesMax: pages(100) });
  const a = pool.malloc(bytes(1000), 1);
  const b = pool.malloc(bytes(1000), 2);
  assert.equal(pool.bytesOf(a), pool.bytesOf(b), "same zspage, same array");
  assert.equal(pool.bytesOf(a), pool.bytesOf(a));
  assert.equal(pool.bytesOf(a).length, 4096);
  assert.equal(pool.sizeOf(a), 1024);
  assert.notEqual(pool.offsetOf(a), pool.offsetOf(b));
  const c = pool.malloc(bytes(1200), 3);
  assert.equal(pool.bytesOf(c).length, 5 * 4096, "1200-byte class chains 5 pages");
  objectWrite(pool, a, 1, 1000);
  objectWrite(pool, c, 3, 1200);
  pool.free(b);
  assert.ok(objectIntact(pool, a, 1, 1000));
  assert.ok(objectIntact(pool, c, 3, 1200));
  const s = pool.stats();
  assert.equal(s.objects, 2);
  assert.equal(s.requestedBytes, 2200);
  assert.equal(s.pagesUsed, 6);
  poolCheck(pool);
});

test("objects that cross a page boundary are contiguous in their zspage", () => {
  const pool = new ZsPool({ pagesMax: pages(100) });
  // 1200-byte objects: the 4th starts at 3600 and ends at 4800, across pages 0 and 1.
  const hs = [0, 1, 2, 3, 4].map((tag) => pool.malloc(bytes(1200), tag));
  const crossing = hs.find((h) => {
    const start = pool.offsetOf(h);
    return Math.floor(start / 4096) !== Math.floor((start + 1199) / 4096);
  });
  assert.ok(crossing !== undefined, "some object crosses a page");
  objectWrite(pool, crossing, 3, 1200);
  assert.ok(objectIntact(pool, crossing, 3, 1200));
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
  for (let tag = 0; tag < 50; tag++) pool.malloc(bytes(1568), tag);
  const s = pool.stats();
  assert.equal(s.classes.length, POOL_CLASSES.length);
  const row = s.classes.find((r) => r.index === classOfSize(1568));
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
  assert.equal(s.requestedBytes, 50 * 1568);
  assert.equal(s.zspages, 4);
});

test("malloc fills the fullest zspage with room first", () => {
  const pool = new ZsPool({ pagesMax: pages(100) });
  // 1024-byte class: 4 objects in a 1-page zspage. Two zspages, then one left at 1/4, one at 3/4.
  const hs = [0, 1, 2, 3, 4, 5, 6, 7].map((tag) => pool.malloc(bytes(1000), tag));
  const zspageOf = (h: Handle) => pool.bytesOf(h);
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
    pool.stats().classes.find((r) => r.index === classOfSize(1000))?.zspagesByFullness,
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
