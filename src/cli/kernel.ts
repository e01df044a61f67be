// `zswap kernel`: the same pages and accesses through this machine's own zswap and through
// zswap-ts, and what each counted, side by side.
// parse (flags to a checked request, nothing read) -> refuse a machine that cannot run it ->
// compare (kernel/compare.ts) -> print (the plan, the table, the phases, the notes).

import os from "node:os";
import { KERNEL_PAGES_MAX } from "../constants.ts";
import { ZswapMachineError, ZswapOptionError } from "../errors.ts";
import {
  compressorsOurs,
  type KernelReport,
  type KernelRequest,
  kernelCompare,
  kernelCompressorDefault,
} from "../kernel/compare.ts";
import { machineRefusals } from "../kernel/machine.ts";
import { KERNEL_CONFIGS, type KernelConfig } from "../kernel/measures.ts";
import { type FlagValues, flagsParse } from "./flags.ts";
import { machine, nonEmpty, oneOf, pagesFromParse, workloadParse } from "./run.ts";
import { table } from "./table.ts";
import { bytesFormat, numberParse, sizeParse } from "./units.ts";

export const KERNEL_USAGE = `zswap kernel [options]
  Runs the same pages and accesses through this machine's own zswap (a process in a memory
  cgroup, over a swap file of its own) and through zswap-ts with the same parameters, and prints
  what each counted, side by side. Root only; every change to the machine is printed as the
  command it amounts to, and undone however the run ends.
  --working-set SIZE           pages the program holds (default 1GiB, at most 2GiB)
  --limit SIZE|%               the memory cgroup's limit (default 25% of the working set)
  --pool-percent N             zswap's max_pool_percent, of this machine's memory (default 20)
  --accept-threshold N         zswap's accept_threshold_percent (default 90)
  --shrinker                   shrinker_enabled, and zswap-ts's shrinker
  --compressor NAME            one both have: lzo (the default where zswap-ts has it), deflate
  --configs LIST               zswap-ts's policies for a full pool: reject (the kernel's), wait
                               (default both)
  --workload shift|zipf|scan   access pattern replayed after the pages are pushed out (default shift)
  --accesses N                 accesses replayed (default 200000)
  --write-ratio R              share of accesses that write, 0..1 (default 0.3)
  --zipf-skew S                zipf's exponent, with --workload zipf (default 1)
  --trace FILE                 a program's page trace instead (valgrind lackey, or 'R|W <hex page>' lines)
  --trace-format lackey|text   with --trace; default: guessed from the file
  --pages-from FILE|self|generated
                               page contents (default generated)
  --seed N                     seed of the workload and the generated pages (default 1)
  --folder DIR                 where the swap files go (default ${os.tmpdir()}); its file system must
                               take a swap file (ext4, xfs, btrfs)
  --json                       print the report as JSON on stdout (the commands go to stderr)`;

