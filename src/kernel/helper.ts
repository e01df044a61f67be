// The helper program (helper.c, shipped as source): compiled with the machine's cc at run time,
// started inside the memory cgroup, and driven one phase at a time over its stdin and stdout.

import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ZswapDataError, ZswapIOError } from "../errors.ts";
import type { Phase } from "../workload/phased.ts";
import { commandRun } from "./system.ts";

/** helper.c, beside this module in src/kernel/ and in dist/kernel/ (copied by the build). */
const HELPER_SOURCE = fileURLToPath(new URL("./helper.c", import.meta.url));

/** Compiles the helper into `bin`. */
export function helperBuild(bin: string): void {
  commandRun(["cc", "-O2", "-o", bin, HELPER_SOURCE]);
}

/** What the helper reports of one phase. */
export interface HelperPhase {
  seconds: number;
  /** Major faults of the helper: its swap-ins that found no page in the swap cache. */
  majorFaults: number;
}

export class Helper {
  readonly #lines: AsyncIterator<string>;
  #stderr = "";

  private constructor(readonly child: ChildProcess) {
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.#stderr += d;
    });
    this.#lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }

  /** Starts the helper; it moves itself into the cgroup whose cgroup.procs is `procs`. */
  static start(bin: string, procs: string, corpus: string, accesses: string, pages: number) {
    const child = spawn(bin, [procs, corpus, accesses, String(pages)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new Helper(child);
  }

  /** Runs one phase; an abort of `signal` kills the helper and rejects with the signal's reason. */
  async phase(phase: Phase, signal: AbortSignal | undefined): Promise<HelperPhase> {
    signal?.throwIfAborted();
    const kill = () => this.child.kill("SIGKILL");
    signal?.addEventListener("abort", kill, { once: true });
    try {
      this.child.stdin!.write(`${phase}\n`);
      const line = await this.#lines.next();
      signal?.throwIfAborted();
      const m = line.done ? null : /^(\w+) (\d+) (\d+) (\d+)$/.exec(line.value);
      if (m === null || m[1] !== phase) {
        await new Promise((resolve) => setImmediate(resolve)); // let its stderr arrive
        throw new ZswapIOError(
          `the helper stopped in ${phase}: ${this.#stderr.trim() || "no reason given"}`,
        );
      }
      if (m[3] !== "0") {
        throw new ZswapDataError(
          `${m[3]} pages came back from the kernel's swap with different bytes`,
        );
      }
      return { seconds: Number(m[2]) / 1e9, majorFaults: Number(m[4]) };
    } finally {
      signal?.removeEventListener("abort", kill);
    }
  }

  /** Ends the helper and waits for it. */
  async quit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin!.end("quit\n");
    await exited;
  }
}
