// Each internal assertion, tripped by breaking the invariant it guards (through the test doors):
// a broken invariant is a ZswapInvariantError that names it, never a wrong page.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZswapInvariantError } from "../../src/assert.ts";
import { MemoryDevice } from "../../src/device/index.ts";
import { SwapSpace } from "../../src/swap/index.ts";
import { SwapCache } from "../../src/swap/swap-cache.ts";
import type { SwapOffset, SwapType } from "../../src/types.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { EntryTable, WRITEBACK } from "../../src/zswap/entries.ts";
import { Zswap } from "../../src/zswap/index.ts";

const tripped = (invariant: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ZswapInvariantError, String(err));
  assert.match(err.message, invariant);
  return true;
};

const alloc = (t: EntryTable, row: number) =>
  t.entryAlloc(row as never, 0 as SwapType, 0 as SwapOffset, 0, false, 0);

describe("internal invariants", () => {
  test("an entry takes the row rowPeek gave", () => {
    const t = new EntryTable();
    const row = t.rowPeek();
    assert.throws(() => alloc(t, row + 5), tripped(/takes the row rowPeek gave/));
  });

  test("a row under writeback is never reused", () => {
    const t = new EntryTable();
    const row = t.rowPeek();
    t.flags[row] = WRITEBACK; // as if a writeback still held the row
    assert.throws(() => alloc(t, row), tripped(/a row under writeback is never reused/));
  });

  test("an entry's slot in the index names that entry", () => {
    const z = new Zswap({ maxPoolBytes: 1 << 20, compressor: "lz4" });
    z.swapon(0, 16);
    const page = generatePages(16, 3).find((p) => p.some((b) => b !== 0));
    assert.ok(z.store(0, 3, page!));
    const { entries } = Zswap.unsafeExposeInternals(z);
    entries.offset[entries.lruOldest()] = 4; // the row no longer says where it is indexed
    assert.throws(() => z.invalidate(0, 3), tripped(/slot in the index names that entry/));
  });

  test("free slots are busy only while I/O is in flight", async () => {
    const s = await SwapSpace.open({
      slots: 2,
      device: new MemoryDevice({ slots: 2 }),
      zswap: false,
    });
    await s.swapOut(new Uint8Array(4096).fill(1));
    await s.flush(); // its write behind landed
    SwapSpace.unsafeExposeInternals(s).busy.add(1); // busy, with nothing in flight
    await assert.rejects(
      s.swapOut(new Uint8Array(4096).fill(2)),
      tripped(/busy only while I\/O is in flight/),
    );
  });

  test("the swap cache holds one page of a slot at most", () => {
    const cache = new SwapCache(2);
    const page = new Uint8Array(4096).fill(3);
    assert.ok(cache.take(5, page));
    // A second page for the slot while the first one's write is still in flight.
    assert.throws(() => cache.take(5, page), tripped(/one page of a slot at most/));
  });
});
