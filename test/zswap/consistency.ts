// Cross-checks of zswap's own structures, for tests at points where no writeback is in flight:
// the LRU is a well-linked list of exactly the live entries, and the pool holds exactly their
// objects and bytes.

import assert from "node:assert/strict";
import type { Handle } from "../../src/types.ts";
import { Zswap } from "../../src/zswap/index.ts";

/**
 * Overwrites the first `bytes` compressed bytes of the entries on the LRU (oldest first, at most
 * `count` of them) with 0xff, so that they no longer decompress.
 */
export function entriesCorrupt(z: Zswap, count = Number.POSITIVE_INFINITY, bytes = Infinity): void {
  const { entries: t, pool } = Zswap.unsafeExposeInternals(z);
  for (let e = t.next[0]!, n = 0; e !== 0 && n < count; e = t.next[e]!, n++) {
    const h = t.handle[e] as Handle;
    const at = pool.offsetOf(h);
    pool.bytesOf(h).fill(0xff, at, at + Math.min(bytes, t.length[e]!));
  }
}

export function zswapCheck(z: Zswap): void {
  const { entries: t, pool: zspool } = Zswap.unsafeExposeInternals(z);
  const s = z.stats();
  assert.equal(s.outstanding_writebacks, 0, "check only when no writeback is in flight");
  let n = 0;
  for (let e = t.next[0]; e !== 0; e = t.next[e]) {
    assert.equal(t.prev[t.next[e]], e, `LRU link broken at row ${e}`);
    assert.ok(++n <= s.stored_pages, "LRU holds more rows than live entries");
  }
  assert.equal(n, s.stored_pages, "LRU holds fewer rows than live entries");
  const pool = zspool.stats();
  assert.equal(pool.objects, s.stored_pages, "pool objects != live entries");
  assert.equal(pool.requestedBytes, s.compressed_bytes, "pool bytes != compressed bytes");
}
