// Cross-checks of zswap's own structures, for tests at points where no writeback is in flight:
// the LRU is a well-linked list of exactly the live entries, and the pool holds exactly their
// objects and bytes.

import assert from "node:assert/strict";
import type { Zswap } from "../../src/zswap/index.ts";

export function zswapCheck(z: Zswap): void {
  const t = z.entries;
  const s = z.stats();
  assert.equal(s.outstanding_writebacks, 0, "check only when no writeback is in flight");
  let n = 0;
  for (let e = t.next[0]; e !== 0; e = t.next[e]) {
    assert.equal(t.prev[t.next[e]], e, `LRU link broken at row ${e}`);
    assert.ok(++n <= s.stored_pages, "LRU holds more rows than live entries");
  }
  assert.equal(n, s.stored_pages, "LRU holds fewer rows than live entries");
  const pool = z.pool.stats();
  assert.equal(pool.objects, s.stored_pages, "pool objects != live entries");
  assert.equal(pool.requestedBytes, s.compressed_bytes, "pool bytes != compressed bytes");
}
