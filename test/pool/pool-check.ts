// A checker outside the pool: walks its tables and arenas through the one test hook and asserts
// every structural invariant, independently of how the pool keeps them.

import assert from "node:assert/strict";
import { POOL_ARENAS, POOL_CHUNK_PAGES } from "../../src/constants.ts";
import {
  classOfObject,
  classOfSizeIndex,
  objectCapacity,
  POOL_SIZE_INDEXES,
  sizeIndexBytes,
  sizeIndexObjects,
  sizeIndexPages,
} from "../../src/pool/geometry.ts";
import {
  POOL_LAYOUT,
  type PoolInternals,
  poolInternals,
  type ZsPool,
} from "../../src/pool/zspool.ts";

const { fullnessGroups, hugeClass, linkEnd, linkFree, wherePageBits, zspageDead } = POOL_LAYOUT;

function fullnessExpected(inuse: number, objects: number): number {
  if (inuse === objects) return fullnessGroups - 1;
  const ratioPercent = Math.floor((100 * inuse) / objects);
  return Math.floor(ratioPercent / 10) + 1;
}

/** Checks every (class, group) list; returns zspage id -> the list key it is on. */
function listsCheck(t: PoolInternals): Map<number, number> {
  const onList = new Map<number, number>();
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
  return onList;
}

/** Checks the objects of live zspage `id` through their headers; returns [in use, requested]. */
function objectsCheck(t: PoolInternals, id: number): [number, number] {
  const c = t.zsClass[id];
  if (c === hugeClass) {
    const length = t.zsFreeHead[id];
    assert.ok(length >= 1 && classOfObject(length) === hugeClass, `huge object of ${length} B`);
    return [1, length];
  }
  const objects = sizeIndexObjects[c];
  const size = sizeIndexBytes[c];
  const words = t.arenas.words16[t.zsWhere[id] >>> wherePageBits];
  // The header starts the slot: the tag (4 bytes), then the link.
  const first = ((t.zsWhere[id] & ((1 << wherePageBits) - 1)) * 4096 + 4) / 2;
  const link = (i: number) => words[first + (i * size) / 2];
  // Objects from zsBump on were never allocated: their headers are not written yet.
  const bump = t.zsBump[id];
  assert.ok(bump <= objects, `zspage ${id}: bump ${bump} within its ${objects} objects`);
  let inuse = 0;
  let requested = 0;
  for (let i = 0; i < bump; i++) {
    if ((link(i) & linkFree) !== 0) continue;
    inuse++;
    requested += link(i);
    assert.ok(link(i) >= 1 && link(i) <= objectCapacity(c), `object size fits its class`);
    assert.equal(classOfObject(link(i)), c, `object of ${link(i)} bytes in class ${c}`);
  }
  let free = 0;
  const seen = new Set<number>();
  for (let i = t.zsFreeHead[id]; i !== linkEnd; i = link(i) & linkEnd) {
    assert.ok(i < bump, `free index ${i} below the bump`);
    assert.ok(!seen.has(i), `free list of zspage ${id} loops`);
    seen.add(i);
    assert.notEqual(link(i) & linkFree, 0, `allocated object on free list`);
    free++;
  }
  assert.equal(free, bump - inuse, `zspage ${id} free list length`);
  return [inuse, requested];
}

/**
 * Checks the arenas against the zspages found in them (chunk id -> slots in use): slot counts,
 * free slot lists, room bits, the spare, and that no chunk but the spare is held empty.
 */
function arenasCheck(t: PoolInternals, slotsUsed: Map<number, Set<number>>): void {
  const a = t.arenas;
  let held = 0;
  const arenaChunks = new Uint32Array(a.arenaChunks.length);
  const arenaUsed = new Uint32Array(a.arenaUsed.length);
  for (let c = 1; c < a.bytes.length; c++) {
    if (c === a.spare) {
      assert.equal(a.chunkPages[c], 0, "the spare belongs to no arena");
      assert.equal(a.bytes[c].length, POOL_CHUNK_PAGES * 4096, "the spare is held");
      held++;
      continue;
    }
    const pages = a.chunkPages[c];
    const used = slotsUsed.get(c) ?? new Set<number>();
    if (pages === 0) {
      assert.equal(used.size, 0, `zspages in chunk ${c}, which is not held`);
      assert.equal(a.bytes[c].length, 0, `chunk ${c} given back keeps no view`);
      continue;
    }
    held++;
    assert.equal(a.chunkLeaving[c], 0, `chunk ${c} left leaving`);
    assert.ok(used.size > 0, `chunk ${c} held empty (not the spare)`);
    assert.equal(a.chunkUsed[c], used.size, `chunk ${c} slots in use`);
    arenaChunks[pages - 1]++;
    arenaUsed[pages - 1] += used.size;
    const slots = POOL_CHUNK_PAGES / pages;
    const words = a.words16[c];
    let free = 0;
    for (let s = a.chunkFreeHead[c]; s !== 0xffff; s = words[(s * pages * 4096) / 2]) {
      assert.ok(s < a.chunkBump[c] && !used.has(s), `chunk ${c}: free slot ${s} is free`);
      assert.ok(++free <= slots, `chunk ${c}: free slot list loops`);
    }
    assert.equal(used.size + free, a.chunkBump[c], `chunk ${c}: slots used + freed = bumped`);
    const room = (a.room[(pages - 1) * (a.room.length / POOL_ARENAS) + (c >>> 5)] >>> (c & 31)) & 1;
    assert.equal(room, used.size < slots ? 1 : 0, `chunk ${c} room bit`);
  }
  assert.equal(a.held, held, "chunks held");
  assert.deepEqual(a.arenaChunks, arenaChunks, "chunks per arena");
  assert.deepEqual(a.arenaUsed, arenaUsed, "slots in use per arena");
}

/** Asserts the pool's structure; returns the number of live zspages. */
export function poolCheck(pool: ZsPool): number {
  const t = poolInternals(pool);
  const onList = listsCheck(t);
  let pages = 0;
  let requested = 0;
  let live = 0;
  const objAllocated = new Uint32Array(POOL_SIZE_INDEXES);
  const objUsed = new Uint32Array(POOL_SIZE_INDEXES);
  const deadIds = new Set<number>();
  const slotsUsed = new Map<number, Set<number>>();
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
    const chunk = t.zsWhere[id] >>> wherePageBits;
    const page = t.zsWhere[id] & ((1 << wherePageBits) - 1);
    assert.equal(t.arenas.chunkPages[chunk], sizeIndexPages[c], `zspage ${id} in its arena`);
    assert.equal(page % sizeIndexPages[c], 0, `zspage ${id} at a slot's start`);
    assert.ok(page + sizeIndexPages[c] <= POOL_CHUNK_PAGES, `zspage ${id} inside its chunk`);
    const slots = slotsUsed.get(chunk) ?? new Set<number>();
    assert.ok(!slots.has(page / sizeIndexPages[c]), `zspage ${id} shares its slot`);
    slotsUsed.set(chunk, slots.add(page / sizeIndexPages[c]));
    const [inuse, bytes] = objectsCheck(t, id);
    requested += bytes;
    assert.equal(t.zsInuse[id], inuse, `zspage ${id} in-use count`);
    assert.ok(inuse > 0, `empty zspage ${id} kept`);
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
  arenasCheck(t, slotsUsed);
  return live;
}
