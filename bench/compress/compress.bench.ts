// compress/: each codec on the corpus, one page per call into a reused buffer (as zswap calls
// it), against memcpy of the same pages, the physical limit of any store or load; then the
// per-call overhead on an all-zero page and on a 64-byte input, timed with tinybench.

import { Bench } from "tinybench";
import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../../src/constants.ts";
import type { Context } from "../lib/context.ts";
import { heading, note, rate, ratio, table } from "../lib/report.ts";
import { median, roundsTime } from "../lib/timing.ts";

/** Calls per tinybench iteration: one call alone is too short for the timer. */
const CALLS_PER_ITERATION = 100;
/** Bytes of the short input: what a tiny object or a page's header would be. */
const SHORT_INPUT_BYTES = 64;

export interface CodecFigures {
  codec: string;
  compressPagesPerSecond: number;
  decompressPagesPerSecond: number;
  /** Total input bytes / total stored bytes (a page that does not shrink is stored as 4096). */
  ratio: number;
  /** Pages that shrank below PAGE_SIZE (the rest would be stored raw). */
  shrunk: number;
}

interface Packed {
  bytes: Uint8Array;
  /** Page i's compressed bytes are bytes[at[i], at[i + 1]); at[i] === at[i + 1] for a raw page. */
  at: Uint32Array;
  stored: number;
  shrunk: number;
}

/** Compresses every page once (limit PAGE_SIZE) and packs the outputs back to back. */
function packAll(name: string, pages: readonly Uint8Array[]): Packed {
  const codec = compressorCreate(name);
  const dst = Buffer.allocUnsafe(COMPRESS_BUFFER_BYTES);
  const chunks: Uint8Array[] = [];
  const at = new Uint32Array(pages.length + 1);
  let total = 0;
  let stored = 0;
  let shrunk = 0;
  pages.forEach((page, i) => {
    const n = codec.compress(page, dst, PAGE_SIZE);
    at[i] = total;
    if (n > 0 && n < PAGE_SIZE) {
      chunks.push(Uint8Array.prototype.slice.call(dst, 0, n));
      total += n;
      stored += n;
      shrunk++;
    } else {
      chunks.push(new Uint8Array(0));
      stored += PAGE_SIZE;
    }
  });
  at[pages.length] = total;
  const bytes = new Uint8Array(total);
  chunks.forEach((c, i) => {
    bytes.set(c, at[i]);
  });
  return { bytes, at, stored, shrunk };
}

/** Decompresses every packed page once and checks it came back: a broken codec measures nothing. */
function packCheck(name: string, pages: readonly Uint8Array[], packed: Packed): void {
  const codec = compressorCreate(name);
  const out = new Uint8Array(PAGE_SIZE);
  pages.forEach((page, i) => {
    const start = packed.at[i];
    const end = packed.at[i + 1];
    if (start === end) return;
    const n = codec.decompress(packed.bytes, start, end, out);
    if (n !== PAGE_SIZE || !Buffer.from(out).equals(page)) {
      throw new Error(`${name}: page ${i} did not decompress to itself`);
    }
  });
}

