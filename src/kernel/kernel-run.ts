// The kernel's side of `zswap kernel`: the machine set up (zswap's parameters, a swap file, a
// memory cgroup), the helper run through the phases inside the cgroup, the kernel's counters
// read before and after each phase, and the machine put back as it was.

import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KERNEL_SETTLE_MS_MAX, PAGE_SIZE } from "../constants.ts";
import { ZswapIOError } from "../errors.ts";
import { corpusWrite } from "../workload/corpus.ts";
import { PHASES, type Phase } from "../workload/phased.ts";
import { Helper } from "./helper.ts";
import {
  DEBUGFS,
  kernelCounters,
  MEMCG_V1,
  memTotalBytes,
  PAGE_CLUSTER,
  ZSWAP_PARAMETERS,
} from "./machine.ts";
import { commandRun, fileRead, type MachineChanges } from "./system.ts";

export interface KernelSpec {
  pages: number;
  corpus: readonly Uint8Array[];
  accesses: Uint32Array;
  /** The memory cgroup's limit. */
  limitBytes: number;
  /** zswap's max_pool_percent, accept_threshold_percent, shrinker_enabled, compressor. */
  poolPercent: number;
  acceptThresholdPercent: number;
  shrinker: boolean;
  compressor: string;
  /** The folder of the helper's files and of the swap file. */
  work: string;
  /** The compiled helper. */
  helper: string;
  /** Called as each phase ends. */
  onPhase?: (phase: Phase, seconds: number) => void;
}

export interface KernelPhase {
  phase: Phase;
  /** The phase's own time, and the time its writes then took to settle. */
  seconds: number;
  majorFaults: number;
  after: Record<string, number>;
}

export interface KernelResult {
  before: Record<string, number>;
  phases: KernelPhase[];
}

/** How often the settling of the kernel's writes is looked at, in ms. */
const SETTLE_POLL_MS = 5;

/** The swap file: room for every page twice, so that swap is never half full (vm_swap_full). */
function swapBytes(pages: number): number {
  return 2 * pages * PAGE_SIZE;
}

/** zswap as asked, swap readahead off, debugfs mounted, a swap file on, a cgroup made. */
function machineSetUp(spec: KernelSpec, m: MachineChanges, cgroup: string): void {
  if (!fileRead("/proc/mounts").includes(` ${DEBUGFS} debugfs `)) {
    m.commandDo(["mount", "-t", "debugfs", "none", DEBUGFS], ["umount", DEBUGFS]);
  }
  const p = (name: string, value: string) => m.tunableSet(`${ZSWAP_PARAMETERS}/${name}`, value);
  p("compressor", spec.compressor);
  p("max_pool_percent", String(spec.poolPercent));
  p("accept_threshold_percent", String(spec.acceptThresholdPercent));
  p("shrinker_enabled", spec.shrinker ? "Y" : "N");
  p("enabled", "Y");
  // zswap-ts reads no neighbours on a swap-in: neither does the kernel, with page-cluster 0.
  m.tunableSet(PAGE_CLUSTER, "0");
  const file = path.join(spec.work, "swapfile");
  m.commandDo(["fallocate", "-l", String(swapBytes(spec.pages)), file], ["rm", "-f", file]);
  fs.chmodSync(file, 0o600);
  commandRun(["mkswap", file]);
  m.ran(`mkswap ${file}`);
  m.commandDo(["swapon", file], ["swapoff", file]);
  m.folderMake(cgroup);
  cgroupWrite(m, cgroup, "memory.limit_in_bytes", String(spec.limitBytes));
}

/** Writes one of our own cgroup's files: nothing to undo, the cgroup goes as a whole. */
function cgroupWrite(m: MachineChanges, cgroup: string, name: string, value: string): void {
  m.ran(`echo ${value} > ${cgroup}/${name}`);
  fs.writeFileSync(`${cgroup}/${name}`, value);
}

/** The helper's failure, or the OOM killer's when the cgroup's memory ran out. */
function helperFailure(cgroup: string, error: unknown): unknown {
  const kills = /^oom_kill (\d+)$/m.exec(fileRead(`${cgroup}/memory.oom_control`));
  if (kills === null || kills[1] === "0") return error;
  return new ZswapIOError(
    "the kernel's OOM killer ended the helper: the cgroup's memory ran out (memory.oom_control); give a larger --limit",
  );
}

/** Waits until none of the cgroup's pages is under writeback. */
async function writesSettle(cgroup: string, signal: AbortSignal | undefined): Promise<void> {
  for (let waited = 0; ; waited += SETTLE_POLL_MS) {
    if (kernelCounters(cgroup)["memcg.writeback"] === 0) return;
    if (waited > KERNEL_SETTLE_MS_MAX) {
      throw new ZswapIOError(
        `the kernel's swap writes did not settle in ${KERNEL_SETTLE_MS_MAX} ms`,
      );
    }
    await sleep(SETTLE_POLL_MS);
    signal?.throwIfAborted();
  }
}

/**
 * Runs the helper through the phases on a machine set up as `spec` asks; `m` records every
 * change, for the caller to undo. An abort of `signal` kills the helper.
 */
export async function kernelRun(
  spec: KernelSpec,
  m: MachineChanges,
  signal?: AbortSignal,
): Promise<KernelResult> {
  const corpus = path.join(spec.work, "corpus");
  const accesses = path.join(spec.work, "accesses");
  await corpusWrite(corpus, spec.corpus, signal);
  fs.writeFileSync(accesses, spec.accesses, { mode: 0o600 });
  const cgroup = path.join(MEMCG_V1, `zswap-kernel-${process.pid}`);
  machineSetUp(spec, m, cgroup);
  const helper = Helper.start(spec.helper, `${cgroup}/cgroup.procs`, corpus, accesses, spec.pages);
  m.processStarted(helper.child, `${spec.helper} ${cgroup}/cgroup.procs ... ${spec.pages}`);
  const result: KernelResult = { before: kernelCounters(cgroup), phases: [] };
  for (const phase of PHASES) {
    const h = await helper.phase(phase, signal).catch((error: unknown) => {
      throw helperFailure(cgroup, error);
    });
    const t1 = performance.now();
    await writesSettle(cgroup, signal);
    const seconds = h.seconds + (performance.now() - t1) / 1000;
    // MADV_PAGEOUT leaves pages written to disk in the swap cache, unmapped; zswap-ts keeps
    // nothing of them in memory: reclaim the cgroup, which drops those clean copies.
    if (phase === "pageout") cgroupWrite(m, cgroup, "memory.force_empty", "0");
    result.phases.push({
      phase,
      seconds,
      majorFaults: h.majorFaults,
      after: kernelCounters(cgroup),
    });
    spec.onPhase?.(phase, seconds);
  }
  await helper.quit();
  return result;
}

/** zswap's pool bound for `percent` of this machine's memory, in bytes (zswap_max_pages). */
export function kernelPoolBytes(percent: number): number {
  return Math.floor(((memTotalBytes() / PAGE_SIZE) * percent) / 100) * PAGE_SIZE;
}
