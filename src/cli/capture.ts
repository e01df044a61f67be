// `zswap capture`: write a live process's anonymous pages to a page corpus.

import { parseArgs } from "node:util";
import { PAGE_SIZE } from "../constants.ts";
import { ZswapArgumentError } from "../errors.ts";
import { capturePages } from "../workload/capture.ts";
import { corpusWrite } from "../workload/corpus.ts";
import { sizeParse } from "./units.ts";

export const CAPTURE_USAGE = `zswap capture --pid PID|self --out FILE [--max SIZE]
  Reads a process's writable anonymous memory (heap, stack, anonymous mappings) through
  /proc/PID/maps and /proc/PID/mem and writes it as 4096-byte pages back to back.
  --max SIZE   at most this much (default 256MiB)`;

export function captureCommand(argv: string[]): number {
  const { values: f } = parseArgs({
    args: argv,
    strict: true,
    options: {
      pid: { type: "string" },
      out: { type: "string" },
      max: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (f.help) {
    console.log(CAPTURE_USAGE);
    return 0;
  }
  if (f.pid === undefined || f.out === undefined) {
    throw new ZswapArgumentError("ZSWAP_E_OPTION", "capture needs --pid PID|self and --out FILE");
  }
  const pid = f.pid === "self" ? "self" : Number(f.pid);
  if (pid !== "self" && !(Number.isInteger(pid) && pid > 0)) {
    throw new ZswapArgumentError(
      "ZSWAP_E_OPTION",
      `--pid must be a process id or self, got ${f.pid}`,
    );
  }
  const pages = capturePages(pid, Math.floor(sizeParse("max", f.max ?? "256MiB") / PAGE_SIZE));
  corpusWrite(f.out, pages);
  const zero = pages.filter((p) => p.every((b) => b === 0)).length;
  console.log(`wrote ${pages.length} pages (${zero} zero-filled) of process ${f.pid} to ${f.out}`);
  return 0;
}
