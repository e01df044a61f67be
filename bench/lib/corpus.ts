// The pages every section runs on: realistic by default (this process's own anonymous memory
// plus the generator's stated mix), or a user's corpus file (4096-byte pages back to back).
//
// Zero-filled pages are set aside: the swap layer keeps them as a bit and never hands them to
// zswap, its pool or a codec, so counting them would flatter every figure. The report says how
// many there were; the per-call cost of a zero page is measured on its own (compress section).

import fs from "node:fs";
import { PAGE_SIZE } from "../../src/constants.ts";
import { capturePages } from "../../src/workload/capture.ts";
import { GENERATED_MIX, generatePages } from "../../src/workload/generate.ts";

/** Most pages read from this process's memory before sampling (256 MiB, transient). */
const CAPTURE_PAGES_MAX = 65_536;

export interface Corpus {
  /** The non-zero pages, captured ones first. */
  readonly pages: readonly Uint8Array[];
  /** Zero-filled pages found and set aside. */
  readonly zeroPages: number;
  /** How many of `pages`, from the first, were captured from a process (0 for a file). */
  readonly capturedPages: number;
  /** One sentence saying where the pages came from. */
  readonly describe: string;
}

const ZERO = Buffer.alloc(PAGE_SIZE);

export function isZeroPage(page: Uint8Array): boolean {
  return ZERO.equals(page);
}

/** `want` items spread evenly over `items` (all of them when there are not more). */
function spread<T>(items: readonly T[], want: number): T[] {
  if (items.length <= want) return [...items];
  return Array.from({ length: want }, (_, i) => items[Math.floor((i * items.length) / want)]);
}

function fileRead(path: string, pagesMax: number): Uint8Array[] {
  const size = fs.statSync(path).size;
  if (size === 0 || size % PAGE_SIZE !== 0) {
    throw new Error(`--pages-from ${path}: ${size} bytes is not a whole number of 4096-byte pages`);
  }
  const count = Math.min(size / PAGE_SIZE, pagesMax);
  const fd = fs.openSync(path, "r");
  try {
    return Array.from({ length: count }, (_, i) => {
      const page = new Uint8Array(PAGE_SIZE);
      fs.readSync(fd, page, 0, PAGE_SIZE, i * PAGE_SIZE);
      return page;
    });
  } finally {
    fs.closeSync(fd);
  }
}

function mixDescribe(): string {
  return Object.entries(GENERATED_MIX)
    .map(([kind, share]) => `${kind} ${share}%`)
    .join(", ");
}

/**
 * The default corpus: up to `pages / 2` non-zero pages of this process's memory, sampled evenly
 * over its address space, then `pages / 2` generated pages (GENERATED_MIX, `seed`), zeros out.
 * Capture first: generated pages would otherwise be captured too.
 */
export function corpusBuild(pages: number, seed: number, pagesFrom?: string): Corpus {
  if (pagesFrom !== undefined) {
    const all = fileRead(pagesFrom, pages);
    const kept = all.filter((p) => !isZeroPage(p));
    return {
      pages: kept,
      zeroPages: all.length - kept.length,
      capturedPages: 0,
      describe: `${all.length} pages of ${pagesFrom} (--pages-from); ${all.length - kept.length} zero pages set aside, ${kept.length} used`,
    };
  }
  const half = Math.max(1, Math.floor(pages / 2));
  let captured: Uint8Array[] = [];
  let capturedTotal = 0;
  let capturedZero = 0;
  let captureNote = "";
  try {
    const all = capturePages("self", CAPTURE_PAGES_MAX);
    const nonZero = all.filter((p) => !isZeroPage(p));
    capturedTotal = all.length;
    capturedZero = all.length - nonZero.length;
    captured = spread(nonZero, half);
  } catch (err) {
    captureNote = ` (capture failed: ${(err as Error).message})`;
  }
  const generated = generatePages(half, seed);
  const generatedKept = generated.filter((p) => !isZeroPage(p));
  const zeroGenerated = generated.length - generatedKept.length;
  const describe =
    `${captured.length} pages of this process's own anonymous memory${captureNote} ` +
    `(capturePages("self"): ${capturedTotal} pages read, ${capturedZero} of them zero and set ` +
    `aside, the rest sampled evenly over the address space) + ${generatedKept.length} generated ` +
    `pages (generatePages(${half}, ${seed}), GENERATED_MIX ${mixDescribe()}; its ` +
    `${zeroGenerated} zero pages set aside)`;
  return {
    pages: [...captured, ...generatedKept],
    zeroPages: capturedZero + zeroGenerated,
    capturedPages: captured.length,
    describe,
  };
}
