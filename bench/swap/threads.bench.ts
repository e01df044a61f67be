// threads: SwapSpace with codec threads against the raw codec on one thread and the synchronous
// Zswap hooks, on the same pages in the same run: 64 swaps in flight and batches (swapOutMany,
// swapInMany) against the codec's single-thread rate, one awaited swap at a time against
// Zswap.store / load, the event loop's delay while swapping at full rate, and the main thread's
// own cost per page, from which the rate on more cores is projected.

import fs from "node:fs";
import os from "node:os";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../../src/constants.ts";
import { MemoryDevice } from "../../src/device/index.ts";
import { type SwapSlot, SwapSpace } from "../../src/swap/index.ts";
import { Zswap } from "../../src/zswap/index.ts";
import type { Context } from "../lib/context.ts";
import { heading, line, note, num, rate, table, verdict } from "../lib/report.ts";
import { median } from "../lib/timing.ts";

/** Swaps in flight in the concurrent runs. */
const IN_FLIGHT = 64;
/** Batch size of the swapOutMany / swapInMany runs. */
const BATCH = 256;
/** Folio sizes of the swapOutFolio runs: the common 64 KiB mTHP, and the batch's size. */
const FOLIOS = [16, BATCH];
/** Rounds of every measure, interleaved; each figure is the median round. */
const ROUNDS = 5;
const TARGET_PARALLEL = 1.7;
const TARGET_ONE = 0.85;
const TARGET_DELAY_MS = 1;
/** The event-loop delay probe's timer interval, ms. */
const DELAY_RESOLUTION_MS = 1;
/** Cores the main thread's cost is projected to. */
const PROJECT_CORES = [2, 8, 16, 64];

interface Run {
  /** Pages per second. */
  rate: number;
  /** The main thread's CPU time per page, µs. */
  mainUs: number;
  /** The event loop's gap between turns, p99, ms. */
  delayP99Ms: number;
}

type Pass = (pages: readonly Uint8Array[]) => Promise<void>;

/**
 * CPU time of this process's main thread in ns, from the scheduler's own account (Linux
 * schedstat: time on a CPU, all of it this thread's, none of its codec threads').
 */
function mainCpuNs(): number {
  const text = fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8");
  return Number(text.split(" ")[0]);
}

/**
 * `pass` timed, with the main thread's CPU time and the event loop's delay: how late a 1 ms
 * timer fires (perf_hooks.monitorEventLoopDelay, less its interval), what a timer or an I/O
 * callback waits at most. A loop blocked for the whole pass shows as one delay that long. A probe
 * re-armed every turn (an immediate) would keep the loop from ever sleeping: it spins while the
 * codec threads work, its CPU counted as the main thread's and taken from theirs.
 */
async function measure(pages: readonly Uint8Array[], pass: Pass): Promise<Run> {
  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  delay.enable();
  const cpu0 = mainCpuNs();
  const t0 = performance.now();
  await pass(pages);
  const ms = performance.now() - t0;
  const cpu = mainCpuNs() - cpu0;
  delay.disable();
  const p99 = delay.count > 0 ? delay.percentile(99) / 1e6 - DELAY_RESOLUTION_MS : ms;
  return {
    rate: (pages.length / ms) * 1000,
    mainUs: cpu / 1000 / pages.length,
    delayP99Ms: Math.max(0, p99),
  };
}

