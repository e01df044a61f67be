import assert from "node:assert/strict";
import { test } from "node:test";
import { PAGE_SIZE, POOL_ZSPAGE_PAGES_MAX } from "../../src/constants.ts";
import {
  classOfObject,
  classOfSize,
  classOfSizeIndex,
  POOL_CLASSES,
  POOL_HUGE_CLASS,
  POOL_HUGE_OBJECT_BYTES_MIN,
  POOL_SIZE_INDEXES,
  sizeIndexBytes,
  sizeIndexObjects,
  sizeIndexPages,
} from "../../src/pool/geometry.ts";
import { ZsPool } from "../../src/pool/index.ts";
import type { ByteCount, PageCount } from "../../src/types.ts";

/** zsmalloc's chain rule, brute force: fewest wasted bytes, then fewest pages. */
function chainExpected(size: number): { pages: number; waste: number } {
  let best = { pages: 0, waste: Number.POSITIVE_INFINITY };
  for (let pages = 1; pages <= POOL_ZSPAGE_PAGES_MAX; pages++) {
    const waste = pages * PAGE_SIZE - Math.floor((pages * PAGE_SIZE) / size) * size;
    if (waste < best.waste) best = { pages, waste };
  }
  return best;
}

test("size indexes: 255 sizes 16 bytes apart from 32 to 4096", () => {
  assert.equal(POOL_SIZE_INDEXES, 255);
  for (let i = 0; i < POOL_SIZE_INDEXES; i++) assert.equal(sizeIndexBytes[i], 32 + 16 * i);
});

test("every size's geometry fits its zspage and wastes what zsmalloc's rule gives", () => {
  for (let i = 0; i < POOL_SIZE_INDEXES; i++) {
    const size = sizeIndexBytes[i];
    const pages = sizeIndexPages[i];
    const objects = sizeIndexObjects[i];
    assert.ok(pages >= 1 && pages <= POOL_ZSPAGE_PAGES_MAX);
    assert.ok(objects * size <= pages * PAGE_SIZE, `class ${size} overflows`);
    assert.ok((objects + 1) * size > pages * PAGE_SIZE, `class ${size} leaves an object's room`);
    const expected = chainExpected(size);
    assert.equal(pages, expected.pages, `pages of class ${size}`);
    assert.equal(pages * PAGE_SIZE - objects * size, expected.waste, `waste of class ${size}`);
  }
});

test("merged classes: runs of equal geometry served by the run's largest size", () => {
  for (let i = 0; i < POOL_SIZE_INDEXES; i++) {
    const c = classOfSizeIndex[i];
    assert.ok(c >= i, "a size merges upward");
    assert.equal(classOfSizeIndex[c], c, "a class serves itself");
    assert.equal(
      sizeIndexPages[c],
      sizeIndexPages[i],
      `pages of ${sizeIndexBytes[i]} vs its class`,
    );
    assert.equal(sizeIndexObjects[c], sizeIndexObjects[i], `objects of ${sizeIndexBytes[i]}`);
    if (i + 1 < POOL_SIZE_INDEXES) {
      const same =
        sizeIndexPages[i] === sizeIndexPages[i + 1] &&
        sizeIndexObjects[i] === sizeIndexObjects[i + 1];
      assert.equal(c === classOfSizeIndex[i + 1], same, `merge of ${sizeIndexBytes[i]} and next`);
    }
  }
  assert.deepEqual(
    POOL_CLASSES,
    [...Array(POOL_SIZE_INDEXES).keys()].filter((i) => classOfSizeIndex[i] === i),
  );
});

test("the facts of Documentation/mm/zsmalloc.rst for 8-page chains", () => {
  // 1568 bytes: 5 pages hold 13 objects and waste 96 bytes.
  const c1568 = classOfSize(1568);
  assert.deepEqual(
    [sizeIndexBytes[c1568], sizeIndexPages[c1568], sizeIndexObjects[c1568]],
    [1568, 5, 13],
  );
  // The top of the classes table; anything above 3632 bytes is huge.
  const top = POOL_CLASSES.slice(-6).map((c) => [c, sizeIndexBytes[c], sizeIndexPages[c]]);
  assert.deepEqual(top, [
    [202, 3264, 4],
    [211, 3408, 5],
    [217, 3504, 6],
    [222, 3584, 7],
    [225, 3632, 8],
    [254, 4096, 1],
  ]);
  assert.equal(POOL_HUGE_CLASS, 254);
  assert.equal(classOfSize(3632), 225);
  assert.equal(classOfSize(3633), POOL_HUGE_CLASS);
  // An object shares a zspage while it and its 8-byte header fit the 3632 class.
  assert.equal(POOL_HUGE_OBJECT_BYTES_MIN, 3625);
  assert.equal(classOfObject(3624), 225);
  assert.equal(classOfObject(3625), POOL_HUGE_CLASS);
  assert.equal(sizeIndexObjects[POOL_HUGE_CLASS], 1);
});

test("every size 1..4096 maps to the smallest class that holds it", () => {
  let previous = 0;
  for (let size = 1; size <= PAGE_SIZE; size++) {
    const c = classOfSize(size);
    assert.ok(sizeIndexBytes[c] >= size, `class of ${size} too small`);
    assert.ok(c >= previous, "classes grow with size");
    previous = c;
    // No smaller class with its own geometry would hold it.
    const smaller = POOL_CLASSES.filter((k) => k < c);
    if (smaller.length > 0) assert.ok(sizeIndexBytes[smaller[smaller.length - 1]] < size);
  }
});

test("malloc gives sizes 1, 24, 25, 4095 and 4096 objects that hold their class less the header", () => {
  const pool = new ZsPool({ pagesMax: 64 as PageCount });
  // Slots of 32 and 48 bytes keep an 8-byte header; the huge class keeps it outside the page.
  const expectedCapacity = new Map([
    [1, 24],
    [24, 24],
    [25, 40],
    [4095, 4096],
    [4096, 4096],
  ]);
  const handles = [];
  for (const [size, capacity] of expectedCapacity) {
    const h = pool.malloc(size as ByteCount, size);
    assert.notEqual(h, 0);
    assert.equal(pool.sizeOf(h), capacity);
    assert.equal(pool.lengthOf(h), size);
    const bytes = pool.bytesOf(h);
    const offset = pool.offsetOf(h);
    assert.ok(offset + pool.sizeOf(h) <= bytes.length);
    bytes.fill(size & 0xff, offset, offset + pool.sizeOf(h));
    handles.push(h);
  }
  for (const h of handles) {
    const bytes = pool.bytesOf(h);
    const offset = pool.offsetOf(h);
    const want = pool.tagOf(h) & 0xff;
    for (let j = offset; j < offset + pool.sizeOf(h); j++) assert.equal(bytes[j], want);
  }
});
