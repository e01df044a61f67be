// `zswap capture`: write a live process's anonymous pages to a new page corpus.

import { PAGE_SIZE } from "../constants.ts";
import { ZswapOptionError } from "../errors.ts";
import { fileNewCheck } from "../file-new.ts";
import { capturePages } from "../workload/capture.ts";
import { corpusWrite } from "../workload/corpus.ts";
import { flagsParse } from "./flags.ts";
import { sizeParse } from "./units.ts";

export const CAPTURE_USAGE = `zswap capture --pid PID|self --out FILE [--max SIZE]
  Reads a process's writable anonymous memory (heap, stack, anonymous mappings) through
  /proc/PID/maps and /proc/PID/mem and writes it as 4096-byte pages back to back to FILE, a new
  file (never over an existing one) of mode 0600, written whole or not at all.
  --max SIZE   at most this much (default 256MiB)`;

/** The most `capture` reads, whatever --max says (the pages are held in memory before writing). */
const CAPTURE_BYTES_MAX = 4 * 1024 ** 3;

export async function captureCommand(
  argv: string[],
  signal: AbortSignal,
  print: (text: string) => void,
): Promise<number> {
  const f = flagsParse(argv, {
    pid: { type: "string" },
    out: { type: "string" },
    max: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (f.help) {
    print(CAPTURE_USAGE);
    return 0;
  }
  if (f.pid === undefined || f.out === undefined || f.out === "") {
    throw new ZswapOptionError("capture needs --pid PID|self and --out FILE");
  }
  const pid = f.pid === "self" ? "self" : Number(f.pid);
  if (pid !== "self" && !(/^\d+$/.test(f.pid) && Number.isSafeInteger(pid) && pid > 0)) {
    throw new ZswapOptionError(`--pid must be a process id or self, got ${JSON.stringify(f.pid)}`);
  }
  const max = sizeParse("max", f.max ?? "256MiB", false);
  const bytes = "bytes" in max ? max.bytes : 0;
  if (bytes < PAGE_SIZE || bytes > CAPTURE_BYTES_MAX) {
    throw new ZswapOptionError(`--max must be 4KiB..4GiB, got ${JSON.stringify(f.max)}`);
  }
  await fileNewCheck(f.out, "--out");
  const pages = capturePages(pid, Math.floor(bytes / PAGE_SIZE));
  signal.throwIfAborted();
  await corpusWrite(f.out, pages, signal);
  const zero = pages.filter((p) => p.every((b) => b === 0)).length;
  print(`wrote ${pages.length} pages (${zero} zero-filled) of process ${f.pid} to ${f.out}`);
  return 0;
}
