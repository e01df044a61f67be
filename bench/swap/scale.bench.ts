// scale (behind --scale): 4 GiB of pages through a 1 GiB pool, a random half freed, compaction,
// 2 GiB more, then everything back in, in a process of its own (scale-child.ts) so that its RSS is
// its own: the pool bound must hold, and the process's RSS must stay within the baseline plus
// 1.05 times the bound plus the metadata, at every sample.

import { childRun, withCorpusFile } from "../lib/child.ts";
import type { Context } from "../lib/context.ts";
import { bytes, heading, note, num, rate, ratio, table, verdict } from "../lib/report.ts";
import type { ScaleResult, ScaleSpec } from "./scale-child.ts";

/** Corpus pages handed to the child (as a page file, 16 MiB). */
const CHILD_CORPUS_PAGES = 4096;
/** RSS may reach the baseline plus this many times the pool bound plus the metadata. */
const SCALE_RSS_BOUND_FACTOR = 1.05;

export async function scaleBench(ctx: Context): Promise<void> {
  heading("scale: pages through a bounded pool");
  const { r, written } = await withCorpusFile(
    ctx.corpus.pages,
    CHILD_CORPUS_PAGES,
    async (corpusFile, written) => {
      const spec: ScaleSpec = {
        pages: ctx.sizes.scalePages,
        poolBytes: ctx.sizes.scalePoolBytes,
        compressor: ctx.defaultCodec,
        corpusFile,
        seed: ctx.options.seed,
        direct: false,
        rssBoundFactor: SCALE_RSS_BOUND_FACTOR,
      };
      const script = new URL("./scale-child.ts", import.meta.url);
      return { r: await childRun<ScaleResult>(script, spec), written };
    },
  );
  const through = (r.pages + r.pages / 2) * 4096;
  note(
    `Method: a child process (same Node flags) swaps N = ${num(r.pages)} distinct pages ` +
      `(${bytes(r.pages * 4096)}: ${written} corpus pages sampled evenly from this run's corpus, ` +
      `each stamped with its number) out through one SwapSpace (zswap ${ctx.defaultCodec}, pool ` +
      `bound ${bytes(r.poolBound)}, whenFull wait, shrinker on; device: ${r.device}), frees a ` +
      `random half of them, compacts the pool, swaps N/2 new pages out (${bytes(through)} in ` +
      `all), then swaps every live page back in, in a seeded random order, checking each byte for ` +
      `byte. Before it, the same code runs ${num(65_536)} swap-outs and swap-ins on a small space ` +
      `of its own, so that the baseline (the child's RSS then, every table of the run made and ` +
      `written) is a process that has run it. RSS is sampled every 4096 operations and at the end ` +
      `of each phase; at every sample it must be at most baseline + ${SCALE_RSS_BOUND_FACTOR} × ` +
      `the pool bound + the metadata then (zswap's metadata_bytes and the swap map's 2 bits a ` +
      `slot). Pool peak is the largest pool_total_size seen after any operation; peak RSS is the ` +
      `child's maxRSS (getrusage), between samples too.`,
  );
  const holds = r.poolPeak <= r.poolBound;
  const rssTarget = `<= ${SCALE_RSS_BOUND_FACTOR} × bound at every sample`;
  const peakShare = (r.rssPeak - r.rssBase - r.metadataPeak) / r.poolBound;
  table(
    ["figure", "value"],
    [
      ["pages through / pool bound", `${bytes(through)} / ${bytes(r.poolBound)}`],
      ["pool peak", `${bytes(r.poolPeak)} (${holds ? "bound holds" : "BOUND BROKEN"})`],
      ["RSS before the first swap-out (baseline)", bytes(r.rssBase)],
      [
        "worst sample: (RSS − baseline − metadata) / bound",
        `${ratio(r.worstShare)} (${r.worstPhase}; metadata ${bytes(r.worstMetadata)}); ` +
          `${r.samplesOver} of ${num(r.samples)} samples over ${SCALE_RSS_BOUND_FACTOR}: ` +
          `${verdict(r.worstShare, SCALE_RSS_BOUND_FACTOR, "ceiling")}`,
      ],
      [
        "peak RSS (maxRSS, between samples too)",
        `${bytes(r.rssPeak)}: (peak − baseline − metadata at most) / bound = ${ratio(peakShare)}`,
      ],
      ["JS heap peak / external peak (sampled)", `${bytes(r.heapPeak)} / ${bytes(r.externalPeak)}`],
      ...r.phases.map((p) => [
        p.name,
        `${num(p.ops)} in ${num(p.seconds)} s (${rate(p.ops / p.seconds)}/s)`,
      ]),
      [
        "zswap after the first swap-out / compaction",
        `${num(r.storedAfterOut)} pages stored; compaction freed ${num(r.compactedPages)} pages, ` +
          `${num(r.chunksGivenBack)} chunks given back in the run`,
      ],
      [
        "swap-in",
        `${num(r.zswapHits)} from zswap, ${num(r.deviceReads)} from the device; written back ` +
          `${num(r.writtenBack)}, device writes ${num(r.deviceWrites)}`,
      ],
    ],
  );
  ctx.headlines.push(
    `scale: ${bytes(through)} through a ${bytes(r.poolBound)} pool (a random half freed and ` +
      `compaction between): pool peak ${bytes(r.poolPeak)} (${holds ? "bound holds" : "BOUND BROKEN"}); ` +
      `RSS − baseline − metadata at most ${ratio(r.worstShare)} × bound at the samples (target ` +
      `${rssTarget}: ${verdict(r.worstShare, SCALE_RSS_BOUND_FACTOR, "ceiling")}), ` +
      `${ratio(peakShare)} × at maxRSS`,
  );
  if (!holds) throw new Error(`the pool passed its bound: ${r.poolPeak} > ${r.poolBound}`);
}
