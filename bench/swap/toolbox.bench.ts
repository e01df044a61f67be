// zram's tools on the corpus: what a zstd dictionary gains (trained on one half of the pages,
// measured on the other), how many pages are same-filled, and what dedup saves, with its cost
// per swap-out against the same swap-outs without it. Compressed writeback: the device bytes
// writeback writes, packed against plain, on the same accesses of `zswap run`.

import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, DICT_TRAIN_BYTES, PAGE_SIZE } from "../../src/constants.ts";
import { MemoryDevice } from "../../src/device/index.ts";
import { type SwapSlot, SwapSpace, type SwapSpaceStats } from "../../src/swap/index.ts";
import { isSameFilled } from "../../src/swap/same-filled.ts";
import { dictionaryFromPages } from "../../src/workload/dictionary.ts";
import { planMake } from "../../src/workload/plan.ts";
import { CONFIGS, type ConfigName, runConfig } from "../../src/workload/run.ts";
import type { Context } from "../lib/context.ts";
import { bytes, heading, note, num, percent, rate, ratio, table } from "../lib/report.ts";
import { request } from "../workload/policy.bench.ts";

/** Compressed bytes of `pages` with `codec` (a page that does not shrink counts whole). */
function compressedBytes(name: string, dictionary: Uint8Array | undefined, pages: Uint8Array[]) {
  const codec = compressorCreate(name, dictionary === undefined ? {} : { dictionary });
  const dst = new Uint8Array(COMPRESS_BUFFER_BYTES);
  const t0 = performance.now();
  let sum = 0;
  for (const p of pages) sum += codec.compress(p, dst, PAGE_SIZE) || PAGE_SIZE;
  return { bytes: sum, pagesPerSecond: pages.length / ((performance.now() - t0) / 1000) };
}

/** A dictionary trained on the even pages of `pages`, measured on the odd ones. */
function dictionaryGain(group: string, all: readonly Uint8Array[]) {
  const pages = all.filter((p) => !isSameFilled(p));
  const train = pages.filter((_, i) => i % 2 === 0);
  const test = pages.filter((_, i) => i % 2 === 1);
  const t0 = performance.now();
  const trained = dictionaryFromPages(train, group, DICT_TRAIN_BYTES);
  const trainMs = performance.now() - t0;
  const original = test.length * PAGE_SIZE;
  const lz4 = compressedBytes("lz4", undefined, test);
  const plain = compressedBytes("zstd", undefined, test);
  const dict = compressedBytes("zstd", trained.dictionary, test);
  return { group, trained, trainMs, test: test.length, original, lz4, plain, dict };
}

function dictionaryBench(ctx: Context): void {
  const { pages, capturedPages } = ctx.corpus;
  const groups = [
    ["captured pages", pages.slice(0, capturedPages)],
    ["generated pages", pages.slice(capturedPages)],
    ["the whole corpus", pages],
  ] as const;
  const results = groups
    .filter(([, g]) => g.length >= 64)
    .map(([name, g]) => dictionaryGain(name, g));
  table(
    [
      "pages",
      "trained on",
      "measured on",
      "lz4 ratio",
      "zstd ratio",
      "zstd + dictionary",
      "gain",
      "compress: dict / none",
      "training ms",
    ],
    results.map((r) => [
      r.group,
      r.trained.pagesUsed,
      r.test,
      ratio(r.original / r.lz4.bytes),
      ratio(r.original / r.plain.bytes),
      ratio(r.original / r.dict.bytes),
      percent(r.plain.bytes / r.dict.bytes - 1),
      ratio(r.dict.pagesPerSecond / r.plain.pagesPerSecond),
      num(r.trainMs),
    ]),
  );
  note(
    `Each group's dictionary (zstd's trainer, at most ${DICT_TRAIN_BYTES} bytes) is trained on its ` +
      "even-numbered pages and measured on its odd-numbered ones, which it never saw, one page per " +
      "call as zswap calls (zstd level 3 with and without; same-filled pages aside). Gain: how much " +
      "higher the ratio is with the dictionary. The last column compares compression speed.",
  );
  const best = results[0]!;
  ctx.headlines.push(
    `zstd dictionary on ${best.group}: ratio ${ratio(best.original / best.dict.bytes)} against ${ratio(best.original / best.plain.bytes)} without (${percent(best.plain.bytes / best.dict.bytes - 1)} better) on ${best.test} pages it was not trained on`,
  );
}

/** Every corpus page swapped out once, timed; then each swapped in and compared. */
async function swapAll(pages: readonly Uint8Array[], dedup: boolean) {
  const slots = pages.length;
  const space = await SwapSpace.open({
    slots,
    device: new MemoryDevice({ slots }),
    zswap: { maxPoolBytes: slots * PAGE_SIZE, compressor: "lz4" },
    writeback: false,
    dedup,
  });
  const t0 = performance.now();
  const got: SwapSlot[] = [];
  for (const p of pages) got.push(await space.swapOut(p));
  const seconds = (performance.now() - t0) / 1000;
  const into = new Uint8Array(PAGE_SIZE);
  for (const [i, slot] of got.entries()) {
    await space.swapIn(slot, into);
    if (Buffer.compare(into, pages[i]!) !== 0) throw new Error(`page ${i} came back changed`);
  }
  const st: SwapSpaceStats = space.stats();
  await space.close();
  return { st, pagesPerSecond: pages.length / seconds };
}

