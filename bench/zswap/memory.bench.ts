// memory: bytes of metadata per stored page, for a million stored pages, measured from the
// process's memory: its RSS growth while a cache fills, less the pool's pages, in a process of
// its own (memory-child.ts). What the code accounts (entry rows, index, pool tables) is shown
// beside it, and V8's own view (heap and external growth). Then the same for an area four times
// larger than what it holds, offsets drawn at random over it.

import { PAGE_SIZE } from "../../src/constants.ts";
import { childRun, withCorpusFile } from "../lib/child.ts";
import type { Context } from "../lib/context.ts";
import { bytes, heading, note, num, ratio, table, verdict } from "../lib/report.ts";
import type { MemoryResult, MemorySpec } from "./memory-child.ts";

/** Metadata per stored page the design aims for (zram keeps 16 B a slot; the kernel's zswap 64). */
const METADATA_TARGET_BYTES = 16;
/** Corpus pages handed to the child (as a page file, 16 MiB). */
const CHILD_CORPUS_PAGES = 4096;
/** The larger area's size, in areas of what it holds. */
const SPARSE_FACTOR = 4;

interface Run {
  label: string;
  spec: MemorySpec;
  r: MemoryResult;
}

/** The columns of one run: each part in bytes per stored page. */
function runRow(run: Run): (string | number)[] {
  const { r } = run;
  const per = (b: number) => num(b / r.stored);
  const measured = r.rss - r.poolBytes;
  const accounted = r.entryBytes + r.indexBytes + r.poolMetadataBytes;
  return [
    run.label,
    r.stored,
    per(r.entryBytes),
    per(r.indexBytes),
    per(r.poolMetadataBytes),
    per(accounted),
    per(r.heapUsed + r.external),
    per(measured),
  ];
}

export async function memoryBench(ctx: Context): Promise<void> {
  heading("memory: metadata per stored page");
  const n = ctx.sizes.memoryPages;
  const runs: Run[] = await withCorpusFile(ctx.corpus.pages, CHILD_CORPUS_PAGES, async (file) => {
    const base = {
      pages: n,
      compressor: ctx.defaultCodec,
      corpusFile: file,
      seed: ctx.options.seed,
    };
    const specs: [string, MemorySpec][] = [
      [`${num(n)} slots, dense`, { ...base, slots: n, spread: "dense" }],
      [
        `${num(SPARSE_FACTOR * n)} slots, random offsets`,
        { ...base, slots: SPARSE_FACTOR * n, spread: "random" },
      ],
    ];
    const out: Run[] = [];
    for (const [label, spec] of specs) {
      const script = new URL("./memory-child.ts", import.meta.url);
      out.push({ label, spec, r: await childRun<MemoryResult>(script, spec) });
    }
    return out;
  });
  const [dense, sparse] = runs;
  const r = dense.r;
  note(
    `Method: in a process of its own (same Node flags), one Zswap (${ctx.defaultCodec}, ` +
      `defaults) is filled with ${num(n)} pages, the corpus's pages over and over (pages it ` +
      `declines for poor compression are skipped: ${num(r.declined)}), at offsets 0..` +
      `${num(n - 1)} of an area of as many slots; then again at ${num(n)} distinct offsets drawn ` +
      `at random (seed ${ctx.options.seed}) over an area ${SPARSE_FACTOR} times larger. Before ` +
      `the first store and after the last, full GCs until RSS settles` +
      `${r.exactGc ? "" : " (NOT exact: run with --expose-gc)"}, then process.memoryUsage(). ` +
      `Measured: RSS growth less pool_total_size (the pool's pages; the arenas' pages never ` +
      `written are not resident). Accounted: the entry rows committed, the index's chunks, the ` +
      `pool's tables (zswap.stats().metadata_bytes). V8's view: heapUsed + external growth (the ` +
      `arenas' SharedArrayBuffers are not in V8's external count). Bytes per stored page.`,
  );
  table(
    [
      "area",
      "pages stored",
      "entry rows",
      "index",
      "pool tables",
      "accounted",
      "V8 heap + external",
      "measured (RSS − pool pages)",
    ],
    runs.map(runRow),
  );
  const measured = (x: MemoryResult) => (x.rss - x.poolBytes) / x.stored;
  const accounted = (x: MemoryResult) =>
    (x.entryBytes + x.indexBytes + x.poolMetadataBytes) / x.stored;
  // RSS also falls where the baseline's memory goes back during the fill (V8 and the C allocator
  // return pages late), which would hide metadata: the larger of the two is held to the target.
  const held = (x: MemoryResult) => Math.max(measured(x), accounted(x));
  note(
    `Target: <= ${METADATA_TARGET_BYTES} B per stored page for an area of ${num(n)} slots ` +
      `holding ${num(n)} pages, the larger of measured and accounted (RSS also falls where ` +
      `memory the baseline held goes back during the fill, so measured alone could hide ` +
      `metadata): ${ratio(measured(r))} B measured, ${ratio(accounted(r))} B accounted: ` +
      `${verdict(held(r), METADATA_TARGET_BYTES, "ceiling")}. The entry table held ` +
      `${num(r.entryRows)} rows (8 B each) for ${num(r.stored)} entries: it grows in place by ` +
      `steps of 65,536 rows, so no more than one step ahead. An area ${SPARSE_FACTOR} times ` +
      `larger than what it holds costs ${ratio(held(sparse.r))} B per stored page (the larger ` +
      `of ${ratio(measured(sparse.r))} measured, ${ratio(accounted(sparse.r))} accounted): the ` +
      `index (4 B a slot, in chunks of 1024 made on first use) is then a chunk for every 1024 ` +
      `slots, as pages spread over all of them; filled from its low offsets up, as a swap area ` +
      `fills, it costs what the dense area does. For scale: the pool held ` +
      `${bytes(r.poolBytes)} of pages in ${num(r.chunks)} chunks for ${bytes(r.compressedBytes)} ` +
      `of compressed data (${num(r.stored)} pages, ratio ` +
      `${ratio((r.stored * PAGE_SIZE) / r.compressedBytes)}), ${num(r.zspages)} zspages. The ` +
      `kernel spends 56 B (struct zswap_entry) plus an 8-byte xarray slot per stored page; zram 16 ` +
      `B a slot.`,
  );
  ctx.headlines.push(
    `metadata: ${ratio(measured(r))} B per stored page measured from RSS, ${ratio(accounted(r))} ` +
      `B accounted, at ${num(r.stored)} pages in an area of as many slots; target <= ` +
      `${METADATA_TARGET_BYTES} B (the larger): ${verdict(held(r), METADATA_TARGET_BYTES, "ceiling")}; ` +
      `${ratio(held(sparse.r))} B with the area ${SPARSE_FACTOR} times larger, offsets at random`,
  );
}
