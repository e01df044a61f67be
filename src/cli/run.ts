// `zswap run`: replay a workload or a trace through each configuration and compare.
// parse (flags to a checked request, no file touched) -> plan (files read, sizes resolved) ->
// run (each configuration) -> print (results first, then the HTML report).

import os from "node:os";
import { DEVICE_LATENCY_US_MAX, PAGE_SIZE, RUN_PAGES_MAX } from "../constants.ts";
import { type ZswapArgumentError, ZswapOptionError } from "../errors.ts";
import { fileNewCheck } from "../file-new.ts";
import { PATTERN_NAMES, type PatternName } from "../workload/patterns.ts";
import {
  compressorCheck,
  LATENCY_PRESETS,
  planMake,
  type RunReport,
  type RunRequest,
} from "../workload/plan.ts";
import {
  CONFIG_NAMES,
  CONFIGS,
  type ConfigName,
  type ConfigResult,
  runConfig,
} from "../workload/run.ts";
import { TRACE_FORMATS } from "../workload/trace.ts";
import { type FlagValues, flagsParse, flagsRefuse } from "./flags.ts";
import { reportHtmlCheck, reportHtmlWrite } from "./html.ts";
import { Interrupted } from "./signals.ts";
import { countersTable, resultsTable } from "./table.ts";
import { durationParse, numberParse, sizeParse } from "./units.ts";

export const RUN_USAGE = `zswap run [options]
  Replays a workload through each configuration (${CONFIG_NAMES.join(", ")}) and compares them.
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
  --resident SIZE|%            resident page frames (default 12.5% of the working set)
  --pool SIZE|%                zswap pool bound (default: half the compressed size of what is not resident)
  --compressor NAME            lz4, lz4hc, zstd, deflate, lzo (default lz4)
  --configs LIST               comma-separated subset of: ${CONFIG_NAMES.join(",")}
  --duration TIME              stop each configuration after TIME (e.g. 10s)
  --policy clock|lru2          resident-set eviction (default clock)
  --seed N                     seed of the workload, generated pages and modelled device (default 1)
  --device file|memory         the swap device: a swap file (default), or memory, simulated on
                               virtual time, so that a seed fixes the whole run
  --swapfile PATH              create the swap file at PATH (must not exist; unlinked once open)
  --swapfile-reuse             let --swapfile be an existing regular file you own (kept)
  --page-cache                 let swap I/O go through the OS page cache (default: O_DIRECT where
                               the file system allows it, so the device costs what the disk costs)
  --device-latency MODEL       add modelled latency: nvme, ssd, hdd, or microseconds (e.g. 100)
  --json                       print the result as JSON on stdout (no table)
  --html FILE                  also write a self-contained report with charts (FILE must not exist)
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
  accesses: { type: "string" },
  duration: { type: "string" },
  "write-ratio": { type: "string" },
  "zipf-skew": { type: "string" },
  policy: { type: "string" },
  seed: { type: "string" },
  device: { type: "string" },
  swapfile: { type: "string" },
  "swapfile-reuse": { type: "boolean" },
  "page-cache": { type: "boolean" },
  "device-latency": { type: "string" },
  json: { type: "boolean" },
  html: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type RunFlags = FlagValues<typeof RUN_FLAGS>;

/** `zswap run`'s arguments, checked: what to run, and how to print it. */
export interface RunArgs {
  request: RunRequest;
  json: boolean;
  html: string | undefined;
}

function oneOf<T extends string>(flag: string, v: string, names: readonly T[]): T {
  if (!names.includes(v as T)) {
    throw usage(`--${flag} must be one of ${names.join(", ")}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

function usage(message: string): ZswapArgumentError {
  return new ZswapOptionError(message);
}