function throughput(ctx: Context): { figures: CodecFigures[]; memcpyPagesPerSecond: number } {
  const pages = ctx.corpus.pages;
  const n = pages.length;
  const copy = new Uint8Array(PAGE_SIZE);
  const memcpy = () => {
    for (let i = 0; i < n; i++) copy.set(pages[i]);
  };
  const figures: CodecFigures[] = [];
  let memcpyTimes: number[] = [];
  for (const name of ctx.codecs) {
    const packed = packAll(name, pages);
    packCheck(name, pages, packed);
    const codec = compressorCreate(name);
    const dst = Buffer.allocUnsafe(COMPRESS_BUFFER_BYTES);
    const out = new Uint8Array(PAGE_SIZE);
    const { bytes, at } = packed;
    const compress = () => {
      for (let i = 0; i < n; i++) codec.compress(pages[i], dst, PAGE_SIZE);
    };
    const decompress = () => {
      for (let i = 0; i < n; i++) {
        if (at[i] !== at[i + 1]) codec.decompress(bytes, at[i], at[i + 1], out);
      }
    };
    // memcpy is timed in every codec's rounds, interleaved, and the median of all is kept.
    const [c, d, m] = roundsTime([compress, decompress, memcpy], ctx.sizes.plan).times;
    memcpyTimes = memcpyTimes.concat(m);
    figures.push({
      codec: name,
      compressPagesPerSecond: n / (median(c) / 1000),
      decompressPagesPerSecond: packed.shrunk / (median(d) / 1000),
      ratio: (n * PAGE_SIZE) / packed.stored,
      shrunk: packed.shrunk,
    });
  }
  return { figures, memcpyPagesPerSecond: n / (median(memcpyTimes) / 1000) };
}

interface CallCost {
  /** ns per call, median of tinybench's samples. */
  ns: number;
  /** tinybench's relative margin of error, percent. */
  rme: number;
}

async function perCall(ctx: Context): Promise<Map<string, CallCost>> {
  const bench = new Bench({
    time: ctx.sizes.tinybenchMs,
    warmupTime: ctx.sizes.tinybenchWarmupMs,
    ...(ctx.options.smoke ? { iterations: 2, warmupIterations: 1 } : {}),
  });
  const zero = new Uint8Array(PAGE_SIZE);
  const short = ctx.corpus.pages[0].slice(0, SHORT_INPUT_BYTES);
  const copy = new Uint8Array(PAGE_SIZE);
  const dst = Buffer.allocUnsafe(COMPRESS_BUFFER_BYTES);
  const out = new Uint8Array(PAGE_SIZE);
  const repeat = (fn: () => void) => () => {
    for (let k = 0; k < CALLS_PER_ITERATION; k++) fn();
  };
  bench.add(
    "memcpy zero",
    repeat(() => copy.set(zero)),
  );
  bench.add(
    "memcpy short",
    repeat(() => copy.set(short)),
  );
  for (const name of ctx.codecs) {
    const codec = compressorCreate(name);
    const zeroLength = codec.compress(zero, dst, PAGE_SIZE);
    const zeroPacked = new Uint8Array(dst.subarray(0, zeroLength)); // a copy, not a view
    const shortLength = codec.compress(short, dst, COMPRESS_BUFFER_BYTES);
    const shortPacked = new Uint8Array(dst.subarray(0, shortLength));
    if (
      codec.decompress(zeroPacked, 0, zeroPacked.length, out) !== PAGE_SIZE ||
      codec.decompress(shortPacked, 0, shortPacked.length, out) !== SHORT_INPUT_BYTES
    ) {
      throw new Error(
        `${name}: a zero page or a ${SHORT_INPUT_BYTES}-byte input did not round-trip`,
      );
    }
    bench.add(
      `${name} c zero`,
      repeat(() => codec.compress(zero, dst, PAGE_SIZE)),
    );
    bench.add(
      `${name} c short`,
      repeat(() => codec.compress(short, dst, COMPRESS_BUFFER_BYTES)),
    );
    bench.add(
      `${name} d zero`,
      repeat(() => codec.decompress(zeroPacked, 0, zeroPacked.length, out)),
    );
    bench.add(
      `${name} d short`,
      repeat(() => codec.decompress(shortPacked, 0, shortPacked.length, out)),
    );
  }
  await bench.run();
  const costs = new Map<string, CallCost>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== "completed") throw new Error(`tinybench task ${task.name}: ${r.state}`);
    costs.set(task.name, {
      ns: (r.latency.p50 * 1e6) / CALLS_PER_ITERATION,
      rme: r.latency.rme,
    });
  }
  return costs;
}