async function dedupBench(ctx: Context): Promise<void> {
  const pages = ctx.corpus.pages;
  // Twice each, alternating, the faster of each kept: the machine's load falls on both sides.
  const runs: Awaited<ReturnType<typeof swapAll>>[] = [];
  for (const dedup of [false, true, false, true]) runs.push(await swapAll(pages, dedup));
  const faster = (a: (typeof runs)[0], b: (typeof runs)[0]) =>
    a.pagesPerSecond >= b.pagesPerSecond ? a : b;
  const off = faster(runs[0]!, runs[2]!);
  const on = faster(runs[1]!, runs[3]!);
  const same = on.st.swpout_same;
  const saved = on.st.dedup_pages_saved;
  table(
    ["dedup", "swap-outs/s", "same-filled", "pages saved", "bytes saved", "zswap bytes stored"],
    [
      ["off", rate(off.pagesPerSecond), same, 0, bytes(0), bytes(off.st.compressed_bytes ?? 0)],
      [
        "on",
        rate(on.pagesPerSecond),
        same,
        saved,
        bytes(on.st.dedup_bytes_saved),
        bytes(on.st.compressed_bytes ?? 0),
      ],
    ],
  );
  note(
    `Every one of the corpus' ${pages.length} non-zero pages swapped out once through a SwapSpace ` +
      `(memory device, lz4, a pool big enough for all, no writeback), then swapped in and compared: ` +
      `every page came back. The corpus' ${ctx.corpus.zeroPages} zero pages were set aside before ` +
      `(they are a bit in the swap map either way). Same-filled pages other than zero: ${same} ` +
      `(${percent(same / pages.length)}). Dedup found ${saved} pages (${percent(saved / pages.length)}) ` +
      `equal to one stored already; the pool then held ${bytes((off.st.compressed_bytes ?? 0) - (on.st.compressed_bytes ?? 0))} ` +
      `less, which its counter dedup_bytes_saved says too. Its cost, a hash of every page: swap-outs at ` +
      `${ratio(on.pagesPerSecond / off.pagesPerSecond)} × the rate without it (the faster of two runs each way, alternating).`,
  );
  ctx.headlines.push(
    `same-filled pages (not zero): ${same} of ${pages.length}; dedup: ${saved} pages (${percent(saved / pages.length)}), ${bytes(on.st.dedup_bytes_saved)} of pool saved, swap-outs at ${ratio(on.pagesPerSecond / off.pagesPerSecond)} × the rate without`,
  );
}

/** Plain writeback, then compressed writeback, on the same accesses. */
const WRITEBACK_CONFIGS: ConfigName[] = ["writeback", "compressed-writeback"];

async function compressedWritebackBench(ctx: Context): Promise<void> {
  const smoke = ctx.options.smoke;
  const pages = smoke ? 256 : 8192;
  const accesses = smoke ? 2000 : 60_000;
  const rows: string[][] = [];
  const headlines: string[] = [];
  for (const name of ["shift", "zipf", "loop"] as const) {
    const workload = { kind: "pattern", name, pages, accesses, writeRatio: 0.3, zipfSkew: 1 };
    const req = { ...request(workload as never, ctx.options.seed), configs: WRITEBACK_CONFIGS };
    const { spec } = await planMake(req);
    const [plain, packed] = [
      await runConfig(spec, WRITEBACK_CONFIGS[0]!),
      await runConfig(spec, WRITEBACK_CONFIGS[1]!),
    ];
    const wbBytes = (r: typeof plain) => r.counters.bd_write_bytes ?? 0;
    for (const r of [plain, packed]) {
      const c = r.counters;
      rows.push([
        name,
        CONFIGS[r.name].label,
        r.zswapHitRatio.toFixed(3),
        num(c.zswpwb ?? 0),
        bytes(wbBytes(r)),
        ratio(wbBytes(r) / wbBytes(plain)),
        num(r.deviceWrites),
        c.bd_packed_blocks ? (c.bd_packed_pages! / c.bd_packed_blocks).toFixed(1) : "",
        `${r.verified} of ${r.swapIns}`,
      ]);
    }
    headlines.push(
      `${name}: writeback device bytes ×${(wbBytes(packed) / wbBytes(plain)).toFixed(2)}, hit ratio ${packed.zswapHitRatio.toFixed(3)} vs ${plain.zswapHitRatio.toFixed(3)}`,
    );
  }
  table(
    [
      "workload",
      "configuration",
      "hit ratio",
      "pages written back",
      "writeback device bytes",
      "× plain",
      "device writes (pages)",
      "pages a block (end)",
      "swap-ins verified",
    ],
    rows,
  );
  note(
    `Method: \`zswap run --device memory --pages-from generated --working-set ${pages}p ` +
      `--accesses ${accesses} --workload W --configs ${WRITEBACK_CONFIGS.join(",")}\` (seed ` +
      `${ctx.options.seed}, lz4, 12.5% resident, pool half the compressed size of the rest, every ` +
      "swap-in verified). Writeback device bytes: bd_write_bytes, a page for each page written " +
      "back plain, the pages each packed block filled; device writes adds the swap-outs zswap " +
      "declined (pswpout). Pages a block: packed pages still on the device over blocks holding them.",
  );
  ctx.headlines.push(`compressed writeback: ${headlines.join("; ")}`);
}

export async function toolboxBench(ctx: Context): Promise<void> {
  heading(
    "swap/ and compress/: zram's tools (dictionary, same-filled pages, dedup, compressed writeback)",
  );
  dictionaryBench(ctx);
  await dedupBench(ctx);
  await compressedWritebackBench(ctx);
}
