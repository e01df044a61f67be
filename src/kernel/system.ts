// The changes `zswap kernel` makes to the machine (zswap's parameters, a swap file, a memory
// cgroup, a debugfs mount, the process it runs), each printed as the command it amounts to, and
// each undone, newest first, however the command ends:
//   1. every change is recorded with its undo the moment it is made, before anything can fail;
//   2. undo is synchronous, so that it also runs from process.on("exit"): after an error, after
//      a second Ctrl-C (which exits at once), after an uncaught exception;
//   3. an undo step that fails is reported and the others still run.
// Only a SIGKILL of the command itself escapes this; its helper dies with it (PDEATHSIG), and
// the printed commands say what to undo by hand.

import { type ChildProcess, execFileSync } from "node:child_process";
import fs from "node:fs";
import { KERNEL_UNDO_WAIT_MS_MAX } from "../constants.ts";
import { ZswapIOError } from "../errors.ts";

/** How often an undo step that found its cgroup busy tries again, in ms. */
const UNDO_POLL_MS = 20;

/** Blocks the thread for `ms` (undo runs where nothing may be awaited). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` until it stops throwing EBUSY, for at most KERNEL_UNDO_WAIT_MS_MAX. */
function retryBusy(fn: () => void): void {
  for (let waited = 0; ; waited += UNDO_POLL_MS) {
    try {
      fn();
      return;
    } catch (error) {
      const busy = (error as { code?: string }).code === "EBUSY";
      if (!busy || waited >= KERNEL_UNDO_WAIT_MS_MAX) throw error;
      sleepSync(UNDO_POLL_MS);
    }
  }
}

/** Runs a system command; its stderr becomes the error's message. */
export function commandRun(argv: readonly string[]): void {
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    const why = stderr || (error instanceof Error ? error.message : String(error));
    throw new ZswapIOError(`${argv.join(" ")}: ${why}`);
  }
}

export function fileRead(path: string): string {
  return fs.readFileSync(path, "utf8").trim();
}

interface Undo {
  command: string;
  run: () => void;
  /** False when there is nothing left to undo (a process that ended by itself). */
  needed?: () => boolean;
}

export class MachineChanges {
  readonly #undo: Undo[] = [];
  readonly #exitHook = () => this.undoAll();
  /** Every command run, setup and undo, in order. */
  readonly commands: string[] = [];
  /** Undo steps that failed, with why: what may be left on the machine. */
  readonly undoFailures: string[] = [];

  constructor(private readonly log: (line: string) => void) {
    process.on("exit", this.#exitHook);
  }

  /** Records a command that was run, printing it. */
  ran(command: string): void {
    this.commands.push(command);
    this.log(`+ ${command}`);
  }

  #did(command: string, undo: Undo): void {
    this.ran(command);
    this.#undo.push(undo);
  }

  /** Writes a kernel tunable (sysfs, procfs); it is put back as it was. */
  tunableSet(path: string, value: string): void {
    const old = fileRead(path);
    if (old === value) return;
    try {
      fs.writeFileSync(path, value);
    } catch (error) {
      throw new ZswapIOError(`echo ${value} > ${path}: ${(error as Error).message}`);
    }
    this.#did(`echo ${value} > ${path}`, {
      command: `echo ${old} > ${path}`,
      run: () => fs.writeFileSync(path, old),
    });
  }

  /** Runs a command whose effect `undo` (another command) reverses. */
  commandDo(argv: readonly string[], undo: readonly string[]): void {
    commandRun(argv);
    this.#did(argv.join(" "), { command: undo.join(" "), run: () => commandRun(undo) });
  }

  /** Makes a folder (a cgroup) that is removed again, once whatever is in it has left. */
  folderMake(path: string): void {
    fs.mkdirSync(path);
    this.#did(`mkdir ${path}`, {
      command: `rmdir ${path}`,
      run: () => retryBusy(() => fs.rmdirSync(path)),
    });
  }

  /** A new temporary folder under `parent`, removed with all it holds on undo. */
  folderTemporary(parent: string, prefix: string): string {
    const path = fs.mkdtempSync(`${parent}/${prefix}`);
    this.#did(`mkdir ${path}`, {
      command: `rm -rf ${path}`,
      run: () => fs.rmSync(path, { recursive: true, force: true }),
    });
    return path;
  }

  /** A process that is killed on undo, if it has not ended by then. */
  processStarted(child: ChildProcess, what: string): void {
    this.#did(`${what} &`, {
      command: `kill -9 ${child.pid}`,
      run: () => child.kill("SIGKILL"),
      needed: () => child.exitCode === null && child.signalCode === null,
    });
  }

  /** Undoes every change, newest first; failures are printed and kept in undoFailures. */
  undoAll(): void {
    process.off("exit", this.#exitHook);
    for (let u = this.#undo.pop(); u !== undefined; u = this.#undo.pop()) {
      if (u.needed?.() === false) continue;
      this.ran(u.command);
      try {
        u.run();
      } catch (error) {
        const why = `${u.command}: ${error instanceof Error ? error.message : String(error)}`;
        this.undoFailures.push(why);
        this.log(`  failed: ${why}`);
      }
    }
  }
}
