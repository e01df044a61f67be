// A checker outside the pool: walks its tables through the one test hook and asserts every
// structural invariant, independently of how the pool keeps them.

import assert from "node:assert/strict";
import { PAGE_SIZE } from "../../src/constants.ts";
import {
  classOfSize,
  classOfSizeIndex,
  POOL_SIZE_INDEXES,
  sizeIndexBytes,
  sizeIndexObjects,
  sizeIndexPages,
} from "../../src/pool/geometry.ts";
import { POOL_LAYOUT, poolInternals, type ZsPool } from "../../src/pool/zspool.ts";

const { fullnessGroups, linkEnd, linkFree, metaWords, zspageDead } = POOL_LAYOUT;

function fullnessExpected(inuse: number, objects: number): number {
  if (inuse === objects) return fullnessGroups - 1;
  const ratioPercent = Math.floor((100 * inuse) / objects);
  return Math.floor(ratioPercent / 10) + 1;
}

/** Asserts the pool's structure; returns the number of live zspages. */
export function poolCheck(pool: ZsPool): number {
  const t = poolInternals(pool);
  const onList = new Map<number, number>(); // zspage id -> list key it was found on
  for (let c = 0; c < POOL_SIZE_INDEXES; c++) {
    for (let g = 0; g < fullnessGroups; g++) {
      const k = c * fullnessGroups + g;
      let length = 0;
      let prev = 0;
      for (let id = t.listHead[k]; id !== 0; id = t.zsNext[id]) {
        assert.equal(onList.has(id), false, `zspage ${id} on two lists or a cycle`);
        onList.set(id, k);
        assert.equal(t.zsPrev[id], prev, `zspage ${id} prev link`);
        assert.equal(t.zsClass[id], c, `zspage ${id} on the list of another class`);
        assert.equal(t.zsGroup[id], g, `zspage ${id} group`);
        prev = id;
        length++;
      }
      assert.equal(t.listLength[k], length, `list length of class ${c} group ${g}`);
      assert.equal((t.listMask[c] >> g) & 1, length > 0 ? 1 : 0, `list mask of class ${c}`);
    }
  }

  let pages = 0;
  let requested = 0;
  let live = 0;
  const objAllocated = new Uint32Array(POOL_SIZE_INDEXES);
  const objUsed = new Uint32Array(POOL_SIZE_INDEXES);
  const deadIds = new Set<number>();
  for (let id = 1; id < t.idNext; id++) {
    const c = t.zsClass[id];
    if (c === zspageDead) {
      deadIds.add(id);
      assert.equal(onList.has(id), false, `dead zspage ${id} on a list`);
      continue;
    }
    live++;
    assert.equal(classOfSizeIndex[c], c, `zspage ${id} of merged-away class ${c}`);
    const objects = sizeIndexObjects[c];
    const meta = t.zsMeta[id];
    const link = (i: number) => meta[i * metaWords];
    assert.equal(t.zsBytes[id].length, sizeIndexPages[c] * PAGE_SIZE, `zspage ${id} bytes`);
    assert.equal(t.zsBytes[id].byteOffset, 0, `zspage ${id} owns its buffer`);
    // One buffer per zspage: its pages, then its objects' metadata.
    assert.equal(meta.buffer, t.zsBytes[id].buffer, `zspage ${id} metadata in its own buffer`);
    assert.equal(meta.byteOffset, sizeIndexPages[c] * PAGE_SIZE);
    assert.equal(meta.length, objects * metaWords);
    assert.equal(t.zsBytes[id].buffer.byteLength, meta.byteOffset + meta.byteLength);
    let inuse = 0;
    for (let i = 0; i < objects; i++) {
      if ((link(i) & linkFree) !== 0) {
        assert.equal(
          meta[i * metaWords + 1] | meta[i * metaWords + 2],
          0,
          "free object has no tag",
        );
        continue;
      }
      inuse++;
      requested += link(i);
      assert.ok(link(i) >= 1 && link(i) <= sizeIndexBytes[c], `object size fits its class`);
      assert.equal(classOfSize(link(i)), c, `object of ${link(i)} bytes in class ${c}`);
    }
    assert.equal(t.zsInuse[id], inuse, `zspage ${id} in-use count`);
    assert.ok(inuse > 0, `empty zspage ${id} kept`);
    let free = 0;
    const seen = new Set<number>();
    for (let i = t.zsFreeHead[id]; i !== linkEnd; i = link(i) & linkEnd) {
      assert.ok(i < objects, `free index ${i} in range`);
      assert.ok(!seen.has(i), `free list of zspage ${id} loops`);
      seen.add(i);
      assert.notEqual(link(i) & linkFree, 0, `allocated object on free list`);
      free++;
    }
    assert.equal(free, objects - inuse, `zspage ${id} free list length`);
    assert.equal(onList.get(id), c * fullnessGroups + fullnessExpected(inuse, objects));
    pages += sizeIndexPages[c];
    objAllocated[c] += objects;
    objUsed[c] += inuse;
  }
  assert.equal(onList.size, live, "every zspage on exactly one list");
  assert.equal(t.pagesUsedCount, pages, "pagesUsed is the sum over zspages");
  assert.equal(pool.pagesUsed, pages);
  assert.equal(t.requestedBytesCount, requested, "requested bytes");
  assert.deepEqual(t.objAllocated, objAllocated, "objAllocated per class");
  assert.deepEqual(t.objUsed, objUsed, "objUsed per class");
  let freeIds = 0;
  for (let id = t.idFreeHead; id !== 0; id = t.zsNext[id]) {
    assert.ok(deadIds.has(id), `free id ${id} is dead`);
    freeIds++;
    assert.ok(freeIds <= deadIds.size, "free id chain loops");
  }
  assert.equal(freeIds, deadIds.size, "every dead id is free for reuse");
  return live;
}
