#!/usr/bin/env node
// The `zswap` command: dispatches to a subcommand. Exit codes: 0 done, 1 a failure at run time,
// 2 a usage error (an unknown flag, a bad value, a bad input file), 128 + n after signal n.
// Output that nobody reads any more (EPIPE, as from `| head`) ends quietly.

import { ZswapArgumentError, ZswapError } from "../errors.ts";
import { CAPTURE_USAGE, captureCommand } from "./capture.ts";
import { DICT_USAGE, dictCommand } from "./dict.ts";
import { KERNEL_USAGE, kernelCommand } from "./kernel.ts";
import { RUN_USAGE, runCommand } from "./run.ts";
import { Interrupted, signalsAbort } from "./signals.ts";
import { packageVersion } from "./version.ts";

const USAGE = `usage: zswap <command> [options]
       zswap --version

${RUN_USAGE}

${CAPTURE_USAGE}

${KERNEL_USAGE}

${DICT_USAGE}`;

let stdoutOpen = true;
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  stdoutOpen = false;
  if (error.code === "EPIPE") return;
  console.error(`zswap: cannot write the output: ${error.message}`);
  process.exitCode = 1;
});
const print = (text: string): void => {
  if (stdoutOpen) process.stdout.write(`${text}\n`);
};

async function main(argv: string[], signal: AbortSignal): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return runCommand(rest, signal, print);
    case "capture":
      return captureCommand(rest, signal, print);
    case "kernel":
      return kernelCommand(rest, signal, print);
    case "dict":
      return dictCommand(rest, signal, print);
    case "--version":
    case "-V":
      print(`zswap-ts ${packageVersion()}`);
      return 0;
    case "help":
    case "--help":
    case "-h":
      print(USAGE);
      return 0;
    case undefined:
      console.error(USAGE);
      return 2;
    default:
      console.error(`zswap: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof Interrupted) return Interrupted.exitCode(error.signal);
  if (error instanceof ZswapArgumentError) return 2;
  return 1;
}

main(process.argv.slice(2), signalsAbort()).then(
  (code) => {
    process.exitCode = stdoutOpen || process.exitCode !== 1 ? code : 1;
  },
  (error: unknown) => {
    if (error instanceof ZswapError) console.error(`zswap: ${error.message}`);
    else if (!(error instanceof Interrupted)) console.error(error); // a bug: its stack helps
    process.exitCode = exitCodeOf(error);
  },
);