function workloadParse(f: RunFlags): RunRequest["workload"] {
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

function nonEmpty(flag: string, v: string): string {
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

function configsParse(v: string | undefined): ConfigName[] {
  if (v === undefined) return [...CONFIG_NAMES];
  const names = v.split(",").map((c) => oneOf("configs", c.trim(), CONFIG_NAMES));
  if (new Set(names).size !== names.length) throw usage(`--configs names one twice: ${v}`);
  return names;
}

function pagesFromParse(v: string | undefined): RunRequest["pagesFrom"] {
  if (v === "generated") return { kind: "generated" };
  if (v === "self" || (v === undefined && process.platform === "linux")) return { kind: "self" };
  if (v === undefined) return { kind: "generated" };
  return { kind: "file", path: nonEmpty("pages-from", v) };
}

/** Parses `zswap run`'s flags into checked arguments; reads no file. "help" for --help. */
export function runArgsParse(argv: string[]): RunArgs | "help" {
  const f = flagsParse(argv, RUN_FLAGS);
  if (f.help) return "help";
  if (f["swapfile-reuse"] && f.swapfile === undefined)
    throw usage("--swapfile-reuse needs --swapfile");
  const device = oneOf("device", f.device ?? "file", ["file", "memory"] as const);
  if (device === "memory")
    flagsRefuse(f, ["swapfile", "page-cache"], "applies to --device file only");
  const compressor = f.compressor ?? "lz4";
  compressorCheck(compressor);
  const request: RunRequest = {
    workload: workloadParse(f),
    pagesFrom: pagesFromParse(f["pages-from"]),
    resident: sizeParse("resident", f.resident ?? "12.5%", true),
    pool: f.pool === undefined ? undefined : sizeParse("pool", f.pool, true),
    compressor,
    configs: configsParse(f.configs),
    policy: oneOf("policy", f.policy ?? "clock", ["clock", "lru2"] as const),
    seed: numberParse("seed", f.seed ?? "1", 0, 2 ** 32 - 1, true),
    durationMs: f.duration === undefined ? undefined : durationParse("duration", f.duration),
    deviceLatency: latencyParse(f["device-latency"]),
    device,
    swapfile:
      f.swapfile === undefined
        ? undefined
        : { path: nonEmpty("swapfile", f.swapfile), reuse: f["swapfile-reuse"] === true },
    pageCache: f["page-cache"] === true,
  };
  return {
    request,
    json: f.json === true,
    html: f.html === undefined ? undefined : nonEmpty("html", f.html),
  };
}

function machine(): RunReport["machine"] {
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
  const { plan, results } = report;
  print(`workload:   ${plan.workload}`);
  print(`pages:      ${plan.pagesSource}`);
  print(`device:     ${plan.device}`);
  print(
    `memory:     ${plan.frames} resident frames of ${plan.pages} pages; pool ${plan.poolBytes} bytes (${plan.compressor}); eviction ${plan.policy}; device latency ${plan.deviceLatency}`,
  );
  print(
    `machine:    ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}\n`,
  );
  if (results.length > 0) {
    print(resultsTable(results));
    print(`\n${countersTable(results)}\n`);
    for (const r of results) print(`${r.label}: every swap-in verified (${r.verified})`);
  }
  if (report.interrupted !== undefined) {
    const { signal, config } = report.interrupted;
    print(`interrupted by ${signal} during "${CONFIGS[config].label}", which is not shown`);
  }
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
  const tty = process.stderr.isTTY === true;
  const onProgress = tty
    ? (c: ConfigName, done: number) =>
        process.stderr.write(
          `\r${CONFIGS[c].label}: ${Math.floor((100 * done) / plan.accesses)}%   `,
        )
    : undefined;
  const report: RunReport = { machine: machine(), plan, results: [] as ConfigResult[] };
  for (const c of plan.configs) {
    try {
      report.results.push(await runConfig({ ...spec, onProgress }, c, signal));
    } catch (error) {
      if (!(error instanceof Interrupted)) throw error;
      report.interrupted = { signal: error.signal, config: c };
      break;
    }
  }
  if (tty) process.stderr.write("\r\x1b[K");
  reportPrint(report, args.json, print);
  if (args.html !== undefined && report.results.length > 0)
    await reportHtmlWrite(args.html, report);
  return report.interrupted === undefined ? 0 : Interrupted.exitCode(report.interrupted.signal);
}
