// The codecs of this checkout against those of another (an earlier commit, installed with its
// own `npm ci`), in one process on the same pages: raw compress and decompress pages/s, and
// Zswap.store and Zswap.load pages/s, each side through its own compress/ and zswap/ layers.
// Every pass of both sides runs interleaved in the same rounds. For the codec section of
// BENCHMARKS.md, when a codec's binding changes.
//
//   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci)
//   node --expose-gc --import tsx bench/tools/codecs-before-after.ts /tmp/before [codec,...]

import { execFileSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PAGE_SIZE } from "../../src/constants.ts";
import { FULL } from "../lib/context.ts";
import { corpusBuild } from "../lib/corpus.ts";
import { machineDescribe, machineLine } from "../lib/machine.ts";
import { packChunks } from "../lib/pack.ts";
import { heading, line, note, rate, ratio, table } from "../lib/report.ts";
import { cpuMs, median, roundsTime } from "../lib/timing.ts";

/** What both sides' layers offer, as far as this tool uses them. */
interface Codec {
  compress(src: Uint8Array, dst: Uint8Array, limit: number): number;
  decompress(src: Uint8Array, start: number, end: number, dst: Uint8Array): number;
}
interface Cache {
  swapon(type: number, slots: number): void;
  store(type: number, offset: number, page: Uint8Array): boolean;
  load(type: number, offset: number, page: Uint8Array): boolean;
  stats(): { stored_pages: number };
}
interface Side {
  label: string;
  compressorCreate(name: string): Codec;
  Zswap: new (options: { compressor: string; maxPoolBytes: number }) => Cache;
}

/** The zswap default that decides which pages are stored (maxCompressionRatio 80). */
const LIMIT = Math.floor((PAGE_SIZE * 80) / 100);
const BUFFER_BYTES = 2 * PAGE_SIZE;

async function sideLoad(root: string, label: string): Promise<Side> {
  const at = (p: string) => pathToFileURL(path.join(root, p)).href;
  const compress = await import(at("src/compress/index.ts"));
  const zswap = await import(at("src/zswap/index.ts"));
  return { label, compressorCreate: compress.compressorCreate, Zswap: zswap.Zswap };
}

/** One side's passes for one codec: raw compress, raw decompress, store, load. */
function passes(side: Side, name: string, pages: readonly Uint8Array[]) {
  const n = pages.length;
  const codec = side.compressorCreate(name);
  const dst = new Uint8Array(BUFFER_BYTES);
  const out = new Uint8Array(PAGE_SIZE);
  // Pack the outputs that fit, and check each comes back: a broken codec measures nothing.
  const chunks: Uint8Array[] = [];
  const kept: number[] = [];
  pages.forEach((page, i) => {
    const length = codec.compress(page, dst, LIMIT);
    if (length === 0) return;
    chunks.push(dst.slice(0, length));
    kept.push(i);
  });
  const { bytes: packed, at } = packChunks(chunks);
  kept.forEach((i, k) => {
    const got = codec.decompress(packed, at[k], at[k + 1], out);
    if (got !== PAGE_SIZE || Buffer.compare(out, pages[i]) !== 0) {
      throw new Error(`${side.label} ${name}: page ${i} did not come back`);
    }
  });
  const zswap = new side.Zswap({ compressor: name, maxPoolBytes: 2 * n * PAGE_SIZE });
  zswap.swapon(0, n);
  const m = kept.length;
  return {
    stored: m,
    bytes: packed.length,
    compress: () => {
      for (let i = 0; i < n; i++) codec.compress(pages[i], dst, LIMIT);
    },
    decompress: () => {
      for (let k = 0; k < m; k++) codec.decompress(packed, at[k], at[k + 1], out);
    },
    // Exclusive loads (the default) empty the cache again, so every store pass starts empty.
    store: () => {
      for (let i = 0; i < n; i++) zswap.store(0, i, pages[i]);
      if (zswap.stats().stored_pages !== m) throw new Error(`${side.label} ${name}: stored`);
    },
    load: () => {
      for (let k = 0; k < m; k++) {
        if (!zswap.load(0, kept[k], out)) throw new Error(`${side.label} ${name}: load`);
      }
    },
  };
}

/** The checkout's commit, marked when its tree has changes. */
function commitOf(dir: string): string {
  const args = ["-C", dir, "describe", "--always", "--dirty"];
  return execFileSync("git", args, { encoding: "utf8" }).trim();
}

