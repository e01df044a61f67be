// `zswap run`: replay a workload or a trace through each configuration and compare.

import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { COMPRESSOR_DEFAULT, compressorCreate } from "../compress/index.ts";
import { COMPRESS_BUFFER_BYTES, PAGE_SIZE, RUN_CORPUS_PAGES_MAX } from "../constants.ts";
import { FileDevice, LATENCY_PRESETS, type LatencyModel } from "../device/index.ts";
import { optionBad, ZswapArgumentError } from "../errors.ts";
import { capturePages } from "../workload/capture.ts";
import { corpusRead } from "../workload/corpus.ts";
import { GENERATED_MIX, generatePages } from "../workload/generate.ts";
import { PATTERN_NAMES, type PatternName, pattern } from "../workload/patterns.ts";
import type { EvictionPolicy } from "../workload/resident.ts";
import {
  CONFIG_NAMES,
  CONFIGS,
  type ConfigName,
  type ConfigResult,
  type RunSpec,
  runConfig,
} from "../workload/run.ts";
import { type TraceFormat, traceAccesses, traceFormat, traceScan } from "../workload/trace.ts";
import { reportHtmlCheck, reportHtmlWrite } from "./html.ts";
import { countersTable, resultsTable } from "./table.ts";
import { durationParse, sizeParse } from "./units.ts";

export const RUN_USAGE = `zswap run [options]
  Replays a workload through each configuration (${CONFIG_NAMES.join(", ")}) and compares them.
  --workload shift|zipf|scan   synthetic access pattern (default shift: a hot set that moves)
  --trace FILE                 a program's page trace instead (valgrind lackey, or 'R|W <hex page>' lines)
  --trace-format lackey|text   default: guessed from the file
  --pages-from FILE            page contents from a corpus (4096-byte pages back to back)
  --working-set SIZE           pages the workload touches (default 8192p; a trace sets its own)
  --resident SIZE|%            resident page frames (default 12.5% of the working set)
  --pool SIZE|%                zswap pool bound (default: half the compressed size of what is not resident)
  --compressor NAME            lz4 (default), lz4hc, zstd, deflate; lzo is GPL-2.0+, opt-in: npm i lzo
  --configs LIST               comma-separated subset of: ${CONFIG_NAMES.join(",")}
  --accesses N                 accesses per configuration (default 150000)
  --duration TIME              or stop each configuration after TIME (e.g. 10s)
  --write-ratio R              share of accesses that write (default 0.3)
  --zipf-skew S                zipf exponent (default 1)
  --policy clock|lru2          resident-set eviction (default clock)
  --seed N                     seed of the workload and the modelled device (default 1)
  --swapfile PATH              swap file to use (default: a temporary file, removed at exit)
  --page-cache                 let swap I/O go through the OS page cache (default: O_DIRECT where
                               the file system allows it, so the device costs what the disk costs)
  --device-latency MODEL       add modelled latency: nvme, ssd, hdd, or microseconds (e.g. 100)
  --json                       print the result as JSON on stdout (no table)
  --html FILE                  write a self-contained report with charts`;

/** What `run` was asked to do, resolved from flags and defaults, as the report states it. */
export interface RunPlan {
  workload: string;
  pagesSource: string;
  pages: number;
  accesses: number;
  frames: number;
  poolBytes: number;
  compressor: string;
  policy: EvictionPolicy;
  configs: ConfigName[];
  seed: number;
  deviceLatency: string;
  /** The swap file and whether its I/O bypassed the page cache. */
  device: string;
}

export interface RunReport {
  machine: { cpu: string; cores: number; node: string; platform: string };
  plan: RunPlan;
  results: ConfigResult[];
}

function intFlag(name: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    optionBad(`--${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function latencyFlag(v: string | undefined): LatencyModel | undefined {
  if (v === undefined) return undefined;
  if (v in LATENCY_PRESETS) return LATENCY_PRESETS[v as keyof typeof LATENCY_PRESETS];
  const us = Number(v);
  if (!(us >= 0 && Number.isFinite(us)))
    optionBad(`--device-latency must be nvme, ssd, hdd or microseconds, got ${v}`);
  return { kind: "fixed", us };
}

/**
 * Page contents: a corpus file, else this process's own memory (Linux), else the generator.
 * At most RUN_CORPUS_PAGES_MAX pages are held; a larger working set reuses them in turn.
 */
function corpusLoad(
  from: string | undefined,
  workingSet: number,
  seed: number,
): { corpus: Uint8Array[]; source: string } {
  const pages = Math.min(workingSet, RUN_CORPUS_PAGES_MAX);
  if (from !== undefined) return { corpus: corpusRead(from, pages), source: `corpus ${from}` };
  if (process.platform === "linux") {
    const own = capturePages("self", pages);
    if (own.length > 0)
      return { corpus: own, source: `this process's own memory (${own.length} pages)` };
  }
  const mix = Object.entries(GENERATED_MIX)
    .map(([k, v]) => `${v}% ${k}`)
    .join(", ");
  return { corpus: generatePages(pages, seed), source: `generated pages (${mix})` };
}

