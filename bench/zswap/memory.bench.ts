// memory: bytes of metadata per stored page, for a million stored pages. Metadata is everything
// the cache holds that is not pool pages: the entry table and the index (zswap.stats()'s
// metadata_bytes), and the pool's own per-object and per-zspage metadata as its README defines
// it. The same total is also measured: the growth of the JS heap plus external memory, less the
// pool's pages, which catches whatever the accounting misses (V8's objects per zspage).

import { PAGE_SIZE } from "../../src/constants.ts";
import { poolInternals } from "../../src/pool/zspool.ts";
import { Zswap } from "../../src/zswap/index.ts";
import type { Context } from "../lib/context.ts";
import { bytes, heading, note, num, ratio, table, verdict } from "../lib/report.ts";
import { gcFull, heapCost } from "../lib/timing.ts";

/** Metadata per stored page the design aims for (the kernel's zswap_entry alone is 56 B). */
const METADATA_TARGET_BYTES = 24;
/** README.md of the pool: per object, three uint16 (link, tag low, tag high). */
const POOL_OBJECT_META_BYTES = 6;
/** README.md of the pool: per zspage id, its typed-table bytes (class, inuse, free head...). */
const POOL_ZSPAGE_TABLE_BYTES = 14;
/** Two JS arrays (zsBytes, zsMeta) hold a pointer per zspage id: 8 bytes each on 64-bit V8. */
const POOL_ZSPAGE_ARRAY_SLOT_BYTES = 2 * 8;

function memoryNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export function memoryBench(ctx: Context): void {
  heading("memory: metadata per stored page");
  const target = ctx.sizes.memoryPages;
  const pages = ctx.corpus.pages;
  const exact = gcFull();
  const before = memoryNow();

  const zswap = new Zswap({ compressor: ctx.defaultCodec, maxPoolBytes: 2 * target * PAGE_SIZE });
  zswap.swapon(0, target);
  let tried = 0;
  const fill = heapCost(() => {
    let stored = 0;
    // Offsets are taken in order by the pages zswap keeps, so the index is dense like a swap
    // area's; pages it declines (poor compression) are skipped, as the device would take them.
    while (stored < target) {
      if (zswap.store(0, stored, pages[tried % pages.length])) stored++;
      tried++;
      if (tried > 4 * target + pages.length) throw new Error("zswap declines most pages");
    }
  }).cost;
  gcFull();
  const after = memoryNow();
  const zs = zswap.stats();
  const ps = Zswap.unsafeExposeInternals(zswap).pool.stats();
  const internals = poolInternals(Zswap.unsafeExposeInternals(zswap).pool);

  const entries = Zswap.unsafeExposeInternals(zswap).entries.bytes;
  const index = zs.metadata_bytes - entries;
  const objectMeta = ps.objAllocated * POOL_OBJECT_META_BYTES;
  const zspageIds = internals.zsClass.length;
  const zspageTables = zspageIds * (POOL_ZSPAGE_TABLE_BYTES + POOL_ZSPAGE_ARRAY_SLOT_BYTES);
  const accounted = zs.metadata_bytes + objectMeta + zspageTables;
  const measured = after - before - zs.pool_total_size;
  const unaccounted = measured - accounted;
  const n = zs.stored_pages;
  const per = (b: number) => num(b / n);

  note(
    `Method: one Zswap (${ctx.defaultCodec}, defaults) is filled with ${num(n)} pages, the ` +
      `corpus's pages over and over (${num(tried - n)} declined for poor compression and ` +
      `skipped), at offsets 0..${num(n - 1)} of one area. Accounted: the entry table and the ` +
      `index from zswap.stats().metadata_bytes (their capacity: the table grows by doubling), ` +
      `the pool's ${POOL_OBJECT_META_BYTES} B per object slot and ${POOL_ZSPAGE_TABLE_BYTES} B ` +
      `per zspage id (README), plus the two JS arrays' 8-byte slots per zspage id. Measured: ` +
      `(heapUsed + external) after minus before, both after a full GC` +
      `${exact ? "" : " (NOT exact: run with --expose-gc)"}, minus pool_total_size; the ` +
      `remainder is what V8 spends per zspage (its ArrayBuffer and typed-array objects) and ` +
      `anything else the accounting missed.`,
  );
  table(
    ["part", "bytes", "per stored page", "note"],
    [
      [
        "entry table",
        bytes(entries),
        per(entries),
        `${num(Zswap.unsafeExposeInternals(zswap).entries.capacity)} rows of 21 B for ${num(n)} entries`,
      ],
      ["index (per area)", bytes(index), per(index), `${num(target)} slots, dense 4 B chunks`],
      [
        "pool: object metadata",
        bytes(objectMeta),
        per(objectMeta),
        `${num(ps.objAllocated)} slots × ${POOL_OBJECT_META_BYTES} B (${num(ps.objects)} used)`,
      ],
      [
        "pool: zspage tables",
        bytes(zspageTables),
        per(zspageTables),
        `${num(zspageIds)} ids × ${POOL_ZSPAGE_TABLE_BYTES + POOL_ZSPAGE_ARRAY_SLOT_BYTES} B for ${num(ps.zspages)} zspages`,
      ],
      ["accounted total", bytes(accounted), per(accounted), ""],
      [
        "V8 per zspage and the rest (measured − accounted)",
        bytes(unaccounted),
        per(unaccounted),
        `${num(unaccounted / Math.max(1, ps.zspages))} B per zspage`,
      ],
      [
        "measured total",
        bytes(measured),
        per(measured),
        `target <= ${METADATA_TARGET_BYTES} B: ${verdict(measured / n, METADATA_TARGET_BYTES, "ceiling")}`,
      ],
    ],
  );
  note(
    `For scale: the pool held ${bytes(zs.pool_total_size)} of pages for ` +
      `${bytes(zs.compressed_bytes)} of compressed data (${num(n)} pages, ratio ` +
      `${ratio(zs.Zswapped / zs.compressed_bytes)}), ${num(ps.zspages)} zspages, ` +
      `${num(n / Math.max(1, ps.zspages))} objects per zspage on average. The kernel spends ` +
      `56 B (struct zswap_entry) plus an 8-byte xarray slot per stored page.`,
  );
  note(
    `Heap cost of storing ${num(n)} pages into an empty cache (v8.GCProfiler): ` +
      `${bytes(fill.allocatedBytes)} allocated on the JS heap (${num(fill.allocatedBytes / n)} B ` +
      `per page, ${bytes((fill.allocatedBytes * 1e6) / n)} per million), heap growth ` +
      `${bytes(fill.growthBytes)} (${bytes((fill.growthBytes * 1e6) / n)} per million), ` +
      `${fill.gcCount} GCs taking ${num(fill.gcMs)} ms (${num((fill.gcMs * 1e6) / n)} ms per ` +
      `million pages).`,
  );
  ctx.headlines.push(
    `metadata: ${per(measured)} B per stored page measured at ${num(n)} pages ` +
      `(accounted ${per(accounted)} B: entries ${per(entries)}, index ${per(index)}, pool ` +
      `${per(objectMeta + zspageTables)}); target <= ${METADATA_TARGET_BYTES} B: ` +
      `${verdict(measured / n, METADATA_TARGET_BYTES, "ceiling")}`,
  );
  ctx.headlines.push(
    `filling ${num(n)} pages: heap growth ${bytes((fill.growthBytes * 1e6) / n)} per million ` +
      `pages stored, GC ${num((fill.gcMs * 1e6) / n)} ms per million`,
  );
  zswap.swapoff(0);
}
