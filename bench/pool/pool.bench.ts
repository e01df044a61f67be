// pool/: packing efficiency (compressed bytes stored / pool bytes held) on realistic objects,
// before any free, after a random half is freed, and after compaction; with zsmalloc's own
// geometry for the classes used, and a one-page-per-zspage allocator as the baseline.

import { compressorCreate } from "../../src/compress/index.ts";
import {
  COMPRESS_BUFFER_BYTES,
  PAGE_SIZE,
  POOL_CHUNK_PAGES,
  POOL_OBJECT_HEADER_BYTES,
  POOL_PAGES_MAX,
} from "../../src/constants.ts";
import { classOfObject, POOL_HUGE_CLASS, type PoolStats, ZsPool } from "../../src/pool/index.ts";
import { Random } from "../../src/random.ts";
import type { Handle, PageCount } from "../../src/types.ts";
import { Zswap } from "../../src/zswap/index.ts";
import type { Context } from "../lib/context.ts";
import { bytes, heading, note, num, percent, ratio, table, verdict } from "../lib/report.ts";
import { timePass } from "../lib/timing.ts";

const PACKING_TARGET_FULL = 0.95;
const PACKING_TARGET_COMPACTED = 0.95;
/** Geometry rows printed: the classes holding the most pages. */
const GEOMETRY_ROWS = 16;

/** Objects as zswap would store them: each corpus page that the codec shrinks under the limit. */
function objectsMake(ctx: Context): Uint8Array[] {
  const codec = compressorCreate(ctx.defaultCodec);
  const limit = Math.floor(
    (PAGE_SIZE * new Zswap({ compressor: ctx.defaultCodec }).options.maxCompressionRatio) / 100,
  );
  const dst = Buffer.allocUnsafe(COMPRESS_BUFFER_BYTES);
  const out: Uint8Array[] = [];
  for (const page of ctx.corpus.pages) {
    const n = codec.compress(page, dst, limit);
    if (n > 0) out.push(new Uint8Array(dst.subarray(0, n)));
  }
  return out;
}

function packing(s: PoolStats): number {
  return s.pagesUsed === 0 ? 1 : s.requestedBytes / (s.pagesUsed * PAGE_SIZE);
}

/**
 * The baseline: the same objects in 16-byte classes, one page per zspage (no chains, no merged
 * classes), each class holding floor(4096 / size) objects a page: a naive slab allocator.
 */
function naivePages(sizes: readonly number[]): number {
  const perClass = new Map<number, number>();
  for (const n of sizes) {
    const size = Math.max(32, Math.ceil(n / 16) * 16);
    perClass.set(size, (perClass.get(size) ?? 0) + 1);
  }
  let pages = 0;
  for (const [size, count] of perClass) pages += Math.ceil(count / Math.floor(PAGE_SIZE / size));
  return pages;
}