/** Whether the swap file's file system takes O_DIRECT (a one-page probe file). */
async function directSupported(swapfile: string | undefined): Promise<boolean> {
  const path = swapfile === undefined ? undefined : `${swapfile}.probe`;
  try {
    const d = await FileDevice.open({ slots: 1, path, direct: true });
    await d.close();
    if (path !== undefined) fs.rmSync(path, { force: true });
    return true;
  } catch (err) {
    if (err instanceof ZswapArgumentError) return false;
    throw err;
  }
}

/** Mean compressed size of a sample of the corpus, for sizing the default pool. */
function compressedPageBytes(corpus: readonly Uint8Array[], compressor: string): number {
  const codec = compressorCreate(compressor);
  const dst = Buffer.alloc(COMPRESS_BUFFER_BYTES);
  const step = Math.max(1, Math.floor(corpus.length / 512));
  let sum = 0;
  let n = 0;
  for (let i = 0; i < corpus.length; i += step, n++) {
    const len = codec.compress(corpus[i], dst, PAGE_SIZE);
    sum += len === 0 ? PAGE_SIZE : len;
  }
  return sum / n;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values: f } = parseArgs({
    args: argv,
    strict: true,
    options: {
      workload: { type: "string" },
      trace: { type: "string" },
      "trace-format": { type: "string" },
      "pages-from": { type: "string" },
      "working-set": { type: "string" },
      resident: { type: "string" },
      pool: { type: "string" },
      compressor: { type: "string" },
      configs: { type: "string" },
      accesses: { type: "string" },
      duration: { type: "string" },
      "write-ratio": { type: "string" },
      "zipf-skew": { type: "string" },
      policy: { type: "string" },
      seed: { type: "string" },
      swapfile: { type: "string" },
      "page-cache": { type: "boolean" },
      "device-latency": { type: "string" },
      json: { type: "boolean" },
      html: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (f.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  // Everything is checked before anything runs.
  const seed = intFlag("seed", f.seed, 1, 0);
  const compressor = f.compressor ?? COMPRESSOR_DEFAULT;
  compressorCreate(compressor);
  const configs = (f.configs ?? CONFIG_NAMES.join(","))
    .split(",")
    .map((c) => c.trim()) as ConfigName[];
  for (const c of configs)
    if (!(c in CONFIGS))
      optionBad(`--configs: unknown configuration "${c}"; known: ${CONFIG_NAMES.join(", ")}`);
  const policy = (f.policy ?? "clock") as EvictionPolicy;
  if (policy !== "clock" && policy !== "lru2")
    optionBad(`--policy must be clock or lru2, got ${f.policy}`);
  const writeRatio = f["write-ratio"] === undefined ? 0.3 : Number(f["write-ratio"]);
  if (!(writeRatio >= 0 && writeRatio <= 1))
    optionBad(`--write-ratio must be in 0..1, got ${f["write-ratio"]}`);
  const zipfSkew = f["zipf-skew"] === undefined ? 1 : Number(f["zipf-skew"]);
  if (!(zipfSkew > 0 && zipfSkew < 10))
    optionBad(`--zipf-skew must be in (0, 10), got ${f["zipf-skew"]}`);
  const latency = latencyFlag(f["device-latency"]);
  const durationMs = f.duration === undefined ? undefined : durationParse("duration", f.duration);
  if (f.html !== undefined) reportHtmlCheck(f.html);
  if (f.trace !== undefined && (f.workload !== undefined || f["working-set"] !== undefined)) {
    optionBad("--trace sets the workload and the working set; drop --workload and --working-set");
  }

  let pages: number;
  let accessCount: number;
  let accesses: RunSpec["accesses"];
  let workload: string;
  if (f.trace !== undefined) {
    const path = f.trace;
    const format = (f["trace-format"] ?? (await traceFormat(path))) as TraceFormat;
    if (format !== "lackey" && format !== "text")
      optionBad(`--trace-format must be lackey or text, got ${format}`);
    const scan = await traceScan(path, format);
    pages = scan.pages;
    accessCount = scan.accesses;
    accesses = () => traceAccesses(path, format);
    workload = `trace ${path} (${format}, ${scan.accesses} page accesses)`;
  } else {
    const name = (f.workload ?? "shift") as PatternName;
    if (!PATTERN_NAMES.includes(name))
      optionBad(`--workload must be one of ${PATTERN_NAMES.join(", ")}, got ${f.workload}`);
    pages = Math.floor(sizeParse("working-set", f["working-set"] ?? "8192p") / PAGE_SIZE);
    if (pages < 2) optionBad("--working-set must be at least 2 pages");
    accessCount = intFlag("accesses", f.accesses, 150_000, 1);
    const o = { pages, accesses: accessCount, seed, writeRatio, zipfSkew };
    accesses = () => pattern(name, o);
    workload = `${name} over ${pages} pages, ${accessCount} accesses, ${Math.round(writeRatio * 100)}% writes`;
  }
  const frames = Math.floor(
    sizeParse("resident", f.resident ?? "12.5%", pages * PAGE_SIZE) / PAGE_SIZE,
  );
  if (frames < 1) optionBad("--resident must be at least one page frame");
  if (frames >= pages)
    optionBad(
      `--resident (${frames} pages) must be smaller than the working set (${pages} pages): nothing would swap`,
    );
  const { corpus, source } = corpusLoad(f["pages-from"], pages, seed);
  const swappable = (pages - frames) * compressedPageBytes(corpus, compressor);
  const poolBytes =
    f.pool === undefined
      ? Math.max(PAGE_SIZE, Math.floor(swappable / 2))
      : sizeParse("pool", f.pool, pages * PAGE_SIZE);
  if (poolBytes > pages * PAGE_SIZE)
    optionBad(
      `--pool (${poolBytes} bytes) is larger than the working set: writeback would never run`,
    );

  const plan: RunPlan = {
    workload,
    pagesSource: source,
    pages,
    accesses: accessCount,
    frames,
    poolBytes,
    compressor,
    policy,
    configs,
    seed,
    deviceLatency: f["device-latency"] ?? "none (the file's own)",
    device: "",
  };
  const tty = process.stderr.isTTY === true;
  const spec: RunSpec = {
    accesses,
    accessCount,
    pages,
    corpus,
    frames,
    policy,
    poolBytes,
    compressor,
    configs,
    swapfile: f.swapfile,
    direct: !f["page-cache"] && (await directSupported(f.swapfile)),
    deviceLatency: latency,
    seed,
    durationMs,
    onProgress: tty
      ? (c, done) =>
          process.stderr.write(
            `\r${CONFIGS[c].label}: ${Math.floor((100 * done) / accessCount)}%   `,
          )
      : undefined,
  };
  plan.device = `${f.swapfile ?? "a temporary swap file"}, ${spec.direct ? "page cache bypassed (O_DIRECT)" : "through the OS page cache"}`;
  const results: ConfigResult[] = [];
  for (const c of configs) results.push(await runConfig(spec, c));
  if (tty) process.stderr.write("\r\x1b[K");

  const cpus = os.cpus();
  const report: RunReport = {
    machine: {
      cpu: cpus[0]?.model ?? "unknown",
      cores: cpus.length,
      node: process.version,
      platform: process.platform,
    },
    plan,
    results,
  };
  if (f.html !== undefined) reportHtmlWrite(f.html, report);
  if (f.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  console.log(`workload:   ${plan.workload}`);
  console.log(`pages:      ${plan.pagesSource}`);
  console.log(`device:     ${plan.device}`);
  console.log(
    `memory:     ${frames} resident frames of ${pages} pages; pool ${poolBytes} bytes (${compressor}); eviction ${policy}; device latency ${plan.deviceLatency}`,
  );
  console.log(
    `machine:    ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}\n`,
  );
  console.log(resultsTable(results));
  console.log(`\n${countersTable(results)}`);
  for (const r of results)
    console.log(`${r.label}: verified ${r.verified} swap-ins, ${r.mismatches} mismatches`);
  return 0;
}
