// Where Zswap.store's and Zswap.load's time goes beyond the codec's, by steps. Store: the raw
// codec; the raw codec copying each output into one preallocated arena; copying it into freshly
// allocated zspage-sized buffers (as a growing pool does); Zswap.store itself. Load: the raw
// codec decompressing from one packed buffer; from the outputs spread over separate zspage-sized
// buffers (as they lie in the pool); Zswap.load itself. Median of 9 interleaved passes over the
// bench corpus, with the minor page faults each step takes a page. For the profile notes of
// BENCHMARKS.md.
//
//   node --expose-gc --import tsx bench/tools/store-decompose.ts [codec]

import { compressorCreate } from "../../src/compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE } from "../../src/constants.ts";
import { Zswap } from "../../src/zswap/index.ts";
import { FULL } from "../lib/context.ts";
import { corpusBuild } from "../lib/corpus.ts";
import { median, roundsTime } from "../lib/timing.ts";

/** A 4-page zspage: the size of the most used classes' zspages in the bench corpus. */
const FRESH_BUFFER_BYTES = 4 * PAGE_SIZE;

const name = process.argv[2] ?? "lz4";
const pages = corpusBuild(FULL.corpusPages, 1).pages;
const n = pages.length;
const codec = compressorCreate(name);
const zswap = new Zswap({ compressor: name, maxPoolBytes: 2 * n * PAGE_SIZE });
zswap.swapon(0, n);
const limit = Math.floor((PAGE_SIZE * zswap.options.maxCompressionRatio) / 100);
const dst = Buffer.allocUnsafe(COMPRESS_BUFFER_BYTES);
const arena = new Uint8Array(n * PAGE_SIZE);
const kept: Uint8Array[] = [];
const out = new Uint8Array(PAGE_SIZE);

const steps: [string, () => void][] = [
  [
    "raw codec",
    () => {
      for (let i = 0; i < n; i++) codec.compress(pages[i], dst, limit);
    },
  ],
  [
    "+ copy into one arena",
    () => {
      let at = 0;
      for (let i = 0; i < n; i++) {
        const length = codec.compress(pages[i], dst, limit);
        if (length > 0) {
          dst.copy(arena, at, 0, length);
          at += (length + 15) & ~15;
        }
      }
    },
  ],
  [
    "+ copy into fresh buffers",
    () => {
      kept.length = 0;
      let buffer = new Uint8Array(FRESH_BUFFER_BYTES);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const length = codec.compress(pages[i], dst, limit);
        if (length <= 0) continue;
        if (at + length > FRESH_BUFFER_BYTES) {
          kept.push(buffer);
          buffer = new Uint8Array(FRESH_BUFFER_BYTES);
          at = 0;
        }
        dst.copy(buffer, at, 0, length);
        at += length;
      }
    },
  ],
  [
    "Zswap.store (fill)",
    () => {
      for (let i = 0; i < n; i++) zswap.store(0, i, pages[i]);
    },
  ],
  [
    "(Zswap.load: empties the cache)",
    () => {
      for (let i = 0; i < n; i++) zswap.load(0, i, out);
    },
  ],
];

// The stored pages' compressed bytes, packed in one buffer, and spread over separate buffers.
const packed = new Uint8Array(n * PAGE_SIZE);
const packedAt: number[] = [0];
const spread: { bytes: Uint8Array; at: number; end: number }[] = [];
let spreadBuffer = new Uint8Array(FRESH_BUFFER_BYTES);
let spreadAt = 0;
for (let i = 0; i < n; i++) {
  const length = codec.compress(pages[i], dst, limit);
  if (length <= 0) continue;
  dst.copy(packed, packedAt[packedAt.length - 1], 0, length);
  packedAt.push(packedAt[packedAt.length - 1] + length);
  if (spreadAt + length > FRESH_BUFFER_BYTES) {
    spreadBuffer = new Uint8Array(FRESH_BUFFER_BYTES);
    spreadAt = 0;
  }
  dst.copy(spreadBuffer, spreadAt, 0, length);
  spread.push({ bytes: spreadBuffer, at: spreadAt, end: spreadAt + length });
  spreadAt += length;
}
const m = spread.length;

const loadSteps: [string, () => void][] = [
  [
    "raw decompress, one packed buffer",
    () => {
      for (let k = 0; k < m; k++) codec.decompress(packed, packedAt[k], packedAt[k + 1], out);
    },
  ],
  [
    "raw decompress, spread buffers",
    () => {
      for (let k = 0; k < m; k++) {
        codec.decompress(spread[k].bytes, spread[k].at, spread[k].end, out);
      }
    },
  ],
  [
    "(Zswap.store: fills the cache)",
    () => {
      for (let i = 0; i < n; i++) zswap.store(0, i, pages[i]);
    },
  ],
  [
    "Zswap.load (empties)",
    () => {
      for (let i = 0; i < n; i++) zswap.load(0, i, out);
    },
  ],
];

function report(title: string, list: [string, () => void][]): void {
  // Minor page faults per pass: first touches of memory the process had not written yet.
  const faults = list.map(() => 0);
  const passes = list.map(([, fn], i) => () => {
    const before = process.resourceUsage().minorPageFault;
    fn();
    faults[i] += process.resourceUsage().minorPageFault - before;
  });
  const { times } = roundsTime(passes, { passesMin: 9, passesMax: 9, budgetMs: 0 });
  const base = median(times[0]);
  console.log(`${name}, ${n} pages, ${title}, median of 9 interleaved passes:`);
  list.forEach(([label], i) => {
    const ms = median(times[i]);
    const speed = label.startsWith("(") ? "" : `  ${(base / ms).toFixed(2)} × the first`;
    const perPage = (faults[i] / times[i].length / n).toFixed(3);
    console.log(
      `  ${label.padEnd(34)} ${ms.toFixed(1).padStart(7)} ms${speed.padEnd(17)}  ${perPage} minor faults a page`,
    );
  });
}

report("store", steps);
report("load", loadSteps);
