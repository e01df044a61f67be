// Page traces of real programs, streamed (they are large), reduced to page accesses.
//
// Formats:
//   lackey  `valgrind --tool=lackey --trace-mem=yes` output: ` L addr,size`, ` S ...`, ` M ...`
//           (data loads, stores, modifies) and `I  addr,size` (instruction fetches, skipped:
//           code pages are file-backed, not swapped); `==pid==` and `--pid--` lines are
//           valgrind's own.
//   text    one `R <page>` or `W <page>` per line, the page number in hex; `#` starts a comment.
// Page numbers are renumbered 0, 1, 2... in order of first access, and back-to-back accesses to
// one page are merged (a resident page's second touch costs nothing to swap).

import fs from "node:fs";
import readline from "node:readline";
import { PAGE_SIZE } from "../constants.ts";
import { ZswapArgumentError } from "../errors.ts";
import type { Access } from "./patterns.ts";

export type TraceFormat = "lackey" | "text";

const LACKEY = /^ ?([ILSM]) +([0-9a-fA-F]+),(\d+)$/;
const TEXT = /^([RW]) +(?:0x)?([0-9a-fA-F]+)$/;
const PAGE_HEX_DIGITS = Math.log2(PAGE_SIZE) / 4; // an address's hex digits below the page number

function bad(path: string, line: number, text: string, why: string): never {
  throw new ZswapArgumentError(
    "ZSWAP_E_OPTION",
    `${path}:${line}: ${why}: ${JSON.stringify(text.slice(0, 80))}`,
  );
}

async function* lines(path: string): AsyncGenerator<string> {
  let stream: fs.ReadStream;
  try {
    fs.accessSync(path, fs.constants.R_OK);
    stream = fs.createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 });
  } catch (err) {
    throw new ZswapArgumentError(
      "ZSWAP_E_OPTION",
      `cannot read trace ${path}: ${(err as Error).message}`,
    );
  }
  yield* readline.createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
}

/** One parsed line: the raw page it touches (and the next one, when it straddles), read or write. */
interface LineAccess {
  page: number;
  /** An access that crosses into the next page touches it too (a lackey `addr,size`). */
  straddles: boolean;
  write: boolean;
}

/** Parses one line: null for lines to skip, undefined for a line that is not of the format. */
function parseLine(format: TraceFormat, text: string): LineAccess | null | undefined {
  if (format === "lackey") {
    // valgrind's own lines: `==pid== message`, and `--pid-- warning` for its warnings.
    if (text.startsWith("==") || /^--\d+--/.test(text) || text === "") return null;
    const m = LACKEY.exec(text);
    if (m === null) return undefined;
    if (m[1] === "I") return null;
    const hex = m[2].length > PAGE_HEX_DIGITS ? m[2].slice(0, -PAGE_HEX_DIGITS) : "0";
    const within = Number.parseInt(m[2].slice(-PAGE_HEX_DIGITS), 16);
    return {
      page: Number.parseInt(hex, 16),
      straddles: within + Number(m[3]) > PAGE_SIZE,
      write: m[1] !== "L",
    };
  }
  const t = text.replace(/#.*/, "").trim();
  if (t === "") return null;
  const m = TEXT.exec(t);
  if (m === null) return undefined;
  return { page: Number.parseInt(m[2], 16), straddles: false, write: m[1] === "W" };
}

/** Guesses the format from the first lines that are not blank, comments or valgrind's own. */
export async function traceFormat(path: string): Promise<TraceFormat> {
  let n = 0;
  for await (const text of lines(path)) {
    n++;
    const asText = parseLine("text", text);
    const asLackey = parseLine("lackey", text);
    if (asText) return "text";
    if (asLackey) return "lackey";
    if (asText === undefined && asLackey === undefined) {
      bad(path, n, text, "not a lackey or text trace line");
    }
  }
  throw new ZswapArgumentError("ZSWAP_E_OPTION", `trace ${path} holds no data accesses`);
}

/** The trace's accesses, renumbered and merged as the header says. A bad line is an error. */
export async function* traceAccesses(path: string, format: TraceFormat): AsyncGenerator<Access> {
  const ids = new Map<number, number>();
  let last = -1;
  let lastWrite = false;
  let n = 0;
  for await (const text of lines(path)) {
    n++;
    const a = parseLine(format, text);
    if (a === null) continue;
    if (a === undefined) bad(path, n, text, `not a ${format} trace line`);
    for (let raw = a.page; raw <= a.page + Number(a.straddles); raw++) {
      let id = ids.get(raw);
      if (id === undefined) {
        id = ids.size;
        ids.set(raw, id);
      }
      if (id === last) {
        lastWrite ||= a.write;
        continue;
      }
      if (last >= 0) yield { page: last, write: lastWrite };
      last = id;
      lastWrite = a.write;
    }
  }
  if (last >= 0) yield { page: last, write: lastWrite };
}

/** One pass over a trace: its distinct pages and merged accesses. */
export async function traceScan(
  path: string,
  format: TraceFormat,
): Promise<{ pages: number; accesses: number }> {
  let pages = 0;
  let accesses = 0;
  for await (const a of traceAccesses(path, format)) {
    accesses++;
    if (a.page >= pages) pages = a.page + 1;
  }
  if (accesses === 0)
    throw new ZswapArgumentError("ZSWAP_E_OPTION", `trace ${path} holds no data accesses`);
  return { pages, accesses };
}
