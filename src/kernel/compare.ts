// `zswap kernel`'s comparison: one workload, the same pages and accesses, through the machine's
// own zswap (kernel-run.ts) and through zswap-ts (workload/phased.ts) with the same parameters,
// and what each side counted, side by side.

import os from "node:os";
import path from "node:path";
import { compressorsAvailable } from "../compress/index.ts";
import {
  KERNEL_ACCESSES_MAX,
  KERNEL_LIMIT_BYTES_MAX,
  KERNEL_LIMIT_BYTES_MIN,
  KERNEL_PAGES_MAX,
  PAGE_SIZE,
} from "../constants.ts";
import { FileDevice } from "../device/index.ts";
import { ZswapIOError, ZswapOptionError } from "../errors.ts";
import { accessesEncode, type Phase, type PhasedResult, phasedRun } from "../workload/phased.ts";
import { corpusLoad, type RunRequest, type SizeAsked, workloadResolve } from "../workload/plan.ts";
import { helperBuild } from "./helper.ts";
import { type KernelResult, kernelPoolBytes, kernelRun } from "./kernel-run.ts";
import {
  type KernelConfig,
  type KernelPlan,
  type KernelRow,
  type PhaseRow,
  phaseRows,
  rowsMake,
  type SideRun,
} from "./measures.ts";
import { kernelNotes } from "./notes.ts";
import { MachineChanges } from "./system.ts";

/** What the user asked, checked in itself; nothing read or changed yet. */
export interface KernelRequest {
  workload: RunRequest["workload"];
  pagesFrom: RunRequest["pagesFrom"];
  /** The memory cgroup's limit: bytes, or a percent of the working set. */
  limit: SizeAsked;
  poolPercent: number;
  acceptThresholdPercent: number;
  shrinker: boolean;
  compressor: string;
  configs: readonly KernelConfig[];
  seed: number;
  /** Where the swap files and the helper's files go. */
  folder: string;
}

export interface KernelReport {
  plan: KernelPlan;
  /** The machine's one-minute load average when the comparison began: other work skews times. */
  loadAverage: number;
  rows: KernelRow[];
  phases: PhaseRow[];
  notes: string[];
  /** Every command run on the machine, setup and undo, in order. */
  commands: string[];
  kernel: KernelResult;
  ours: Partial<Record<KernelConfig, PhasedResult>>;
}

/** The compressors zswap-ts can load here (the kernel's are its own: lzo, deflate, lz4, zstd...). */
export function compressorsOurs(): string[] {
  return compressorsAvailable();
}

/** lzo, the kernel's usual default, where zswap-ts has it (an optional package); else deflate. */
export function kernelCompressorDefault(): string {
  return compressorsAvailable().includes("lzo") ? "lzo" : "deflate";
}

function limitResolve(limit: SizeAsked, pages: number): number {
  const whole = pages * PAGE_SIZE;
  const bytes = "bytes" in limit ? limit.bytes : Math.floor((limit.percent / 100) * whole);
  if (bytes < KERNEL_LIMIT_BYTES_MIN || bytes > KERNEL_LIMIT_BYTES_MAX || bytes >= whole) {
    throw new ZswapOptionError(
      `--limit (${bytes} bytes) must be 16MiB..1GiB and smaller than the working set (${whole} bytes)`,
    );
  }
  return bytes;
}

/**
 * Frames of the working set the cgroup's limit leaves: less the helper's page versions (4 bytes
 * a page, locked) and its page tables (8 bytes a page).
 */
function framesOf(limitBytes: number, pages: number): number {
  return Math.floor(limitBytes / PAGE_SIZE) - Math.ceil((12 * pages) / PAGE_SIZE);
}

function phaseLog(log: (line: string) => void, side: string) {
  return (phase: Phase, seconds: number) => log(`${side}: ${phase} took ${seconds.toFixed(2)} s`);
}

/** Resolves the request: the workload's accesses, the pages, the limit and the pool. */
async function planMake(req: KernelRequest, signal: AbortSignal | undefined) {
  const w = await workloadResolve(req.workload, signal);
  if (w.pages > KERNEL_PAGES_MAX) {
    throw new ZswapOptionError(
      `the working set is ${w.pages} pages; the machine runs at most ${KERNEL_PAGES_MAX} (2 GiB)`,
    );
  }
  const limitBytes = limitResolve(req.limit, w.pages);
  const accesses = await accessesEncode(w.accesses(req.seed), w.pages, KERNEL_ACCESSES_MAX);
  const { corpus, source } = corpusLoad(req.pagesFrom, w.pages, req.seed);
  const direct = await FileDevice.directSupported(req.folder);
  const plan: KernelPlan = {
    workload: w.label,
    pagesSource: source,
    pages: w.pages,
    accesses: accesses.length,
    limitBytes,
    frames: framesOf(limitBytes, w.pages),
    poolPercent: req.poolPercent,
    poolBytes: kernelPoolBytes(req.poolPercent),
    acceptThresholdPercent: req.acceptThresholdPercent,
    shrinker: req.shrinker,
    compressor: req.compressor,
    device: `swap files in ${req.folder}; zswap-ts's ${direct ? "with O_DIRECT" : "through the page cache"}`,
  };
  return { plan, corpus, accesses, direct };
}

/** The kernel's side, with every change to the machine undone before it returns or throws. */
async function kernelSide(
  req: KernelRequest,
  p: Awaited<ReturnType<typeof planMake>>,
  m: MachineChanges,
  log: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<KernelResult> {
  let result: KernelResult | undefined;
  try {
    const work = m.folderTemporary(req.folder, "zswap-kernel-");
    const helper = path.join(work, "helper");
    helperBuild(helper);
    result = await kernelRun(
      {
        ...p.plan,
        corpus: p.corpus,
        accesses: p.accesses,
        work,
        helper,
        onPhase: phaseLog(log, "kernel"),
      },
      m,
      signal,
    );
  } finally {
    m.undoAll();
  }
  if (m.undoFailures.length > 0) {
    throw new ZswapIOError(`the machine could not be put back: ${m.undoFailures.join("; ")}`);
  }
  return result;
}

/**
 * Runs the comparison: the kernel first (and the machine put back), then each configuration
 * of zswap-ts. `log` receives every command run on the machine as it runs.
 */
export async function kernelCompare(
  req: KernelRequest,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<KernelReport> {
  const loadAverage = os.loadavg()[0];
  const p = await planMake(req, signal);
  const m = new MachineChanges(log);
  const kernel = await kernelSide(req, p, m, log, signal);
  const ours: Partial<Record<KernelConfig, PhasedResult>> = {};
  for (const c of req.configs) {
    ours[c] = await phasedRun(
      {
        ...p.plan,
        corpus: p.corpus,
        accesses: p.accesses,
        whenFull: c,
        folder: req.folder,
        direct: p.direct,
        onPhase: phaseLog(log, `zswap-ts ${c}`),
      },
      signal,
    );
  }
  const runs = ours as Partial<Record<KernelConfig, SideRun>>;
  return {
    plan: p.plan,
    loadAverage,
    rows: rowsMake(kernel, runs),
    phases: [
      ...phaseRows(kernel, "kernel"),
      ...Object.entries(runs).flatMap(([c, r]) => phaseRows(r, c as KernelConfig)),
    ],
    notes: kernelNotes(p.plan, kernel, runs),
    commands: m.commands,
    kernel,
    ours,
  };
}
