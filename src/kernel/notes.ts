// The report's notes: where the kernel and zswap-ts count or decide differently, each said in
// words with the figures of the run that show it.

import { PAGE_SIZE } from "../constants.ts";
import { PHASES } from "../workload/phased.ts";
import type { KernelResult } from "./kernel-run.ts";
import {
  declined,
  delta,
  type KernelConfig,
  type KernelPlan,
  type SideRun,
  swapIns,
} from "./measures.ts";

const REPLAY = PHASES.indexOf("replay");
const REREAD = PHASES.indexOf("reread");

const n = (x: number) => Math.round(x).toLocaleString("en-US");
const pct = (x: number, of: number) => (of === 0 ? "-" : `${((100 * x) / of).toFixed(1)}%`);

/** Other processes swapping at the same time would show in the kernel's global counters. */
function alone(kernel: KernelResult): string {
  const faults = kernel.phases.reduce((s, p) => s + p.majorFaults, 0);
  const ins = swapIns(kernel);
  return ins === faults
    ? `The kernel's swap-ins (${n(ins)}) equal the helper's major faults: no other process swapped during the run.`
    : `The kernel's swap-ins (${n(ins)}) differ from the helper's major faults (${n(faults)}): other processes swapped during the run, and its counters include theirs.`;
}

function counting(kernel: SideRun, reject: SideRun | undefined): string[] {
  const out = [
    "pswpout: the kernel's counts writeback's writes too; the row 'pswpout (device writes)' is declined + written back on both sides, and 'declined to the device' is the kernel's pswpout less zswpwb.",
  ];
  const hits = delta(kernel, "pool_limit_hit");
  if (hits > 0 || (reject !== undefined && delta(reject, "pool_limit_hit") > 0)) {
    out.push(
      `pool_limit_hit: the kernel counts a store that finds the pool at its limit (${n(hits)} of ${n(declined(kernel, true))} declined); zswap-ts also counts the stores it refuses afterwards until the pool is below the accept threshold, so its pool_limit_hit is all its declined stores: compare 'declined to the device'.`,
    );
  }
  return out;
}

/**
 * Pages one pass of writeback moves: from the pool's limit down to its accept threshold, at the
 * pool's compression ratio after pageout.
 */
function passPages(plan: KernelPlan, run: SideRun): number {
  const after = run.phases[PHASES.indexOf("pageout")].after;
  const ratio = (after.stored_pages ?? 0) / ((after.pool_total_size ?? 0) / PAGE_SIZE || 1);
  const poolPages = plan.poolBytes / PAGE_SIZE;
  return poolPages * (1 - plan.acceptThresholdPercent / 100) * ratio;
}

function writeback(plan: KernelPlan, kernel: SideRun, reject: SideRun | undefined): string[] {
  const dk = declined(kernel, true);
  if (dk === 0 || reject === undefined) return [];
  const wk = delta(kernel, "zswpwb");
  const wr = delta(reject, "zswpwb");
  const dr = declined(reject, false);
  const pass = passPages(plan, kernel);
  return [
    `Writeback: what the pool could not hold went to the device, declined or written back: kernel ${n(dk + wk)} pages, zswap-ts reject ${n(dr + wr)} (${pct(dr + wr - dk - wk, dk + wk)}). The split differs: the kernel declined ${n(dk)} and wrote back ${n(wk)}, ${(wk / pass).toFixed(1)} passes of its shrink worker (a pass takes the pool from its limit down to the accept threshold, about ${n(pass)} pages here); zswap-ts reject declined ${n(dr)} and wrote back ${n(wr)} (${(wr / pass).toFixed(1)} passes). The kernel's worker stores every new entry referenced, so it must rotate each once before writing it back, and it stops after 16 failures in a row (MAX_RECLAIM_RETRIES), a rotation counting as one, until the next declined store queues it again: how many passes it completes depends on when it gets to run, and moves from run to run on a busy machine while the sum does not. zswap-ts's writeback skips an entry only if it was loaded since it was stored, and starts whenever a store finds the pool full.`,
  ];
}

