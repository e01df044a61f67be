// What `zswap kernel` needs of the machine, where it finds it, and what it reads there: zswap's
// parameters, its debugfs counters, /proc/vmstat, and a memory cgroup's memory.stat.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { ZswapMachineError } from "../errors.ts";
import { fileRead } from "./system.ts";

export const ZSWAP_PARAMETERS = "/sys/module/zswap/parameters";
export const DEBUGFS = "/sys/kernel/debug";
export const DEBUGFS_ZSWAP = `${DEBUGFS}/zswap`;
/** cgroup v1's memory controller: limit_in_bytes, force_empty, and swap in memory.stat. */
export const MEMCG_V1 = "/sys/fs/cgroup/memory";
export const PAGE_CLUSTER = "/proc/sys/vm/page-cluster";

/** The tools the command runs, and the Debian package of each. */
const TOOLS = {
  cc: "gcc",
  fallocate: "util-linux",
  mkswap: "util-linux",
  swapon: "mount",
  swapoff: "mount",
  mount: "mount",
  umount: "mount",
} as const;

function toolFound(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0;
}

/** Swap areas on now (/proc/swaps without its header). */
export function swapsOn(): string[] {
  return fs.readFileSync("/proc/swaps", "utf8").trim().split("\n").slice(1);
}

/** zswap's module parameters, by name. */
export function zswapParameters(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(ZSWAP_PARAMETERS).sort()) {
    out[name] = fileRead(`${ZSWAP_PARAMETERS}/${name}`);
  }
  return out;
}

/**
 * Why this machine cannot run the comparison, one reason each; empty when it can. Reads only:
 * nothing is changed.
 */
export function machineRefusals(): string[] {
  if (process.platform !== "linux") return [`it runs on Linux, not ${process.platform}`];
  const no: string[] = [];
  if (process.getuid?.() !== 0) no.push("it changes swap, zswap and cgroups: run it as root");
  if (!fs.existsSync(`${ZSWAP_PARAMETERS}/enabled`)) no.push("this kernel has no zswap");
  if (!fs.existsSync(`${MEMCG_V1}/memory.limit_in_bytes`)) {
    no.push(`it needs cgroup v1's memory controller mounted at ${MEMCG_V1}`);
  }
  if (!fs.existsSync(DEBUGFS)) no.push(`${DEBUGFS} is missing: no debugfs for zswap's counters`);
  const swaps = swapsOn();
  if (swaps.length > 0) {
    no.push(
      `swap is on already (${swaps.map((s) => s.split(/\s+/)[0]).join(", ")}): the comparison needs its own swap file to be the only one`,
    );
  }
  const missing = Object.entries(TOOLS).filter(([tool]) => !toolFound(tool));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))].join(" ");
    no.push(`${missing.map(([t]) => t).join(", ")} missing (Debian: apt-get install -y ${pkgs})`);
  }
  return no;
}

/** Bytes of memory the kernel manages (MemTotal: totalram_pages, which max_pool_percent is of). */
export function memTotalBytes(): number {
  const m = /^MemTotal:\s+(\d+) kB$/m.exec(fs.readFileSync("/proc/meminfo", "utf8"));
  if (m === null) throw new ZswapMachineError("/proc/meminfo has no MemTotal line");
  return Number(m[1]) * 1024;
}

/** The vmstat lines compared: the swap layer's and zswap's event counters. */
const VMSTAT_NAMES = new Set([
  "zswpin",
  "zswpout",
  "zswpwb",
  "pswpin",
  "pswpout",
  "swpin_zero",
  "swpout_zero",
]);
/** memory.stat lines kept, as memcg.NAME: what the cgroup holds, in bytes. */
const MEMCG_NAMES = new Set(["rss", "swap", "swapcached", "writeback"]);

function keyValues(text: string, keep: (name: string) => boolean, prefix = ""): [string, number][] {
  const out: [string, number][] = [];
  for (const line of text.split("\n")) {
    const [name, value] = line.split(" ");
    if (value !== undefined && keep(name)) out.push([prefix + name, Number(value)]);
  }
  return out;
}

/** The kernel's counters now: vmstat's, zswap's debugfs files, and the cgroup's memory.stat. */
export function kernelCounters(cgroup: string): Record<string, number> {
  const out: Record<string, number> = {};
  const vmstat = fs.readFileSync("/proc/vmstat", "utf8");
  for (const [k, v] of keyValues(vmstat, (n) => VMSTAT_NAMES.has(n))) out[k] = v;
  for (const name of fs.readdirSync(DEBUGFS_ZSWAP)) {
    out[name] = Number(fileRead(`${DEBUGFS_ZSWAP}/${name}`));
  }
  const stat = fs.readFileSync(`${cgroup}/memory.stat`, "utf8");
  for (const [k, v] of keyValues(stat, (n) => MEMCG_NAMES.has(n), "memcg.")) out[k] = v;
  return out;
}