async function main(): Promise<void> {
  const [beforeRoot, codecList] = process.argv.slice(2);
  if (beforeRoot === undefined)
    throw new Error("usage: codecs-before-after.ts BEFORE_DIR [codecs]");
  const corpus = corpusBuild(FULL.corpusPages, 1);
  const pages = corpus.pages;
  const before = await sideLoad(path.resolve(beforeRoot), "before");
  const after = await sideLoad(path.resolve(import.meta.dirname, "../.."), "after");
  const names = (codecList ?? "lz4,lz4hc,zstd,lzo").split(",");
  const plan = { passesMin: 5, passesMax: 9, budgetMs: 4000 };

  heading("Codecs before and after, one run", 1);
  line(`- date: ${new Date().toISOString()}`);
  const script = path.relative(process.cwd(), process.argv[1]);
  const args = ["BEFORE_DIR", ...(codecList === undefined ? [] : [codecList])].join(" ");
  line(`- command: node ${process.execArgv.join(" ")} ${script} ${args}`);
  line(`- before: commit ${commitOf(beforeRoot)}; after: commit ${commitOf(".")}`);
  line(`- machine: ${machineLine(await machineDescribe())}`);
  line(`- corpus: ${corpus.describe}`);
  line();
  note(
    `Method: per codec, eight passes over all ${pages.length} pages run interleaved in ` +
      `${plan.passesMin}..${plan.passesMax} rounds (more while under ${plan.budgetMs} ms) ` +
      `after a warm-up round, then as many again in mirrored order (after's pass first): ` +
      `before's and after's raw compress (limit ${LIMIT} bytes, a ` +
      `reused buffer), raw decompress (the outputs that fit, from one packed buffer), then ` +
      `before's Zswap.store of every page into an empty cache and Zswap.load of every stored ` +
      `page (exclusive loads: the cache is empty again), then after's; ` +
      `each pass is timed in this process's CPU time (process.cpuUsage, user + system), so ` +
      `that other work on a shared machine counts as little as it can, and figures are ` +
      `medians of both halves' passes. "after ÷ before" above 1.00 is faster now.`,
  );
  const rows: (string | number)[][] = [];
  for (const name of names) {
    const b = passes(before, name, pages);
    const a = passes(after, name, pages);
    // Each side fills its cache and empties it again before the other starts. Whichever goes
    // second meets the first's garbage (and its GCs), so the rounds are run twice, the second
    // time in mirrored order, and each figure is the median of both halves' passes.
    const order = [
      b.compress,
      a.compress,
      b.decompress,
      a.decompress,
      b.store,
      b.load,
      a.store,
      a.load,
    ];
    const mirror = [1, 0, 3, 2, 6, 7, 4, 5]; // its own inverse
    const first = roundsTime(order, plan, 1, cpuMs).times;
    const second = roundsTime(
      mirror.map((i) => order[i]),
      plan,
      1,
      cpuMs,
    ).times;
    const r = first.map((t, i) => median([...t, ...second[mirror[i]]]));
    const perSecond = (count: number, ms: number) => count / (ms / 1000);
    /** Before's and after's pages/s from the passes at r[i] and r[j], and their ratio. */
    const cells = (count: [number, number], i: number, j: number) => {
      const x = perSecond(count[0], r[i]);
      const y = perSecond(count[1], r[j]);
      return [rate(x), rate(y), ratio(y / x)];
    };
    const all: [number, number] = [pages.length, pages.length];
    const stored: [number, number] = [b.stored, a.stored];
    rows.push([
      name,
      ...cells(all, 0, 1),
      ...cells(stored, 2, 3),
      ...cells(all, 4, 6),
      ...cells(stored, 5, 7),
      `${b.stored} / ${a.stored}`,
      `${ratio((b.stored * PAGE_SIZE) / b.bytes)} / ${ratio((a.stored * PAGE_SIZE) / a.bytes)}`,
    ]);
  }
  const triple = (what: string) => [`${what} before`, "after", "÷"];
  table(
    [
      "codec",
      ...triple("compress pages/s"),
      ...triple("decompress"),
      ...triple("store"),
      ...triple("load"),
      "pages stored before / after",
      "ratio of stored pages",
    ],
    rows,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
