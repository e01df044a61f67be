// How far one reclaim pass writes the pool down, from counters (memory device, generated pages:
// the same counts on every machine). Each pass writes out pages that would mostly have left
// later anyway, so what it takes beyond the room it needs is lost hits and, at the end of a run,
// device writes a run that stopped before the pass would not have made.
//   1. Freed objects scattered over zspages free no page until compaction: the pass compacts as
//      soon as the slack covers what it still needs, instead of writing back until a quarter of
//      the pool is slack.
//   2. Under dip placing as LRU does, the pass stops halfway (DIP_LRU_HYSTERESIS_PERCENT) between
//      the accept threshold and the bound; under lru it goes down to the threshold, as the
//      kernel's does.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DIP_LRU_HYSTERESIS_PERCENT,
  PAGE_SIZE,
  POOL_COMPACT_CHECK_WRITEBACKS,
} from "../../src/constants.ts";
import { MemoryDevice } from "../../src/device/index.ts";
import { generatePages } from "../../src/workload/generate.ts";
import { Zswap, type ZswapStats } from "../../src/zswap/index.ts";
import type { WritebackPolicyName } from "../../src/zswap/policy.ts";

const POOL_PAGES = 1024;
const SLOTS = 8192;
const ACCEPT_PERCENT = 90;

/** Lets writeback run until none is in flight (the memory device completes at once). */
async function writebackIdle(z: Zswap): Promise<void> {
  do {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  } while (z.stats().outstanding_writebacks > 0);
}

/**
 * Fills the pool, lets the first pass run, frees one slot in 16 (slack scattered over zspages,
 * under a quarter of the pool), fills it again: the counters when the pool refused a store the
 * second time, and after that pass.
 */
async function secondPass(policy: WritebackPolicyName): Promise<[ZswapStats, ZswapStats]> {
  const z = new Zswap({
    maxPoolBytes: POOL_PAGES * PAGE_SIZE,
    acceptThresholdPercent: ACCEPT_PERCENT,
    compressor: "lz4",
    writebackPolicy: policy,
  });
  z.swapon(0, SLOTS, new MemoryDevice({ slots: SLOTS }));
  const pages = generatePages(SLOTS, 1);
  // A swap-in first: from here dip places new entries as LRU does (PSEL starts in the middle).
  assert.ok(z.store(0, 0, pages[0]!));
  assert.ok(z.load(0, 0, new Uint8Array(PAGE_SIZE)));
  let off = 1;
  const fill = (limitHits: number) => {
    while (z.store(0, off, pages[off]!) || z.stats().pool_limit_hit === limitHits) off++;
  };
  fill(0);
  await writebackIdle(z);
  for (let o = 1; o < off; o += 16) z.invalidate(0, o);
  fill(z.stats().pool_limit_hit);
  const full = z.stats();
  await writebackIdle(z);
  const after = z.stats();
  z.stop();
  assert.equal(after.reject_alloc_fail, 0);
  return [full, after];
}

const pages = (s: ZswapStats) => s.pool_total_size / PAGE_SIZE;
const thresholdPages = Math.floor((POOL_PAGES * ACCEPT_PERCENT) / 100);
const dipPages =
  POOL_PAGES - Math.ceil(((POOL_PAGES - thresholdPages) * DIP_LRU_HYSTERESIS_PERCENT) / 100);

describe("a reclaim pass", () => {
  for (const policy of ["lru", "dip"] as const) {
    test(`${policy}: compacts once the slack covers the room it needs, instead of writing back more`, async () => {
      const [full, after] = await secondPass(policy);
      const target = policy === "dip" ? dipPages : thresholdPages;
      const neededBytes = (pages(full) - target) * PAGE_SIZE;
      const slackBytes = full.pool_total_size - full.compressed_bytes;
      assert.ok(slackBytes < full.pool_total_size / 4, "the setup: under the old rule's quarter");
      const writtenBytes = full.compressed_bytes - after.compressed_bytes;
      const figures = `wrote back ${after.written_back_pages - full.written_back_pages} pages, ${writtenBytes} bytes, for ${neededBytes}; pool ${pages(full)} -> ${pages(after)} pages`;
      // Compaction leaves some slack (each class's partly used zspages) and is looked at every
      // POOL_COMPACT_CHECK_WRITEBACKS writebacks. Writing back until a quarter was slack took
      // 2.0 (lru) and 3.6 (dip) times the bytes needed here.
      assert.ok(
        writtenBytes <= 1.5 * neededBytes + POOL_COMPACT_CHECK_WRITEBACKS * PAGE_SIZE,
        figures,
      );
      assert.ok(pages(after) <= target, figures);
    });
  }

  test("dip placing as LRU does stops above the accept threshold, where lru goes down to it", async () => {
    const [, lru] = await secondPass("lru");
    const [, dip] = await secondPass("dip");
    assert.ok(pages(dip) > thresholdPages, `dip's pool ${pages(dip)} pages`);
    assert.ok(pages(lru) <= thresholdPages, `lru's pool ${pages(lru)} pages`);
    assert.ok(dip.written_back_pages < lru.written_back_pages);
  });
});
