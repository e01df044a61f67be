// tools: zram's tools on zswap. Recompression: the bench's corpus stored with lz4, marked idle,
// recompressed by a second codec; the compression ratio and the pool's pages before and after,
// against the second codec as the primary one (the ceiling) in the same run. Idle writeback and
// idle recompression in `zswap run`'s configurations: hit ratio and device writes against LRU
// writeback alone, on the same accesses.

import { PAGE_SIZE } from "../../src/constants.ts";
import { planMake } from "../../src/workload/plan.ts";
import { CONFIGS, type ConfigName, runConfig } from "../../src/workload/run.ts";
import { Zswap } from "../../src/zswap/index.ts";
import type { Context } from "../lib/context.ts";
import { heading, note, num, percent, rate, table } from "../lib/report.ts";
import { request } from "../workload/policy.bench.ts";

/** Recompressor lists measured behind lz4. */
const CHAINS: readonly (readonly string[])[] = [["zstd"], ["lz4hc"], ["lz4hc", "zstd"]];
/** The configurations compared in `zswap run`. */
const RUN_CONFIGS: ConfigName[] = ["writeback", "idle-writeback", "recompress"];

/** Every corpus page stored in a Zswap of room enough; its stats. */
function zswapFilled(ctx: Context, compressor: string, recompressors: readonly string[]) {
  const pages = ctx.corpus.pages;
  const z = new Zswap({
    compressor,
    recompressors,
    maxPoolBytes: 2 * pages.length * PAGE_SIZE,
    incompressible: "store-raw",
  });
  z.swapon(0, pages.length);
  for (const [i, p] of pages.entries()) z.store(0, i, p);
  return z;
}

/** Original bytes over pool bytes, and over compressed bytes. */
function ratios(z: Zswap): { pool: number; compressed: number; poolPages: number } {
  const s = z.stats();
  return {
    pool: s.Zswapped / s.pool_total_size,
    compressed: s.Zswapped / s.compressed_bytes,
    poolPages: s.pool_total_size / PAGE_SIZE,
  };
}

function recompressionBench(ctx: Context): void {
  note(
    `Method: the corpus (${num(ctx.corpus.pages.length)} non-zero pages) stored by lz4 ` +
      '(incompressible pages kept raw), then `markIdle()` and `recompress({ type: "idle" })` ' +
      "with each recompressor list (recompress compacts the pool after); " +
      "ratio = original bytes / compressed bytes, pool ratio = original bytes / pool bytes. Ceiling: the same pages stored by the last codec of the list " +
      "as the primary one.",
  );
  const rows: string[][] = [];
  for (const chain of CHAINS) {
    const z = zswapFilled(ctx, "lz4", chain);
    const before = ratios(z);
    z.markIdle();
    const t0 = performance.now();
    const r = z.recompress({ type: "idle" });
    const ms = performance.now() - t0;
    const after = ratios(z);
    const ceiling = ratios(zswapFilled(ctx, chain.at(-1)!, []));
    rows.push([
      `lz4 → ${chain.join(" → ")}`,
      `${before.compressed.toFixed(2)} → ${after.compressed.toFixed(2)}`,
      `${before.pool.toFixed(2)} → ${after.pool.toFixed(2)}`,
      `${num(before.poolPages)} → ${num(after.poolPages)}`,
      percent(r.recompressed / r.tried),
      (after.pool / ceiling.pool).toFixed(3),
      rate((r.tried / ms) * 1000),
    ]);
  }
  table(
    [
      "codecs",
      "ratio",
      "pool ratio",
      "pool pages",
      "pages recompressed",
      "of the ceiling's pool ratio",
      "pages tried/s",
    ],
    rows,
  );
}

async function runsBench(ctx: Context): Promise<string[]> {
  const smoke = ctx.options.smoke;
  const pages = smoke ? 256 : 8192;
  const accesses = smoke ? 2000 : 60_000;
  note(
    `Method: \`zswap run --device memory --pages-from generated --working-set ${pages}p ` +
      `--accesses ${accesses} --workload W --configs ${RUN_CONFIGS.join(",")}\` (seed ` +
      `${ctx.options.seed}, lz4, 12.5% resident, pool half the compressed size of the rest, ` +
      'every swap-in verified). Idle writeback runs `writebackNow({ type: "idle" })` then ' +
      '`markIdle()` every 4 × frames accesses; recompression `recompress({ type: "idle" })` ' +
      "with zstd then `markIdle()` every `frames` accesses; LRU writeback runs in all three.",
  );
  const rows: string[][] = [];
  const headlines: string[] = [];
  for (const name of ["shift", "zipf", "loop"] as const) {
    const workload = { kind: "pattern", name, pages, accesses, writeRatio: 0.3, zipfSkew: 1 };
    const req = { ...request(workload as never, ctx.options.seed), configs: RUN_CONFIGS };
    const { spec } = await planMake(req);
    const results = [];
    for (const c of RUN_CONFIGS) results.push(await runConfig(spec, c));
    const lru = results[0]!;
    for (const r of results) {
      rows.push([
        name,
        CONFIGS[r.name].label,
        r.zswapHitRatio.toFixed(3),
        num(r.deviceWrites),
        (r.deviceWrites / lru.deviceWrites).toFixed(2),
        r.compressionRatio.toFixed(2),
        num(r.counters.stored_pages ?? 0),
        num(r.counters.recomp_pages ?? 0),
        `${r.verified} of ${r.swapIns}`,
      ]);
    }
    const [, idle, recomp] = results;
    headlines.push(
      `${name}: idle writeback hit ratio ${idle!.zswapHitRatio.toFixed(3)} vs LRU's ${lru.zswapHitRatio.toFixed(3)}, device writes ×${(idle!.deviceWrites / lru.deviceWrites).toFixed(2)}; recompression ratio ${lru.compressionRatio.toFixed(2)} → ${recomp!.compressionRatio.toFixed(2)}`,
    );
  }
  table(
    [
      "workload",
      "configuration",
      "hit ratio",
      "device writes",
      "× LRU's",
      "comp. ratio (end)",
      "pages held (end)",
      "recomp_pages",
      "swap-ins verified",
    ],
    rows,
  );
  return headlines;
}

export async function toolsBench(ctx: Context): Promise<void> {
  heading("tools: recompression, idle writeback (zram's)");
  recompressionBench(ctx);
  const headlines = await runsBench(ctx);
  ctx.headlines.push(`tools: ${headlines.join("; ")}`);
}
