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
//
// Bounds: a page number is below TRACE_PAGE_LIMIT (a 64-bit address space), a trace touches at
// most RUN_PAGES_MAX distinct pages (what the model holds), a line is at most
// TRACE_LINE_CHARS_MAX characters. Anything else is a ZSWAP_E_INPUT error naming the file and line.

import fs from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { PAGE_SIZE, RUN_PAGES_MAX, TRACE_LINE_CHARS_MAX } from "../constants.ts";
import { ioErrorFrom, ZswapInputError } from "../errors.ts";
import type { Access } from "./patterns.ts";

export type TraceFormat = "lackey" | "text";
export const TRACE_FORMATS: readonly TraceFormat[] = ["lackey", "text"];

/** Pages of a 64-bit address space: a page number must be below this. */
const TRACE_PAGE_LIMIT = 2 ** 64 / PAGE_SIZE;
/** Bytes of one read of the trace file (1 MiB). */
const TRACE_CHUNK_BYTES = 1 << 20;

const LACKEY = /^ ?([ILSM]) +([0-9a-fA-F]{1,16}),(\d{1,9})$/;
const TEXT = /^([RW]) +(?:0x)?([0-9a-fA-F]+)$/;
const PAGE_HEX_DIGITS = Math.log2(PAGE_SIZE) / 4; // an address's hex digits below the page number

/** Where a line came from, for errors: `file:line`. */
interface LineAt {
  source: string;
  n: number;
}

function bad(at: LineAt, text: string, why: string): never {
  throw new ZswapInputError(`${at.source}:${at.n}: ${why}: ${JSON.stringify(text.slice(0, 80))}`);
}

/** The file's lines; a file-system failure is a ZswapIOError naming the file. */
export async function* traceLines(path: string): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  try {
    const stream = fs.createReadStream(path, { highWaterMark: TRACE_CHUNK_BYTES });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines = (rest + decoder.write(chunk)).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) yield line.endsWith("\r") ? line.slice(0, -1) : line;
      if (rest.length > TRACE_LINE_CHARS_MAX) yield rest; // too long: the parser says so
    }
  } catch (error) {
    throw ioErrorFrom(error, `cannot read trace ${path}`);
  }
  rest += decoder.end();
  if (rest !== "") yield rest;
}

/** One parsed line: the raw page it touches (and the next one, when it straddles), read or write. */
interface LineAccess {
  page: number;
  /** An access that crosses into the next page touches it too (a lackey `addr,size`). */
  straddles: boolean;
  write: boolean;
}

/** Parses one line: null for lines to skip, undefined for a line that is not of the format. */
function lineParse(format: TraceFormat, text: string): LineAccess | null | undefined {
  if (text.length > TRACE_LINE_CHARS_MAX) return undefined;
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
export async function traceFormatGuess(
  lines: AsyncIterable<string> | Iterable<string>,
  source: string,
): Promise<TraceFormat> {
  const at = { source, n: 0 };
  for await (const text of lines) {
    at.n++;
    const asText = lineParse("text", text);
    const asLackey = lineParse("lackey", text);
    if (asText) return "text";
    if (asLackey) return "lackey";
    if (asText === undefined && asLackey === undefined) {
      bad(at, text, "not a lackey or text trace line");
    }
  }
  throw new ZswapInputError(`trace ${source} holds no data accesses`);
}

/**
 * The accesses of a trace's lines, renumbered and merged as the header says. A bad line, a page
 * number outside a 64-bit address space, or more distinct pages than the model holds is an error
 * naming the line.
 */
export async function* traceParse(
  lines: AsyncIterable<string> | Iterable<string>,
  format: TraceFormat,
  source: string,
): AsyncGenerator<Access> {
  const ids = new Map<number, number>();
  let last = -1;
  let lastWrite = false;
  const at = { source, n: 0 };
  for await (const text of lines) {
    at.n++;
    const a = lineParse(format, text);
    if (a === null) continue;
    if (a === undefined) bad(at, text, `not a ${format} trace line`);
    const end = a.page + Number(a.straddles);
    if (end >= TRACE_PAGE_LIMIT) bad(at, text, "a page number beyond a 64-bit address space");
    for (let raw = a.page; raw <= end; raw++) {
      let id = ids.get(raw);
      if (id === undefined) {
        if (ids.size >= RUN_PAGES_MAX) bad(at, text, `more than ${RUN_PAGES_MAX} distinct pages`);
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

/** The trace file's accesses (see traceParse). */
export function traceAccesses(path: string, format: TraceFormat): AsyncGenerator<Access> {
  return traceParse(traceLines(path), format, path);
}

/** The format of a trace file, guessed from its first data line. */
export function traceFormat(path: string): Promise<TraceFormat> {
  return traceFormatGuess(traceLines(path), path);
}

/** One pass over a trace: its distinct pages and merged accesses. */
export async function traceScan(
  path: string,
  format: TraceFormat,
  signal?: AbortSignal,
): Promise<{ pages: number; accesses: number }> {
  let pages = 0;
  let accesses = 0;
  for await (const a of traceAccesses(path, format)) {
    accesses++;
    if (a.page >= pages) pages = a.page + 1;
    signal?.throwIfAborted();
  }
  if (accesses === 0) throw new ZswapInputError(`trace ${path} holds no data accesses`);
  return { pages, accesses };
}
