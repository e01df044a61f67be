// scale (behind --scale): 4 GiB of pages through a 1 GiB pool, in a process of its own so that
// its peak RSS is its own, reported next to the pool bound, which must hold.

import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Context } from "../lib/context.ts";
import { bytes, heading, note, num, rate, ratio, table } from "../lib/report.ts";
import type { ScaleResult, ScaleSpec } from "./scale-child.ts";

/** Corpus pages handed to the child (as a page file, 16 MiB). */
const CHILD_CORPUS_PAGES = 4096;

function childRun(spec: ScaleSpec): Promise<ScaleResult> {
  const script = fileURLToPath(new URL("./scale-child.ts", import.meta.url));
  return new Promise((resolve, reject) => {
    // The child inherits this process's flags (--import tsx, --expose-gc), not its heap.
    const child = fork(script, [JSON.stringify(spec)], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let result: ScaleResult | undefined;
    child.on("message", (m) => {
      result = m as ScaleResult;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`the scale run's process exited with ${code}`));
    });
  });
}

export async function scaleBench(ctx: Context): Promise<void> {
  heading("scale: pages through a bounded pool");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zswap-bench-"));
  const corpusFile = path.join(dir, "corpus.pages");
  const pages = ctx.corpus.pages;
  const step = Math.max(1, Math.floor(pages.length / CHILD_CORPUS_PAGES));
  const fd = fs.openSync(corpusFile, "w");
  let written = 0;
  for (let i = 0; i < pages.length && written < CHILD_CORPUS_PAGES; i += step, written++) {
    fs.writeSync(fd, pages[i]);
  }
  fs.closeSync(fd);
  const spec: ScaleSpec = {
    pages: ctx.sizes.scalePages,
    poolBytes: ctx.sizes.scalePoolBytes,
    compressor: ctx.defaultCodec,
    corpusFile,
    seed: ctx.options.seed,
    direct: false,
  };
  let r: ScaleResult;
  try {
    r = await childRun(spec);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const through = r.pages * 4096;
  note(
    `Method: a child process (same Node flags) swaps ${num(r.pages)} distinct pages ` +
      `(${bytes(through)}: ${written} corpus pages sampled evenly from this run's corpus, each ` +
      `stamped with its number) out through one SwapSpace (zswap ${ctx.defaultCodec}, pool ` +
      `bound ${bytes(r.poolBound)}, whenFull wait, shrinker on; device: ${r.device}), then ` +
      `swaps every one back in, in a seeded random order, checking each byte for byte. Pool ` +
      `peak is the largest pool_total_size seen after any operation; peak RSS is the child's ` +
      `maxRSS (getrusage); the baseline is its RSS before the first swap-out, in the same run.`,
  );
  const holds = r.poolPeak <= r.poolBound;
  table(
    ["figure", "value"],
    [
      ["pages through / pool bound", `${bytes(through)} / ${bytes(r.poolBound)}`],
      ["pool peak", `${bytes(r.poolPeak)} (${holds ? "bound holds" : "BOUND BROKEN"})`],
      ["peak RSS", bytes(r.rssPeak)],
      ["RSS before the first swap-out (baseline)", bytes(r.rssBase)],
      [
        "peak RSS − baseline",
        `${bytes(r.rssPeak - r.rssBase)} (${ratio((r.rssPeak - r.rssBase) / r.poolBound)} × pool bound)`,
      ],
      ["JS heap peak / external peak (sampled)", `${bytes(r.heapPeak)} / ${bytes(r.externalPeak)}`],
      [
        "swap-out",
        `${rate(r.pages / r.outSeconds)} pages/s (${num(r.outSeconds)} s); zswap held ${num(r.storedAfterOut)} pages in ${bytes(r.compressedAfterOut)} after it`,
      ],
      [
        "swap-in",
        `${rate(r.pages / r.inSeconds)} pages/s (${num(r.inSeconds)} s); ${num(r.zswapHits)} from zswap, ${num(r.deviceReads)} from the device`,
      ],
      ["written back / device writes", `${num(r.writtenBack)} / ${num(r.deviceWrites)}`],
      ["zero pages (kept as a bit)", num(r.zeroPages)],
    ],
  );
  ctx.headlines.push(
    `scale: ${bytes(through)} through a ${bytes(r.poolBound)} pool: pool peak ` +
      `${bytes(r.poolPeak)} (${holds ? "bound holds" : "BOUND BROKEN"}), peak RSS ` +
      `${bytes(r.rssPeak)} (${bytes(r.rssPeak - r.rssBase)} over the ${bytes(r.rssBase)} before it)`,
  );
  if (!holds) throw new Error(`the pool passed its bound: ${r.poolPeak} > ${r.poolBound}`);
}