/** Runs `n` calls of `op` with at most IN_FLIGHT at once. */
async function inFlight(n: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await op(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

async function spaceOpen(pages: number, threads: number, codec: string): Promise<SwapSpace> {
  return SwapSpace.open({
    slots: pages,
    device: new MemoryDevice({ slots: pages }),
    zswap: { maxPoolBytes: 2 * pages * PAGE_SIZE, compressor: codec },
    threads,
  });
}

/** The passes of one swap space: out then in (freeing), each way the caller may swap. */
function spacePasses(space: SwapSpace) {
  const slots: SwapSlot[] = [];
  const into = Array.from({ length: BATCH }, () => new Uint8Array(PAGE_SIZE));
  const back = async (pages: readonly Uint8Array[]) => {
    for (let i = 0; i < pages.length; i++) await space.swapIn(slots[i], into[0], { free: true });
  };
  const outOne: Pass = async (pages) => {
    for (let i = 0; i < pages.length; i++) slots[i] = await space.swapOut(pages[i]);
  };
  const inOne: Pass = back;
  const outMany: Pass = (pages) =>
    inFlight(pages.length, async (i) => {
      slots[i] = await space.swapOut(pages[i]);
    });
  const inMany: Pass = (pages) =>
    inFlight(pages.length, (i) => space.swapIn(slots[i], into[i % BATCH], { free: true }));
  const outBatch: Pass = async (pages) => {
    for (let i = 0; i < pages.length; i += BATCH) {
      const got = await space.swapOutMany(pages.slice(i, i + BATCH));
      for (let k = 0; k < got.length; k++) slots[i + k] = got[k];
    }
  };
  const inBatch: Pass = async (pages) => {
    for (let i = 0; i < pages.length; i += BATCH) {
      const some = slots.slice(i, Math.min(i + BATCH, pages.length));
      await space.swapInMany(some, into.slice(0, some.length));
      for (const s of some) space.free(s);
    }
  };
  /** Folios of `n` pages; the last pages, fewer than n, as one swapOutMany. */
  const outFolio =
    (n: number): Pass =>
    async (pages) => {
      for (let i = 0; i < pages.length; i += n) {
        const some = pages.slice(i, i + n);
        const got =
          some.length === n ? await space.swapOutFolio(some) : await space.swapOutMany(some);
        for (let k = 0; k < got.length; k++) slots[i + k] = got[k];
      }
    };
  return { outOne, inOne, outMany, inMany, outBatch, inBatch, outFolio, back };
}

/** Raw codec and Zswap's synchronous hooks, one thread, as passes timed the same way. */
function syncPasses(codecName: string, pagesMax: number) {
  const codec = compressorCreate(codecName);
  const dst = new Uint8Array(COMPRESS_BUFFER_BYTES);
  const page = new Uint8Array(PAGE_SIZE);
  let packed: { at: number[]; len: number[]; bytes: Uint8Array } | undefined;
  const z = new Zswap({ maxPoolBytes: 2 * pagesMax * PAGE_SIZE, compressor: codecName });
  z.swapon(0, pagesMax);
  const compress: Pass = async (pages) => {
    const at: number[] = [];
    const len: number[] = [];
    const bytes = new Uint8Array(pages.length * PAGE_SIZE);
    for (let i = 0; i < pages.length; i++) {
      const n = codec.compress(pages[i], dst, PAGE_SIZE);
      at.push(i * PAGE_SIZE);
      len.push(n);
      if (n > 0) bytes.set(dst.subarray(0, n), i * PAGE_SIZE);
    }
    packed = { at, len, bytes };
  };
  const decompress: Pass = async (pages) => {
    const p = packed!;
    for (let i = 0; i < pages.length; i++) {
      if (p.len[i] > 0) codec.decompress(p.bytes, p.at[i], p.at[i] + p.len[i], page);
    }
  };
  const store: Pass = async (pages) => {
    for (let i = 0; i < pages.length; i++) z.store(0, i, pages[i]);
  };
  const load: Pass = async (pages) => {
    for (let i = 0; i < pages.length; i++) z.load(0, i, page);
  };
  return { compress, decompress, store, load };
}

/** One space's figures: each way of swapping, by name. */
interface SpaceFigures {
  threads: number;
  runs: Record<string, Run>;
}

interface Figures {
  compress: Run;
  decompress: Run;
  store: Run;
  load: Run;
  /** threads 0 first, the default (the cores) last. */
  spaces: SpaceFigures[];
}

const WAYS = [
  "out one",
  "in one",
  "out 64",
  "in 64",
  "outMany",
  "inMany",
  ...FOLIOS.map((n) => `outFolio ${n}`),
];

async function figuresTake(
  ctx: Context,
  threadCounts: readonly number[],
  codec: string,
): Promise<Figures> {
  const pages = ctx.corpus.pages;
  const rounds = ctx.options.smoke ? 1 : ROUNDS;
  const sync = syncPasses(codec, pages.length);
  const spaces = await Promise.all(threadCounts.map((t) => spaceOpen(pages.length, t, codec)));
  const passes = spaces.map(spacePasses);
  const runs: Record<string, Run[]> = {};
  const add = async (name: string, pass: Pass) => {
    const run = await measure(pages, pass);
    runs[name] ??= [];
    runs[name].push(run);
  };
  for (let r = 0; r <= rounds; r++) {
    // Round 0 warms up (and starts the threads); its figures are dropped below.
    await add("compress", sync.compress);
    await add("decompress", sync.decompress);
    await add("store", sync.store);
    await add("load", sync.load);
    for (const [k, p] of passes.entries()) {
      await add(`${k} out one`, p.outOne);
      await add(`${k} in one`, p.inOne);
      await add(`${k} out 64`, p.outMany);
      await add(`${k} in 64`, p.inMany);
      await add(`${k} outMany`, p.outBatch);
      await add(`${k} inMany`, p.inBatch);
      for (const n of FOLIOS) {
        await add(`${k} outFolio ${n}`, p.outFolio(n));
        await p.back(pages); // not measured: frees the slots for the next pass
      }
    }
  }
  for (const space of spaces) await space.close();
  const med = (name: string): Run => {
    const rs = runs[name].slice(1);
    return {
      rate: median(rs.map((x) => x.rate)),
      mainUs: median(rs.map((x) => x.mainUs)),
      delayP99Ms: median(rs.map((x) => x.delayP99Ms)),
    };
  };
  return {
    compress: med("compress"),
    decompress: med("decompress"),
    store: med("store"),
    load: med("load"),
    spaces: threadCounts.map((threads, k) => ({
      threads,
      runs: Object.fromEntries(WAYS.map((w) => [w, med(`${k} ${w}`)])),
    })),
  };
}

/** Pages/s on `cores` cores: the codec work spread over all, the main thread's share at most one. */
function projected(codecUs: number, mainUs: number, cores: number): number {
  return Math.min(1e6 / mainUs, (cores * 1e6) / (codecUs + mainUs));
}

function report(f: Figures): void {
  const rows: (string | number)[][] = [];
  const row = (what: string, r: Run, base: Run, target: number | undefined) => {
    const x = r.rate / base.rate;
    rows.push([
      what,
      rate(r.rate),
      x.toFixed(2),
      target === undefined ? "" : `>= ${target}: ${verdict(x, target, "floor")}`,
      r.mainUs.toFixed(2),
      r.delayP99Ms.toFixed(2),
    ]);
  };
  row("raw codec compress (1 thread)", f.compress, f.compress, undefined);
  row("raw codec decompress (1 thread)", f.decompress, f.decompress, undefined);
  row("Zswap.store (sync)", f.store, f.compress, undefined);
  row("Zswap.load (sync)", f.load, f.decompress, undefined);
  for (const { threads, runs: set } of f.spaces) {
    const label = `threads ${threads}`;
    const on = threads > 0;
    row(
      `${label}: swapOut, 64 in flight`,
      set["out 64"],
      f.compress,
      on ? TARGET_PARALLEL : undefined,
    );
    row(
      `${label}: swapOutMany (${BATCH})`,
      set.outMany,
      f.compress,
      on ? TARGET_PARALLEL : undefined,
    );
    for (const n of FOLIOS) {
      row(`${label}: swapOutFolio (${n})`, set[`outFolio ${n}`], f.compress, undefined);
    }
    row(
      `${label}: swapIn, 64 in flight`,
      set["in 64"],
      f.decompress,
      on ? TARGET_PARALLEL : undefined,
    );
    row(
      `${label}: swapInMany (${BATCH})`,
      set.inMany,
      f.decompress,
      on ? TARGET_PARALLEL : undefined,
    );
    row(
      `${label}: swapOut one at a time / store`,
      set["out one"],
      f.store,
      on ? TARGET_ONE : undefined,
    );
    row(
      `${label}: swapIn one at a time / load`,
      set["in one"],
      f.load,
      on ? TARGET_ONE : undefined,
    );
  }
  table(
    ["path", "pages/s", "x baseline", "target", "main thread µs/page", "loop delay p99 ms"],
    rows,
  );
  const inline = f.spaces[0].runs;
  const best = f.spaces.at(-1)!;
  const t = best.runs;
  const delay = Math.max(t["out 64"].delayP99Ms, t["in 64"].delayP99Ms);
  line();
  line(
    `Event-loop delay p99 while swapping 64 in flight on ${best.threads} threads: ${delay.toFixed(2)} ms ` +
      `(target <= ${TARGET_DELAY_MS} ms: ${verdict(delay, TARGET_DELAY_MS, "ceiling")}); ` +
      `on the caller's thread alone: ${Math.max(inline["out 64"].delayP99Ms, inline["in 64"].delayP99Ms).toFixed(2)} ms.`,
  );
  line();
  line(
    `Large folios on the caller's thread (threads 0; swapOutFolio compresses there whatever the ` +
      `threads), the same pages: swapOutFolio of ` +
      FOLIOS.map((n) => {
        const x = (base: Run) => (inline[`outFolio ${n}`].rate / base.rate).toFixed(2);
        return `${n} pages ${x(inline.outMany)}x swapOutMany (${BATCH}), ${x(inline["out one"])}x swapOut one at a time, ${x(f.store)}x Zswap.store`;
      }).join("; ") +
      ".",
  );
  line();
  const codecOutUs = 1e6 / f.compress.rate;
  const codecInUs = 1e6 / f.decompress.rate;
  const mainOut = t["out 64"].mainUs;
  const mainIn = t["in 64"].mainUs;
  table(
    ["cores", "swap-out pages/s", "x codec", "swap-in pages/s", "x codec"],
    PROJECT_CORES.map((c) => {
      const o = projected(codecOutUs, mainOut, c);
      const i = projected(codecInUs, mainIn, c);
      return [
        c,
        rate(o),
        (o / f.compress.rate).toFixed(2),
        rate(i),
        (i / f.decompress.rate).toFixed(2),
      ];
    }),
  );
  note(
    `Projection, on paper: rate = min(1 / main, cores / (codec + main)), with the codec's time per page ` +
      `(${codecOutUs.toFixed(2)} µs out, ${codecInUs.toFixed(2)} µs in) and the main thread's measured ` +
      `cost at 64 in flight (${mainOut.toFixed(2)} µs out, ${mainIn.toFixed(2)} µs in). One main thread ` +
      `saturates at ${num(Math.round(1e6 / mainOut))} pages/s out (from ${((codecOutUs + mainOut) / mainOut).toFixed(1)} cores) ` +
      `and ${num(Math.round(1e6 / mainIn))} pages/s in (from ${((codecInUs + mainIn) / mainIn).toFixed(1)} cores).`,
  );
}

/** The codecs measured: the default (lz4), and zstd, whose pages cost more than a hand-off. */
const CODECS = ["lz4", "zstd"];

export async function threadsBench(ctx: Context): Promise<void> {
  heading("threads: swap-out and swap-in on codec threads");
  const threads = os.availableParallelism();
  note(
    `Method: the corpus's ${ctx.corpus.pages.length} non-zero pages through a SwapSpace on a memory device, ` +
      `pool twice the data (nothing written back), codec ${CODECS.join(", then ")}; every figure the median of ` +
      `${ROUNDS} interleaved rounds after a warm-up round. Baselines, same pages, same run: the raw codec ` +
      `on one thread (compress into one buffer, decompress from a packed copy) and Zswap.store / load. ` +
      `"main thread µs/page" is the main thread's own CPU time per page (Linux schedstat), the codec ` +
      `threads' not counted; "loop delay p99" is the 99th percentile of how late a 1 ms timer ` +
      `fired (perf_hooks.monitorEventLoopDelay less its interval), a pass shorter than the ` +
      `timer's first firing counting as one delay as long as the pass. threads 0 is the same ` +
      `space with no codec threads.`,
  );
  // 0, the cores less the caller's own, and the default: the cores.
  const counts = [...new Set([0, Math.max(1, threads - 1), threads])];
  for (const codec of CODECS) {
    line();
    line(`### ${codec}`);
    line();
    const f = await figuresTake(ctx, counts, codec);
    report(f);
    const t = f.spaces.at(-1)!.runs;
    ctx.headlines.push(
      `threads (${threads}, ${codec}): swap-out 64 in flight ${(t["out 64"].rate / f.compress.rate).toFixed(2)}x and ` +
        `swapOutMany ${(t.outMany.rate / f.compress.rate).toFixed(2)}x the raw codec; swap-in ` +
        `${(t["in 64"].rate / f.decompress.rate).toFixed(2)}x / ${(t.inMany.rate / f.decompress.rate).toFixed(2)}x; ` +
        `one at a time ${(t["out one"].rate / f.store.rate).toFixed(2)} / ${(t["in one"].rate / f.load.rate).toFixed(2)} of store / load`,
    );
  }
}
