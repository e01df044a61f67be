// `zswap run`: replay a workload or a trace through each configuration and compare.
// parse (flags to a checked request, no file touched) -> plan (files read, sizes resolved) ->
// run (each configuration) -> print (results first, then the HTML report).

import os from "node:os";
import {
  CODEC_THREADS_MAX,
  DEVICE_LATENCY_US_MAX,
  PAGE_SIZE,
  RUN_GROUPS_MAX,
  RUN_PAGES_MAX,
  RUN_REPEATS_MAX,
} from "../constants.ts";
import { type ZswapArgumentError, ZswapOptionError } from "../errors.ts";
import { fileNewCheck } from "../file-new.ts";
import { PATTERN_NAMES, type PatternName } from "../workload/patterns.ts";
import {
  COMPRESSOR_DEFAULT,
  compressorCheck,
  LATENCY_PRESETS,
  planMake,
  RUN_SCHEMA_VERSION,
  type RunPlan,
  type RunReport,
  type RunRequest,
  redisTargetParse,
} from "../workload/plan.ts";
import { type RepeatedRuns, type RunStep, runRepeated } from "../workload/repeat.ts";
import {
  CONFIG_NAMES,
  CONFIG_NAMES_ALL,
  CONFIG_OPT_IN,
  CONFIGS,
  type ConfigName,
  type RunSpec,
} from "../workload/run.ts";
import { lastRuns } from "../workload/summary.ts";
import { runTenants, type TenantsResult, tenantCells } from "../workload/tenants.ts";
import { TRACE_FORMATS } from "../workload/trace.ts";
import { type FlagValues, flagsParse, flagsRefuse } from "./flags.ts";
import { reportHtmlCheck, reportHtmlWrite } from "./html.ts";
import { type LiveServer, liveServe } from "./live.ts";
import { progressLine } from "./progress.ts";
import { Interrupted } from "./signals.ts";
import { countersTable, relativeLines, resultsTable, summaryCells, table } from "./table.ts";
import { durationParse, numberParse, sizeParse } from "./units.ts";
import { packageVersion } from "./version.ts";

export const RUN_USAGE = `zswap run [options]
  Replays a workload through each configuration (${CONFIG_NAMES.join(", ")}) and compares them;
  opt-in with --configs: ${CONFIG_OPT_IN.join(", ")} (zram's tools: idle pages written back
  or compressed again, zstd with a dictionary, identical pages stored once).
  --workload shift|zipf|scan|loop
                               synthetic access pattern (default shift: a hot set that moves;
                               loop: a cyclic pass over the pages outside a hot set)
  --working-set SIZE           pages the workload touches (default 8192p, at most ${RUN_PAGES_MAX}p)
  --accesses N                 accesses per configuration (default 150000)
  --write-ratio R              share of accesses that write, 0..1 (default 0.3)
  --zipf-skew S                zipf's exponent, with --workload zipf (default 1)
  --trace FILE                 a program's page trace instead (valgrind lackey, or 'R|W <hex page>' lines)
  --trace-format lackey|text   with --trace; default: guessed from the file
  --pages-from FILE|self|generated
                               page contents: a corpus (4096-byte pages back to back), this
                               process's own memory, or generated pages (default: self on Linux)
  --resident SIZE|%            resident page frames (default 12.5% of the working set, at least 1)
  --pool SIZE|%                zswap pool bound (default: half the compressed size of what is not resident)
  --compressor NAME            lz4 (default), lz4hc, zstd, deflate; lzo is GPL-2.0+, opt-in: npm i lzo
  --configs LIST               comma-separated subset of: ${CONFIG_NAMES_ALL.join(",")}
  --dict FILE                  the zstd dictionary of the dict configuration (as zswap dict
                               train writes); default: trained on the run's own pages
  --duration TIME              stop each configuration after TIME (e.g. 10s)
  --policy clock|lru2          resident-set eviction (default clock)
  --seed N                     seed of the workload, generated pages and modelled device (default 1)
  --runs N                     measured runs of each configuration, interleaved (default 1, at
                               most ${RUN_REPEATS_MAX}): mean ± σ, min … max, and how they compare
  --warmup N                   runs of each configuration before those, not measured (default 0)
  --vary-seed                  give each round of runs its own seed (seed + its index; page
                               contents stay those of --seed), not the same one
  --threads N                  codec threads of each configuration's space, 0..${CODEC_THREADS_MAX}
                               (default 0: the replay swaps one page at a time, inline)
  --swapfile PATH              create the swap file at PATH (must not exist; unlinked once open)
  --swapfile-reuse             let --swapfile be an existing regular file you own (kept)
  --page-cache                 let swap I/O go through the OS page cache (default: O_DIRECT where
                               the file system allows it, so the device costs what the disk costs)
  --device-latency MODEL       add modelled latency: nvme, ssd, hdd, or microseconds (e.g. 100)
  --device file|memory|URL     the swap device: a swap file (default); memory, simulated on
                               virtual time, so that a seed fixes the whole run; or Redis:
                               redis[s]://[USER:PASSWORD@]HOST:PORT[/DB] (one server) or
                               redis[s]-cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]
  --tier-file SIZE|%           with a Redis --device: a swap file of SIZE in front of it, whose
                               oldest pages move to Redis (zswap, then the file, then Redis)
  --groups N                   the noisy-neighbour experiment instead: N tenants (2..${RUN_GROUPS_MAX}) share
                               one pool, each in a group with its own space and resident
                               frames; tenant-1 scans, the others replay the workload; run with
                               no group bounds, then with each bounded to 1/N of the pool
                               (memory.zswap.max); one row per group and round
  --json                       print the result as JSON on stdout (no table)
  --html FILE                  also write a self-contained report with charts (FILE must not exist)
  --serve [PORT]               while it runs, serve a live page of the charts and /metrics on
                               127.0.0.1:PORT (default: a free port, printed on stderr)
  Sizes: 64MiB, 2GiB, 1TiB, 4096B, 8192p (pages), 25% (of the working set).`;

