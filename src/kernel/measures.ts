// What `zswap kernel` compares: the quantities each side's counters give, the same way for both,
// and the places where the two count differently.

import { PAGE_SIZE } from "../constants.ts";
import { PHASES, type Phase } from "../workload/phased.ts";

/** zswap-ts's policies when the pool is full: the kernel's (reject), and waiting for writeback. */
export const KERNEL_CONFIGS = ["reject", "wait"] as const;
export type KernelConfig = (typeof KERNEL_CONFIGS)[number];

/** One compared quantity: the kernel's figure and each configuration's. */
export interface KernelRow {
  name: string;
  kernel: number;
  ours: Partial<Record<KernelConfig, number>>;
}

/** What each side did in one phase. */
export interface PhaseRow {
  phase: Phase;
  side: "kernel" | KernelConfig;
  seconds: number;
  swapOuts: number;
  declined: number;
  writtenBack: number;
  swapIns: number;
  fromDevice: number;
}

export type Snapshot = Readonly<Record<string, number | undefined>>;

export interface SideRun {
  before: Snapshot;
  phases: readonly { phase: Phase; seconds: number; after: Snapshot }[];
}

/** A counter's change over phases [from, to] (indexes into PHASES). */
export function delta(run: SideRun, name: string, from = 0, to = PHASES.length - 1): number {
  const start = from === 0 ? run.before : run.phases[from - 1].after;
  return (run.phases[to].after[name] ?? 0) - (start[name] ?? 0);
}

/** The kernel's pswpout counts writeback's writes too; ours counts stores zswap declined. */
export function declined(run: SideRun, kernel: boolean, from?: number, to?: number): number {
  const out = delta(run, "pswpout", from, to);
  return kernel ? out - delta(run, "zswpwb", from, to) : out;
}

export function swapIns(run: SideRun, from?: number, to?: number): number {
  return ["zswpin", "pswpin", "swpin_zero"].reduce((s, n) => s + delta(run, n, from, to), 0);
}

export function swapOuts(run: SideRun, kernel: boolean, from?: number, to?: number): number {
  const stored = delta(run, "zswpout", from, to) + delta(run, "swpout_zero", from, to);
  return stored + declined(run, kernel, from, to);
}

const PAGEOUT = PHASES.indexOf("pageout");
const REREAD = PHASES.indexOf("reread");

/** The compared quantities of one side's run. */
export function measures(run: SideRun, kernel: boolean): Record<string, number> {
  const after = run.phases[PAGEOUT].after;
  const gauge = (n: string) => after[n] ?? 0;
  const events = ["zswpout", "zswpin", "zswpwb", "pswpin", "swpout_zero", "swpin_zero"];
  const rejects = [
    "pool_limit_hit",
    "reject_compress_poor",
    "reject_compress_fail",
    "reject_alloc_fail",
    "reject_reclaim_fail",
  ];
  return {
    ...Object.fromEntries(events.map((n) => [n, delta(run, n)])),
    "declined to the device": declined(run, kernel),
    "pswpout (device writes)": declined(run, kernel) + delta(run, "zswpwb"),
    ...Object.fromEntries(rejects.map((n) => [n, delta(run, n)])),
    "stored_pages after pageout": gauge("stored_pages"),
    "stored_incompressible_pages after pageout": gauge("stored_incompressible_pages"),
    "pool_total_size after pageout": gauge("pool_total_size"),
    "compression ratio after pageout":
      gauge("pool_total_size") === 0
        ? 0
        : (gauge("stored_pages") * PAGE_SIZE) / gauge("pool_total_size"),
    "swap-out pages/s (pageout)":
      swapOuts(run, kernel, PAGEOUT, PAGEOUT) / run.phases[PAGEOUT].seconds,
    "swap-in pages/s (reread)": swapIns(run, REREAD, REREAD) / run.phases[REREAD].seconds,
  };
}

export function phaseRows(run: SideRun, side: PhaseRow["side"]): PhaseRow[] {
  const kernel = side === "kernel";
  return run.phases.map((p, i) => ({
    phase: p.phase,
    side,
    seconds: p.seconds,
    swapOuts: swapOuts(run, kernel, i, i),
    declined: declined(run, kernel, i, i),
    writtenBack: delta(run, "zswpwb", i, i),
    swapIns: swapIns(run, i, i),
    fromDevice: delta(run, "pswpin", i, i),
  }));
}

/** The compared quantities, one row each, kernel beside each configuration. */
export function rowsMake(
  kernel: SideRun,
  ours: Partial<Record<KernelConfig, SideRun>>,
): KernelRow[] {
  const k = measures(kernel, true);
  const o = Object.entries(ours).map(([c, run]) => [c, measures(run, false)] as const);
  return Object.keys(k).map((name) => ({
    name,
    kernel: k[name],
    ours: Object.fromEntries(o.map(([c, m]) => [c, m[name]])),
  }));
}

/** The comparison as run: what the report states of its inputs. */
export interface KernelPlan {
  workload: string;
  pagesSource: string;
  pages: number;
  accesses: number;
  limitBytes: number;
  /** Page frames zswap-ts models: the limit less the helper's own memory in the cgroup. */
  frames: number;
  poolPercent: number;
  poolBytes: number;
  acceptThresholdPercent: number;
  shrinker: boolean;
  compressor: string;
  device: string;
}
