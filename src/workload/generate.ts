// Synthetic pages for machines where a process's memory cannot be read. The mix is stated so a
// report can say what it ran on; the proportions follow what real heaps hold (about 12% zero
// pages and 7% that do not compress).

import { PAGE_SIZE } from "../constants.ts";
import { Random } from "../random.ts";

export const PAGE_KINDS = ["zero", "text", "pointers", "numeric", "random"] as const;
export type PageKind = (typeof PAGE_KINDS)[number];

/** Share of each kind in a generated corpus, in percent (sums to 100). */
export const GENERATED_MIX: Readonly<Record<PageKind, number>> = {
  zero: 12,
  text: 28,
  pointers: 30,
  numeric: 23,
  random: 7,
};

const WORDS =
  "the of and to in is for that on with as by at from page swap memory cache pool entry slot " +
  "write back compress store load free function return const value object string number";

function fillText(rng: Random, page: Uint8Array): void {
  const words = WORDS.split(" ");
  let i = 0;
  while (i < PAGE_SIZE) {
    const w = words[rng.below(words.length)];
    for (let j = 0; j < w.length && i < PAGE_SIZE; j++) page[i++] = w.charCodeAt(j);
    if (i < PAGE_SIZE) page[i++] = rng.chance(0.1) ? 10 : 32;
  }
}

/** 64-bit little-endian pointers into a few regions, with small tags and lengths between. */
function fillPointers(rng: Random, page: Uint8Array): void {
  const view = new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
  const base = 0x7f00_0000 + rng.below(16) * 0x10_0000;
  for (let off = 0; off < PAGE_SIZE; off += 8) {
    if (rng.chance(0.6)) {
      view.setUint32(off, (base + rng.below(1 << 16) * 8) >>> 0, true);
      view.setUint32(off + 4, 0x5555, true);
    } else {
      view.setUint32(off, rng.below(256), true);
      view.setUint32(off + 4, 0, true);
    }
  }
}

/** float64 samples of a slowly varying signal: little redundancy at byte level, some at word level. */
function fillNumeric(rng: Random, page: Uint8Array): void {
  const view = new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
  let v = rng.next() * 100;
  for (let off = 0; off < PAGE_SIZE; off += 8) {
    v += rng.chance(0.5) ? 0.25 : -0.25;
    view.setFloat64(off, Math.round(v * 4) / 4, true);
  }
}

function fillRandom(rng: Random, page: Uint8Array): void {
  const view = new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
  for (let off = 0; off < PAGE_SIZE; off += 4) view.setUint32(off, rng.u32(), true);
}

const FILL: Record<Exclude<PageKind, "zero">, (rng: Random, page: Uint8Array) => void> = {
  text: fillText,
  pointers: fillPointers,
  numeric: fillNumeric,
  random: fillRandom,
};

/** Writes a page of `kind`, determined by `seed` alone, into `page`. */
export function generatePage(kind: PageKind, seed: number, page: Uint8Array): void {
  if (kind === "zero") page.fill(0);
  else FILL[kind](new Random(seed), page);
}

/** The kind of the `i`th page of a corpus in GENERATED_MIX proportions, fixed by `seed`. */
export function pageKindAt(seed: number, i: number): PageKind {
  let roll = new Random((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0).below(100);
  for (const kind of PAGE_KINDS) {
    roll -= GENERATED_MIX[kind];
    if (roll < 0) return kind;
  }
  return "random";
}

/** `count` pages in GENERATED_MIX proportions, fixed by `seed`. */
export function generatePages(count: number, seed: number): Uint8Array[] {
  const pages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const page = new Uint8Array(PAGE_SIZE);
    generatePage(pageKindAt(seed, i), (seed + i * 7919) >>> 0, page);
    pages.push(page);
  }
  return pages;
}
