#!/usr/bin/env node
// The `zswap` command: dispatches to a subcommand; errors print their code and exit non-zero.

import { ZswapError } from "../errors.ts";
import { CAPTURE_USAGE, captureCommand } from "./capture.ts";
import { RUN_USAGE, runCommand } from "./run.ts";

const USAGE = `usage: zswap <command> [options]

${RUN_USAGE}

${CAPTURE_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return runCommand(rest);
    case "capture":
      return captureCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`zswap: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ZswapError) console.error(`zswap: ${err.message}`);
    else if (
      err instanceof Error &&
      "code" in err &&
      String(err.code).startsWith("ERR_PARSE_ARGS")
    ) {
      console.error(`zswap: ${err.message}`);
    } else console.error(err);
    process.exitCode = err instanceof ZswapError ? 1 : 2;
  },
);