export async function compressBench(ctx: Context): Promise<void> {
  heading("compress/: codecs on realistic pages");
  const { plan } = ctx.sizes;
  note(
    `Method: one page per call into a reused ${COMPRESS_BUFFER_BYTES}-byte buffer (limit ` +
      `${PAGE_SIZE}), as zswap calls a codec. A pass is a plain timed loop over all ` +
      `${ctx.corpus.pages.length} corpus pages; compress, decompress and memcpy passes run ` +
      `interleaved, ${plan.passesMin}..${plan.passesMax} rounds (more while under ` +
      `${plan.budgetMs} ms) after one warm-up round, and each figure is the median pass. ` +
      `Decompress covers the pages that shrank (the others would be stored raw); every one is ` +
      `checked to come back intact before timing. Ratio = total input bytes / total stored ` +
      `bytes, a page that does not shrink counting 4096. memcpy (Uint8Array.set of the same ` +
      `page into a reused page) is the physical limit.`,
  );
  const { figures, memcpyPagesPerSecond } = throughput(ctx);
  table(
    [
      "codec",
      "compress pages/s",
      "× memcpy",
      "decompress pages/s",
      "× memcpy",
      "ratio in/stored",
      "pages that did not shrink",
    ],
    [
      [
        "memcpy",
        rate(memcpyPagesPerSecond),
        "1.00",
        rate(memcpyPagesPerSecond),
        "1.00",
        "1.00",
        "—",
      ],
      ...figures.map((f) => [
        f.codec,
        rate(f.compressPagesPerSecond),
        ratio(f.compressPagesPerSecond / memcpyPagesPerSecond),
        rate(f.decompressPagesPerSecond),
        ratio(f.decompressPagesPerSecond / memcpyPagesPerSecond),
        ratio(f.ratio),
        ctx.corpus.pages.length - f.shrunk,
      ]),
    ],
  );

  note(
    `Per-call overhead (tinybench ${ctx.sizes.tinybenchMs} ms per task after ` +
      `${ctx.sizes.tinybenchWarmupMs} ms warm-up; each iteration makes ${CALLS_PER_ITERATION} ` +
      `calls; ns per call is tinybench's median iteration / ${CALLS_PER_ITERATION}, ± its ` +
      `relative margin of error). "64 B" is the first ${SHORT_INPUT_BYTES} bytes of the first ` +
      `corpus page; the baseline is memcpy of the same input.`,
  );
  const costs = await perCall(ctx);
  const cell = (key: string) => {
    const c = costs.get(key)!;
    return `${c.ns.toFixed(0)} ±${c.rme.toFixed(0)}%`;
  };
  const times = (key: string, base: string) =>
    `${(costs.get(key)!.ns / costs.get(base)!.ns).toFixed(1)}`;
  table(
    [
      "codec",
      "compress zero page ns",
      "× memcpy",
      "compress 64 B ns",
      "× memcpy",
      "decompress zero page ns",
      "decompress 64 B ns",
    ],
    [
      [
        "memcpy",
        cell("memcpy zero"),
        "1.0",
        cell("memcpy short"),
        "1.0",
        cell("memcpy zero"),
        cell("memcpy short"),
      ],
      ...ctx.codecs.map((name) => [
        name,
        cell(`${name} c zero`),
        times(`${name} c zero`, "memcpy zero"),
        cell(`${name} c short`),
        times(`${name} c short`, "memcpy short"),
        cell(`${name} d zero`),
        cell(`${name} d short`),
      ]),
    ],
  );
  const byName = new Map(figures.map((f) => [f.codec, f]));
  for (const name of ["lz4", "lzo"]) {
    const f = byName.get(name);
    if (f === undefined) continue;
    ctx.headlines.push(
      `${name}: ${rate(f.compressPagesPerSecond)} pages/s compress, ` +
        `${rate(f.decompressPagesPerSecond)} decompress, ratio ${ratio(f.ratio)} ` +
        `(memcpy ${rate(memcpyPagesPerSecond)} pages/s)`,
    );
  }
}