export function poolBench(ctx: Context): void {
  heading("pool/: packing efficiency");
  const objects = objectsMake(ctx);
  const count = ctx.sizes.poolObjects;
  const handles = new Uint32Array(count);
  const sizes: number[] = [];
  const pool = new ZsPool({
    pagesMax: POOL_PAGES_MAX as PageCount,
    onMove: (tag, to) => {
      handles[tag] = to;
    },
  });
  for (let i = 0; i < count; i++) {
    const data = objects[i % objects.length];
    const h = pool.malloc(data.length as never, i);
    pool.bytesOf(h).set(data, pool.offsetOf(h));
    handles[i] = h;
    sizes.push(data.length);
  }
  const full = pool.stats();
  const naiveFull = naivePages(sizes);

  // A random half goes, chosen by the seed (a partial Fisher-Yates shuffle of the indexes).
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const rng = new Random(ctx.options.seed);
  const half = Math.floor(count / 2);
  for (let i = 0; i < half; i++) {
    const j = i + rng.below(count - i);
    [order[i], order[j]] = [order[j], order[i]];
    pool.free(handles[order[i]] as Handle);
  }
  const live = order.slice(half);
  const freed = pool.stats();
  const naiveFreed = naivePages(Array.from(live, (i) => sizes[i]));
  let pagesFreed = 0;
  const compactMs = timePass(() => {
    pagesFreed = pool.compact();
  });
  const compacted = pool.stats();
  // What compaction moved must still be there, byte for byte.
  for (const i of live) {
    const h = handles[i] as Handle;
    const data = objects[i % objects.length];
    const at = pool.offsetOf(h);
    if (!Buffer.from(pool.bytesOf(h).subarray(at, at + data.length)).equals(data)) {
      throw new Error(`pool object ${i} changed across compaction`);
    }
  }

  note(
    `Method: the corpus's pages compressed with ${ctx.defaultCodec} under zswap's limit (80% ` +
      `of a page; ${objects.length} objects, mean ${num(objects.reduce((a, o) => a + o.length, 0) / objects.length)} B), ` +
      `${num(count)} of them stored in one ZsPool, cycling over the corpus, each written in ` +
      `full. Packing = requested bytes / (pages held × 4096). Then a random half (seed ` +
      `${ctx.options.seed}) is freed, then compact() runs, and every surviving object is ` +
      `checked byte for byte. Baseline: the same objects in 16-byte classes with one page per ` +
      `zspage and no merging (a naive slab allocator), computed on the same sizes.`,
  );
  /** One state of the pool against the naive slab's pages; a target makes the last two cells. */
  const row = (label: string, st: PoolStats, naivePages: number, target?: number) => {
    const naive = st.requestedBytes / (naivePages * PAGE_SIZE);
    return [
      label,
      st.objects,
      bytes(st.requestedBytes),
      bytes(st.pagesUsed * PAGE_SIZE),
      ratio(packing(st)),
      `${num(st.chunks)} (${bytes(st.chunks * POOL_CHUNK_PAGES * PAGE_SIZE)})`,
      ratio(naive),
      target === undefined ? "—" : ratio(packing(st) / naive),
      target === undefined ? "—" : `>= ${target}: ${verdict(packing(st), target, "floor")}`,
    ];
  };
  table(
    [
      "state",
      "objects",
      "compressed bytes",
      "pool bytes",
      "packing",
      "arena chunks held",
      "naive packing",
      "× naive",
      "target",
    ],
    [
      row("all stored", full, naiveFull, PACKING_TARGET_FULL),
      row("half freed", freed, naiveFreed),
      row("compacted", compacted, naiveFreed, PACKING_TARGET_COMPACTED),
    ],
  );
  note(
    `compact() freed ${num(pagesFreed)} pages in ${num(compactMs)} ms (pool freeable before: ` +
      `${num(freed.freeable)} pages; after: ${num(compacted.freeable)}), then emptied and gave ` +
      `back ${num(compacted.chunksGivenBack - freed.chunksGivenBack)} arena chunks of ` +
      `${POOL_CHUNK_PAGES} pages (their zspages moved to the others' free slots). Arena chunks ` +
      `held: what the arenas hold, pages written or not (only the written ones are resident). ` +
      `The naive allocator after frees is counted as if it had compacted perfectly.`,
  );

  // Where the bytes go, all stored: rounding inside objects, empty slots, zspage tails.
  const classBytes = new Map<number, number>();
  for (const n of sizes) {
    const c = classOfObject(n);
    classBytes.set(c, (classBytes.get(c) ?? 0) + n);
  }
  const used = full.classes.filter((c) => c.objUsed > 0);
  const held = full.pagesUsed * PAGE_SIZE;
  let rounding = 0;
  let headers = 0;
  let emptySlots = 0;
  let tails = 0;
  for (const c of used) {
    const header = c.index === POOL_HUGE_CLASS ? 0 : POOL_OBJECT_HEADER_BYTES;
    headers += c.objUsed * header;
    rounding += c.objUsed * (c.sizeBytes - header) - (classBytes.get(c.index) ?? 0);
    emptySlots += (c.objAllocated - c.objUsed) * c.sizeBytes;
    tails += c.zspages * (c.pagesPerZspage * PAGE_SIZE - c.objsPerZspage * c.sizeBytes);
  }
  note(
    `Waste with all stored (${bytes(held - full.requestedBytes)}, ${percent(1 - packing(full))} ` +
      `of the pool): object headers ${bytes(headers)} (${percent(headers / held)}), rounding ` +
      `up to the class size ${bytes(rounding)} (${percent(rounding / held)}), empty slots ` +
      `${bytes(emptySlots)} ` +
      `(${percent(emptySlots / held)}), zspage tails ${bytes(tails)} (${percent(tails / held)}). ` +
      `Geometry of the ${Math.min(GEOMETRY_ROWS, used.length)} classes holding the most pages ` +
      `(of ${used.length} in use; zsmalloc's pages and objects per zspage):`,
  );
  const top = [...used].sort((a, b) => b.pagesUsed - a.pagesUsed).slice(0, GEOMETRY_ROWS);
  const rest = used.filter((c) => !top.includes(c));
  table(
    [
      "class size B",
      "pages/zspage",
      "objects/zspage",
      "objects",
      "zspages",
      "pages",
      "share of pool",
      "class packing",
    ],
    [
      ...top.map((c) => [
        c.sizeBytes,
        c.pagesPerZspage,
        c.objsPerZspage,
        c.objUsed,
        c.zspages,
        c.pagesUsed,
        percent(c.pagesUsed / full.pagesUsed),
        ratio((classBytes.get(c.index) ?? 0) / (c.pagesUsed * PAGE_SIZE)),
      ]),
      [
        `${rest.length} other classes`,
        "—",
        "—",
        rest.reduce((a, c) => a + c.objUsed, 0),
        rest.reduce((a, c) => a + c.zspages, 0),
        rest.reduce((a, c) => a + c.pagesUsed, 0),
        percent(rest.reduce((a, c) => a + c.pagesUsed, 0) / full.pagesUsed),
        ratio(
          rest.reduce((a, c) => a + (classBytes.get(c.index) ?? 0), 0) /
            (rest.reduce((a, c) => a + c.pagesUsed, 0) * PAGE_SIZE),
        ),
      ],
    ],
  );
  note(
    `All ${used.length} classes used, as size B: pages/objects per zspage: ` +
      `${used.map((c) => `${c.sizeBytes}: ${c.pagesPerZspage}/${c.objsPerZspage}`).join(", ")}.`,
  );
  ctx.headlines.push(
    `pool packing: ${ratio(packing(full))} with all stored (target >= ${PACKING_TARGET_FULL}: ` +
      `${verdict(packing(full), PACKING_TARGET_FULL, "floor")}), ${ratio(packing(freed))} after a ` +
      `random half is freed, ${ratio(packing(compacted))} after compaction (target >= ` +
      `${PACKING_TARGET_COMPACTED}: ${verdict(packing(compacted), PACKING_TARGET_COMPACTED, "floor")}); ` +
      `naive one-page slabs: ${ratio(full.requestedBytes / (naiveFull * PAGE_SIZE))}`,
  );
}
