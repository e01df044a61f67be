// Cross-checks of zswap's own structures, through the test hook: the LRU (a CLOCK over the entry
// rows) holds exactly the live entries not under writeback, and the pool holds exactly their
// objects and bytes.

import assert from "node:assert/strict";
import type { EntryIndex } from "../../src/types.ts";
import { LRU, ORPHANED, WRITEBACK } from "../../src/zswap/entries.ts";
import { Zswap } from "../../src/zswap/index.ts";

/** Rows on the LRU, in row order. */
function lruRows(z: Zswap): EntryIndex[] {
  const t = Zswap.unsafeExposeInternals(z).entries;
  const rows: EntryIndex[] = [];
  for (let e = 1 as EntryIndex; e < t.capacity; e++) if (t.flags[e]! & LRU) rows.push(e);
  return rows;
}

/**
 * Overwrites the first `bytes` compressed bytes of the entries on the LRU (at most `count` of
 * them) with 0xff, so that they no longer decompress.
 */
export function entriesCorrupt(z: Zswap, count = Number.POSITIVE_INFINITY, bytes = Infinity): void {
  const { pool, handleOf } = Zswap.unsafeExposeInternals(z);
  for (const e of lruRows(z).slice(0, count)) {
    const h = handleOf(e);
    const at = pool.offsetOf(h);
    pool.bytesOf(h).fill(0xff, at, at + Math.min(bytes, pool.lengthOf(h)));
  }
}

/**
 * What is wrong with the LRU, or undefined: every row on it is live (its pool object names it,
 * it is not under writeback), and the rows on it plus those under writeback are exactly the
 * stored entries.
 */
export function lruProblem(z: Zswap): string | undefined {
  const { entries: t, handleOf } = Zswap.unsafeExposeInternals(z);
  let onLru = 0;
  let underWriteback = 0;
  for (let e = 1 as EntryIndex; e < t.capacity; e++) {
    const flags = t.flags[e]!;
    if ((flags & (WRITEBACK | ORPHANED)) === WRITEBACK) underWriteback++;
    if ((flags & LRU) === 0) continue;
    onLru++;
    if (handleOf(e) === 0) return `LRU row ${e} has no pool object naming it`;
    if (flags & (WRITEBACK | ORPHANED)) return `LRU row ${e} has flags ${flags}`;
  }
  if (onLru + underWriteback !== t.count) {
    return `${onLru} rows on the LRU + ${underWriteback} under writeback != ${t.count} stored`;
  }
  return undefined;
}

export function zswapCheck(z: Zswap): void {
  const { pool: zspool } = Zswap.unsafeExposeInternals(z);
  const s = z.stats();
  assert.equal(s.outstanding_writebacks, 0, "check only when no writeback is in flight");
  assert.equal(lruProblem(z), undefined);
  assert.equal(lruRows(z).length, s.stored_pages, "the LRU holds every live entry");
  const pool = zspool.stats();
  assert.equal(pool.objects, s.stored_pages, "pool objects != live entries");
  assert.equal(pool.requestedBytes, s.compressed_bytes, "pool bytes != compressed bytes");
}