const RUN_FLAGS = {
  workload: { type: "string" },
  trace: { type: "string" },
  "trace-format": { type: "string" },
  "pages-from": { type: "string" },
  "working-set": { type: "string" },
  resident: { type: "string" },
  pool: { type: "string" },
  compressor: { type: "string" },
  configs: { type: "string" },
  dict: { type: "string" },
  accesses: { type: "string" },
  duration: { type: "string" },
  "write-ratio": { type: "string" },
  "zipf-skew": { type: "string" },
  policy: { type: "string" },
  seed: { type: "string" },
  runs: { type: "string" },
  threads: { type: "string" },
  warmup: { type: "string" },
  "vary-seed": { type: "boolean" },
  swapfile: { type: "string" },
  "swapfile-reuse": { type: "boolean" },
  "page-cache": { type: "boolean" },
  device: { type: "string" },
  "device-latency": { type: "string" },
  "tier-file": { type: "string" },
  groups: { type: "string" },
  json: { type: "boolean" },
  html: { type: "string" },
  serve: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type RunFlags = FlagValues<typeof RUN_FLAGS>;

/** `zswap run`'s arguments, checked: what to run, and how to print it. */
export interface RunArgs {
  request: RunRequest;
  json: boolean;
  html: string | undefined;
  /** Serve the live page on this port (0: a free one). */
  serve: number | undefined;
  /** Tenants of the noisy-neighbour experiment, instead of the configurations. */
  groups: number | undefined;
}

export function oneOf<T extends string>(flag: string, v: string, names: readonly T[]): T {
  if (!names.includes(v as T)) {
    throw usage(`--${flag} must be one of ${names.join(", ")}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

function usage(message: string): ZswapArgumentError {
  return new ZswapOptionError(message);
}

/** The flags that say what workload to replay. */
export type WorkloadFlags = Pick<
  RunFlags,
  "workload" | "trace" | "trace-format" | "working-set" | "accesses" | "write-ratio" | "zipf-skew"
>;

export function workloadParse(f: WorkloadFlags): RunRequest["workload"] {
  if (f.trace !== undefined) {
    const traceSets = ["workload", "working-set", "accesses", "write-ratio", "zipf-skew"];
    flagsRefuse(f, traceSets, "does not apply with --trace: the trace is the workload");
    const format = f["trace-format"];
    return {
      kind: "trace",
      path: nonEmpty("trace", f.trace),
      format: format === undefined ? undefined : oneOf("trace-format", format, TRACE_FORMATS),
    };
  }
  flagsRefuse(f, ["trace-format"], "needs --trace");
  const name: PatternName = oneOf("workload", f.workload ?? "shift", PATTERN_NAMES);
  if (name !== "zipf") flagsRefuse(f, ["zipf-skew"], "applies to --workload zipf only");
  const size = sizeParse("working-set", f["working-set"] ?? "8192p", false);
  const pages = Math.floor(("bytes" in size ? size.bytes : 0) / PAGE_SIZE);
  if (pages < 2 || pages > RUN_PAGES_MAX) {
    throw usage(`--working-set must be 2..${RUN_PAGES_MAX} pages, got ${pages}`);
  }
  return {
    kind: "pattern",
    name,
    pages,
    accesses: numberParse("accesses", f.accesses ?? "150000", 1, Number.MAX_SAFE_INTEGER, true),
    writeRatio: numberParse("write-ratio", f["write-ratio"] ?? "0.3", 0, 1),
    zipfSkew: numberParse("zipf-skew", f["zipf-skew"] ?? "1", 0.01, 10),
  };
}

export function nonEmpty(flag: string, v: string): string {
  if (v.trim() === "" || v.includes("\0")) throw usage(`--${flag} needs a file name`);
  return v;
}

function latencyParse(v: string | undefined): RunRequest["deviceLatency"] {
  if (v === undefined) return undefined;
  if (Object.hasOwn(LATENCY_PRESETS, v)) {
    return { model: LATENCY_PRESETS[v as keyof typeof LATENCY_PRESETS], label: v };
  }
  const us = numberParse("device-latency", v, 0, DEVICE_LATENCY_US_MAX);
  return { model: { kind: "fixed", us }, label: `${us} µs` };
}

function deviceParse(f: RunFlags): Pick<RunRequest, "device" | "redis"> {
  const v = f.device ?? "file";
  if (v === "file" || v === "memory") {
    flagsRefuse(f, ["tier-file"], "puts a file in front of a Redis --device; give one");
    if (v === "memory") {
      flagsRefuse(f, ["swapfile", "swapfile-reuse", "page-cache"], "applies to a swap file only");
    }
    return { device: v, redis: undefined };
  }
  if (!/^rediss?(-cluster)?:/i.test(v)) {
    throw usage(
      "--device must be file, memory, or a redis://, rediss://, redis-cluster:// or rediss-cluster:// URL",
    );
  }
  flagsRefuse(f, ["swapfile", "swapfile-reuse"], "applies to the file device only");
  const tier = f["tier-file"];
  if (tier === undefined) flagsRefuse(f, ["page-cache"], "applies to a swap file only");
  const redis = {
    url: v,
    describe: redisTargetParse(v, "--device").describe,
    tierFile: tier === undefined ? undefined : sizeParse("tier-file", tier, true),
  };
  return { device: "redis", redis };
}

function configsParse(v: string | undefined): ConfigName[] {
  if (v === undefined) return [...CONFIG_NAMES];
  const names = v.split(",").map((c) => oneOf("configs", c.trim(), CONFIG_NAMES_ALL));
  if (new Set(names).size !== names.length) throw usage(`--configs names one twice: ${v}`);
  return names;
}

export function pagesFromParse(v: string | undefined): RunRequest["pagesFrom"] {
  if (v === "generated") return { kind: "generated" };
  if (v === "self" || (v === undefined && process.platform === "linux")) return { kind: "self" };
  if (v === undefined) return { kind: "generated" };
  return { kind: "file", path: nonEmpty("pages-from", v) };
}

/** `--serve` takes an optional port: not followed by one, it means port 0 (a free one). */
function serveDefault(argv: string[]): string[] {
  return argv.map((a, i) =>
    a === "--serve" && !/^\d+$/.test(argv[i + 1] ?? "") ? "--serve=0" : a,
  );
}

/** Parses `zswap run`'s flags into checked arguments; reads no file. "help" for --help. */
export function runArgsParse(argv: string[]): RunArgs | "help" {
  const f = flagsParse(serveDefault(argv), RUN_FLAGS);
  if (f.help) return "help";
  if (f["swapfile-reuse"] && f.swapfile === undefined)
    throw usage("--swapfile-reuse needs --swapfile");
  const compressor = f.compressor ?? COMPRESSOR_DEFAULT;
  compressorCheck(compressor);
  const configs = configsParse(f.configs);
  if (f.dict !== undefined && !configs.includes("dict")) {
    throw usage("--dict is the dictionary of the dict configuration: add it to --configs");
  }
  const request: RunRequest = {
    workload: workloadParse(f),
    pagesFrom: pagesFromParse(f["pages-from"]),
    resident: f.resident === undefined ? undefined : sizeParse("resident", f.resident, true),
    pool: f.pool === undefined ? undefined : sizeParse("pool", f.pool, true),
    compressor,
    configs,
    dictionary: f.dict === undefined ? undefined : nonEmpty("dict", f.dict),
    policy: oneOf("policy", f.policy ?? "clock", ["clock", "lru2"] as const),
    seed: numberParse("seed", f.seed ?? "1", 0, 2 ** 32 - 1, true),
    runs: numberParse("runs", f.runs ?? "1", 1, RUN_REPEATS_MAX, true),
    warmup: numberParse("warmup", f.warmup ?? "0", 0, RUN_REPEATS_MAX, true),
    varySeed: f["vary-seed"] === true,
    durationMs: f.duration === undefined ? undefined : durationParse("duration", f.duration),
    deviceLatency: latencyParse(f["device-latency"]),
    ...deviceParse(f),
    swapfile:
      f.swapfile === undefined
        ? undefined
        : { path: nonEmpty("swapfile", f.swapfile), reuse: f["swapfile-reuse"] === true },
    pageCache: f["page-cache"] === true,
    threads: numberParse("threads", f.threads ?? "0", 0, CODEC_THREADS_MAX, true),
  };
  if (f.groups !== undefined) {
    const alone = ["configs", "runs", "warmup", "vary-seed", "html", "serve", "swapfile", "trace"];
    flagsRefuse(f, alone, "does not apply with --groups");
    if (request.device === "redis") throw usage("--groups runs on --device file or memory");
  }
  return {
    request,
    groups:
      f.groups === undefined ? undefined : numberParse("groups", f.groups, 2, RUN_GROUPS_MAX, true),
    json: f.json === true,
    html: f.html === undefined ? undefined : nonEmpty("html", f.html),
    serve: f.serve === undefined ? undefined : numberParse("serve", f.serve, 0, 65_535, true),
  };
}

export function machine(): RunReport["machine"] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    node: process.version,
    platform: process.platform,
  };
}

function reportPrint(report: RunReport, json: boolean, print: (text: string) => void): void {
  if (json) {
    print(JSON.stringify(report));
    return;
  }
  const { plan, results, summary } = report;
  print(`workload:   ${plan.workload}`);
  print(`pages:      ${plan.pagesSource}`);
  print(`device:     ${plan.device}`);
  print(
    `memory:     ${plan.frames} resident frames of ${plan.pages} pages; pool ${plan.poolBytes} bytes (${plan.compressor}); eviction ${plan.policy}; device latency ${plan.deviceLatency}`,
  );
  if (plan.dictionary !== null) print(`dictionary: ${plan.dictionary}`);
  if (plan.runs > 1 || plan.warmup > 0) {
    const seeds = plan.varySeed ? `seeds ${plan.seed} + the round's index` : `seed ${plan.seed}`;
    print(
      `runs:       ${plan.runs} of each configuration, interleaved, after ${plan.warmup} warmup; ${seeds}`,
    );
  }
  print(
    `machine:    ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}\n`,
  );
  if (results.length > 0) {
    if (plan.runs === 1) print(resultsTable(results));
    else {
      const { head, rows, glued } = summaryCells(summary, results);
      print(table(head, rows, glued));
    }
    // The counters of each configuration's last run.
    print(`\n${countersTable(lastRuns(summary, results))}\n`);
    for (const s of summary) print(`${s.label}: every swap-in verified (${s.verified})`);
    const relative = relativeLines(summary);
    if (relative.length > 0) print(`\n${relative.join("\n")}`);
  }
  if (report.interrupted !== undefined) {
    const { signal, config, run } = report.interrupted;
    const which = run === 0 ? "a warmup run" : `run ${run}`;
    print(
      `interrupted by ${signal} during ${which} of "${CONFIGS[config].label}", which is not shown`,
    );
  }
}

/**
 * The progress line, to stderr when it is a terminal (`end` clears it) and to `live`'s page when
 * serving one; with neither, none.
 */
function progressTo(
  plan: RunPlan,
  live: LiveServer | undefined,
): { onStep: (step: RunStep) => void; onProgress: RunSpec["onProgress"]; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let current: RunStep | undefined;
  if (!tty && live === undefined) {
    return { onStep: () => {}, onProgress: undefined, end: () => {} };
  }
  const t0 = performance.now();
  const onProgress = (c: ConfigName, done: number) => {
    if (current === undefined) return;
    const ms = performance.now() - t0;
    const line = progressLine(current, CONFIGS[c].label, plan, done, plan.accesses, ms);
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
    live?.progress(line);
  };
  return {
    onStep: (step) => {
      current = step;
      onProgress(step.config, 0);
    },
    onProgress,
    end: () => {
      if (tty) process.stderr.write("\r\x1b[K");
    },
  };
}

/** Runs every round of the plan, serving the live page meanwhile when asked. */
async function runServed(
  args: RunArgs,
  plan: RunPlan,
  spec: Omit<RunSpec, "seed">,
  signal: AbortSignal,
): Promise<RepeatedRuns> {
  const live =
    args.serve === undefined ? undefined : await liveServe(plan, packageVersion(), args.serve);
  if (live !== undefined) {
    process.stderr.write(
      `zswap: the live page is at ${live.url}/ (metrics at ${live.url}/metrics)\n`,
    );
  }
  const progress = progressTo(plan, live);
  try {
    const onProgress = progress.onProgress;
    return await runRepeated(
      plan,
      { ...spec, onProgress, onStart: live?.onStart },
      signal,
      progress.onStep,
    );
  } finally {
    progress.end();
    if (live !== undefined) {
      live.progress(`finished: ${plan.configs.length} configurations, ${plan.runs} runs each`);
      await live.end();
    }
  }
}

function tenantsPrint(
  plan: RunPlan,
  result: TenantsResult,
  json: boolean,
  print: (text: string) => void,
): void {
  if (json) {
    print(JSON.stringify({ version: packageVersion(), machine: machine(), plan, ...result }));
    return;
  }
  print(`workload:   ${plan.workload} (tenant-1: scans of ${plan.pages} pages)`);
  print(`pages:      ${plan.pagesSource}`);
  print(`device:     ${plan.device}, one per tenant`);
  print(
    `memory:     ${result.groups} tenants of ${plan.frames} resident frames and ${plan.pages} pages each; one pool of ${plan.poolBytes} bytes (${plan.compressor}); limits: ${Math.floor(plan.poolBytes / result.groups)} bytes a group\n`,
  );
  const { head, cells } = tenantCells(result.rows);
  print(table(head, cells));
  const quiet = result.rows.filter((r) => r.group === "tenant-2");
  const [free, bounded] = quiet.map((r) => `${(r.zswapHitRatio * 100).toFixed(1)}%`);
  print(`\ntenant-2's zswap hit ratio: ${free} with no limits, ${bounded} with limits`);
  const verified = result.rows.reduce((n, r) => n + r.verified, 0);
  print(`every swap-in verified (${verified})`);
}

/** Runs `zswap run`; resolves to the exit code. A signal stops it: what finished is printed. */
export async function runCommand(
  argv: string[],
  signal: AbortSignal,
  print: (text: string) => void,
): Promise<number> {
  const args = runArgsParse(argv);
  if (args === "help") {
    print(RUN_USAGE);
    return 0;
  }
  if (args.html !== undefined) {
    await fileNewCheck(args.html, "--html");
    reportHtmlCheck();
  }
  const { plan, spec } = await planMake(args.request, signal);
  if (args.groups !== undefined) {
    tenantsPrint(
      plan,
      await runTenants({ ...spec, seed: plan.seed }, args.groups),
      args.json,
      print,
    );
    return 0;
  }
  const runs = await runServed(args, plan, spec, signal);
  const report: RunReport = {
    schemaVersion: RUN_SCHEMA_VERSION,
    version: packageVersion(),
    machine: machine(),
    plan,
    results: runs.results,
    summary: runs.summary,
  };
  if (runs.stopped !== undefined) {
    const { step, reason } = runs.stopped;
    if (!(reason instanceof Interrupted)) throw reason;
    report.interrupted = { signal: reason.signal, config: step.config, run: step.run };
  }
  reportPrint(report, args.json, print);
  if (args.html !== undefined && report.results.length > 0)
    await reportHtmlWrite(args.html, report);
  return report.interrupted === undefined ? 0 : Interrupted.exitCode(report.interrupted.signal);
}