const KERNEL_FLAGS = {
  "working-set": { type: "string" },
  limit: { type: "string" },
  "pool-percent": { type: "string" },
  "accept-threshold": { type: "string" },
  shrinker: { type: "boolean" },
  compressor: { type: "string" },
  configs: { type: "string" },
  workload: { type: "string" },
  accesses: { type: "string" },
  "write-ratio": { type: "string" },
  "zipf-skew": { type: "string" },
  trace: { type: "string" },
  "trace-format": { type: "string" },
  "pages-from": { type: "string" },
  seed: { type: "string" },
  folder: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type KernelFlags = FlagValues<typeof KERNEL_FLAGS>;

function configsParse(v: string | undefined): KernelConfig[] {
  if (v === undefined) return [...KERNEL_CONFIGS];
  const names = v.split(",").map((c) => oneOf("configs", c.trim(), KERNEL_CONFIGS));
  if (new Set(names).size !== names.length) {
    throw new ZswapOptionError(`--configs names one twice: ${v}`);
  }
  return names;
}

/** Parses `zswap kernel`'s flags into a checked request; reads no file. "help" for --help. */
export function kernelArgsParse(
  argv: string[],
): { request: KernelRequest; json: boolean } | "help" {
  const f: KernelFlags = flagsParse(argv, KERNEL_FLAGS);
  if (f.help) return "help";
  const workload = workloadParse({
    ...f,
    "working-set": f["working-set"] ?? (f.trace === undefined ? "1GiB" : undefined),
    accesses: f.accesses ?? (f.trace === undefined ? "200000" : undefined),
  });
  if (workload.kind === "pattern" && workload.pages > KERNEL_PAGES_MAX) {
    throw new ZswapOptionError(`--working-set must be at most ${KERNEL_PAGES_MAX} pages (2 GiB)`);
  }
  const request: KernelRequest = {
    workload,
    pagesFrom: pagesFromParse(f["pages-from"] ?? "generated"),
    limit: sizeParse("limit", f.limit ?? "25%", true),
    poolPercent: numberParse("pool-percent", f["pool-percent"] ?? "20", 1, 100, true),
    acceptThresholdPercent: numberParse(
      "accept-threshold",
      f["accept-threshold"] ?? "90",
      0,
      100,
      true,
    ),
    shrinker: f.shrinker === true,
    compressor: oneOf("compressor", f.compressor ?? kernelCompressorDefault(), compressorsOurs()),
    configs: configsParse(f.configs),
    seed: numberParse("seed", f.seed ?? "1", 0, 2 ** 32 - 1, true),
    folder: f.folder === undefined ? os.tmpdir() : nonEmpty("folder", f.folder),
  };
  return { request, json: f.json === true };
}

const count = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** A row's figure as printed: bytes in binary units, rates whole, ratios with two decimals. */
function cell(name: string, x: number): string {
  if (name.startsWith("pool_total_size")) return bytesFormat(x);
  if (name.includes("/s")) return String(Math.round(x));
  return count(x);
}

function change(kernel: number, ours: number): string {
  if (kernel === ours) return "0";
  if (kernel === 0) return "new";
  const d = (100 * (ours - kernel)) / kernel;
  return `${d > 0 ? "+" : ""}${d.toFixed(1)}%`;
}

function reportPrint(r: KernelReport, print: (text: string) => void): void {
  const p = r.plan;
  const m = machine();
  print(`workload:   ${p.workload}`);
  print(`pages:      ${p.pagesSource}`);
  print(
    `memory:     cgroup limit ${bytesFormat(p.limitBytes)} (zswap-ts: ${p.frames} frames); pool ${p.poolPercent}% = ${bytesFormat(p.poolBytes)}, accept threshold ${p.acceptThresholdPercent}%, shrinker ${p.shrinker ? "on" : "off"}; ${p.compressor}`,
  );
  print(`device:     ${p.device}`);
  print(
    `machine:    Linux ${os.release()}, ${m.cpu}, ${m.cores} cores, Node ${m.node}; load average ${r.loadAverage.toFixed(2)} at the start\n`,
  );
  const configs = Object.keys(r.ours) as KernelConfig[];
  const head = ["counter", "kernel", ...configs.flatMap((c) => [`zswap-ts ${c}`, "Δ"])];
  const rows = r.rows.map((row) => [
    row.name,
    cell(row.name, row.kernel),
    ...configs.flatMap((c) => [cell(row.name, row.ours[c]!), change(row.kernel, row.ours[c]!)]),
  ]);
  print(table(head, rows));
  const phaseHead = ["phase", "side", "seconds", "swap-outs", "declined", "written back"];
  const phaseRows = r.phases.map((x) => [
    x.phase,
    x.side,
    x.seconds.toFixed(2),
    ...[x.swapOuts, x.declined, x.writtenBack, x.swapIns, x.fromDevice].map(String),
  ]);
  print(`\n${table([...phaseHead, "swap-ins", "from device"], phaseRows)}\n`);
  for (const note of r.notes) print(`- ${note}`);
  for (const c of configs) {
    print(`zswap-ts ${c}: every swap-in verified (${r.ours[c]!.verified})`);
  }
  print(`kernel: every page checked by the helper, none wrong`);
}

/** Runs `zswap kernel`; resolves to the exit code. */
export async function kernelCommand(
  argv: string[],
  signal: AbortSignal,
  print: (text: string) => void,
): Promise<number> {
  const args = kernelArgsParse(argv);
  if (args === "help") {
    print(KERNEL_USAGE);
    return 0;
  }
  const refusals = machineRefusals();
  if (refusals.length > 0) {
    throw new ZswapMachineError(`zswap kernel cannot run here: ${refusals.join("; ")}`);
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const report = await kernelCompare(args.request, log, signal);
  if (args.json) print(JSON.stringify(report));
  else reportPrint(report, print);
  return 0;
}