function reclaim(plan: KernelPlan, kernel: KernelResult, reject: SideRun | undefined): string[] {
  const rss = (kernel.phases[PHASES.indexOf("fill")].after["memcg.rss"] ?? 0) / PAGE_SIZE;
  const out = [
    `Memory: the cgroup's limit is ${n(plan.limitBytes / PAGE_SIZE)} pages; the kernel held ${n(rss)} anonymous pages after fill (the helper's bookkeeping included); zswap-ts models ${n(plan.frames)} frames.`,
  ];
  if (reject !== undefined) {
    const ik = swapIns(kernel, REPLAY, REPLAY);
    const ir = swapIns(reject, REPLAY, REPLAY);
    const found = (run: SideRun) => plan.pages - swapIns(run, REREAD, REREAD);
    out.push(
      `Which pages go out: both sides take victims from two LRU lists of anonymous pages (inactive, active) by their accessed bits, 32 a pass; the kernel also balances the lists by scan priority, activates at once a page that comes back soon after it went out (workingset detection), batches charges per CPU and keeps pages it wrote back in its swap cache until reclaim takes them, which zswap-ts's driver does not. Swap-ins during replay: kernel ${n(ik)}, zswap-ts reject ${n(ir)} (${pct(ir - ik, ik)}); pages the reread found in memory: kernel ${n(found(kernel))}, zswap-ts reject ${n(found(reject))} of ${n(plan.pages)}.`,
    );
  }
  return out;
}

function device(kernel: SideRun, reject: SideRun | undefined): string[] {
  if (reject === undefined) return [];
  const wk = delta(kernel, "pswpout");
  const wr = delta(reject, "pswpout") + delta(reject, "zswpwb");
  if (wk === 0 && wr === 0) return [];
  return [
    `The device: the kernel submits its swap writes asynchronously and the block layer merges neighbouring pages; zswap-ts writes one page a call to its swap file, two writes in flight (${n(wk)} and ${n(wr)} pages written): the swap-out rates differ most where pages go to the device.`,
  ];
}

function wait(kernel: SideRun, runs: Partial<Record<KernelConfig, SideRun>>): string[] {
  const w = runs.wait;
  if (w === undefined) return [];
  const dk = declined(kernel, true);
  const dw = declined(w, false);
  const reads = [
    `kernel ${n(delta(kernel, "pswpin"))}`,
    ...Object.entries(runs).map(([c, r]) => `${c} ${n(delta(r, "pswpin"))}`),
  ].join(", ");
  const verdict =
    dk === 0
      ? "the kernel declined nothing, so there was no age inversion to end"
      : `it declined ${pct(dw, dk)} of what the kernel declined: ${dw <= dk / 10 ? "the age inversion ends" : "the age inversion does not end"}`;
  return [
    `zswap-ts wait: a store that finds the pool full waits for writeback (up to 1 s, then reject_reclaim_fail) instead of going to the device while older pages stay in the pool; ${verdict} (declined ${n(dw)}, written back ${n(delta(w, "zswpwb"))}). Pages read from the device: ${reads}.`,
  ];
}

/** The notes of a comparison, in the order the table's rows raise them. */
export function kernelNotes(
  plan: KernelPlan,
  kernel: KernelResult,
  runs: Partial<Record<KernelConfig, SideRun>>,
): string[] {
  return [
    alone(kernel),
    ...counting(kernel, runs.reject),
    ...writeback(plan, kernel, runs.reject),
    ...reclaim(plan, kernel, runs.reject),
    "The swap cache: a page the kernel reads back from the device keeps its slot and, reclaimed again unchanged, is dropped without a write; a page loaded from zswap loses its entry and is written again. zswap-ts's driver does the same.",
    ...device(kernel, runs.reject),
    ...wait(kernel, runs),
  ];
}
